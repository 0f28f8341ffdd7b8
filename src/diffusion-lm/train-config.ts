/** Settings of a diffusion-LM RL run (`distil dlm train`), defaults sized for a 2-core machine, validation. */
export type DlmAlgorithm = 'd-opsd' | 'diffu-grpo' | 'rft';
export const DLM_ALGORITHMS: readonly DlmAlgorithm[] = ['d-opsd', 'diffu-grpo', 'rft'];

export interface DlmTrainConfig {
  /** Label in reports (seeds of one method share it). */
  name: string;
  algorithm: DlmAlgorithm;
  seed: number;
  /** Masked-diffusion model folder to start from (relative to the working directory). */
  checkpoint: string;
  env: 'math';
  /** Levels of the training and test prompts. */
  levels: number[];
  /** Sample-then-update rounds. Optimiser steps per round: d-opsd batchDivide, diffu-grpo iterations, rft updates. */
  rounds: number;
  promptsPerRound: number;
  /** Gumbel temperature of the rollouts. */
  temperature: number;
  /** Sampler shape; default: the checkpoint's. */
  blockSize?: number;
  sampleSteps?: number;
  lr: number;
  weightDecay: number;
  maxGradNorm: number;
  /** Evaluate after every round whose optimiser step count crosses a multiple of this (and at step 0). */
  evalEvery: number;
  evalPerLevel: number;
  evalSamples: number;
  evalTemperature: number;
  /** Where the periodic evaluation draws its prompts: 'test', or 'val' (disjoint from test) to choose a learning rate. */
  evalSplit: 'test' | 'val';
  /**
   * What counts as a correct trajectory for training (the reward of diffu-GRPO, the filter of RFT and
   * d-OPSD): 'answer', the final answer alone; 'work', the answer and every working line right (the
   * math env's `work` channel), so a lucky guess after wrong steps earns nothing. Evaluation always
   * reports answer accuracy.
   */
  reward: 'answer' | 'work';
  checkpointEvery: number;
  opsd: { passk: number; passkTemperature: number; teacherRetainRatio: number; topK: number; tokenClip: number; batchDivide: number; positionsPerState: number };
  grpo: { groupSize: number; iterations: number; pMaskPrompt: number; eps: number; beta: number };
  rft: { groupSize: number; updates: number };
}

export const DLM_TRAIN_DEFAULTS: Omit<DlmTrainConfig, 'checkpoint' | 'algorithm' | 'name'> = {
  seed: 1, env: 'math', levels: [4, 5], rounds: 12, promptsPerRound: 8, temperature: 1,
  lr: 1e-4, weightDecay: 0, maxGradNorm: 0.2, evalEvery: 12, evalPerLevel: 40, evalSamples: 2, evalTemperature: 1, evalSplit: 'test', reward: 'answer', checkpointEvery: 4,
  // The authors' values (docs/diffusion-lm.md), passk 8 -> 4 and batch sizes scaled to the machine.
  opsd: { passk: 4, passkTemperature: 0.9, teacherRetainRatio: 0.25, topK: 20, tokenClip: 0.05, batchDivide: 4, positionsPerState: 2 },
  grpo: { groupSize: 6, iterations: 12, pMaskPrompt: 0.15, eps: 0.5, beta: 0.04 },
  rft: { groupSize: 6, updates: 4 },
};

function posInt(v: unknown, k: string): void {
  if (!(Number.isInteger(v) && (v as number) >= 1)) throw new Error(`dlm train config: ${k} must be a positive integer, got ${JSON.stringify(v)}`);
}

export function validateDlmTrainConfig(c: DlmTrainConfig): DlmTrainConfig {
  if (!DLM_ALGORITHMS.includes(c.algorithm)) throw new Error(`dlm train config: algorithm must be one of ${DLM_ALGORITHMS.join(', ')}, got ${JSON.stringify(c.algorithm)}`);
  if (typeof c.checkpoint !== 'string' || !c.checkpoint) throw new Error('dlm train config: checkpoint (a masked-diffusion model folder) is required');
  if (c.env !== 'math') throw new Error(`dlm train config: env must be 'math' (the chain tasks), got ${JSON.stringify(c.env)}`);
  for (const k of ['rounds', 'promptsPerRound', 'evalEvery', 'evalPerLevel', 'evalSamples', 'checkpointEvery'] as const) posInt(c[k], k);
  for (const k of ['passk', 'topK', 'batchDivide', 'positionsPerState'] as const) posInt(c.opsd[k], `opsd.${k}`);
  for (const k of ['groupSize', 'iterations'] as const) posInt(c.grpo[k], `grpo.${k}`);
  for (const k of ['groupSize', 'updates'] as const) posInt(c.rft[k], `rft.${k}`);
  if (c.evalSplit !== 'test' && c.evalSplit !== 'val') throw new Error(`dlm train config: evalSplit must be 'test' or 'val' (val to choose settings such as the lr), got ${JSON.stringify(c.evalSplit)}`);
  if (c.reward !== 'answer' && c.reward !== 'work') throw new Error(`dlm train config: reward must be 'answer' (the final answer) or 'work' (answer and every working line right), got ${JSON.stringify(c.reward)}`);
  if (!(c.lr > 0)) throw new Error(`dlm train config: lr must be > 0, got ${c.lr}`);
  if (!(c.temperature >= 0)) throw new Error(`dlm train config: temperature must be >= 0, got ${c.temperature}`);
  if (!Array.isArray(c.levels) || !c.levels.length) throw new Error('dlm train config: levels must be a non-empty list of chain levels');
  return c;
}
