/**
 * The training config: every key typed, defaulted and validated by the schema of
 * src/util/schema.ts (an unknown or ill-typed key, or an unknown env or algorithm name, is an
 * error naming it), the algorithm's options included, before any work. The env's own options
 * are checked by the env when it is created, which is the first thing a run does.
 */
import { algorithmNames, getAlgorithm } from '../algorithms/registry.ts';
import { envNames } from '../envs/registry.ts';
import { ConfigError, resolveOptions, type Resolved, type Schema } from '../util/schema.ts';
import { LORA_TARGETS, type LoraTarget } from '../nn/lora.ts';

export const TRAIN_SCHEMA = {
  name: { type: 'string', default: '', help: 'label of the run in reports (default: the algorithm name)' },
  model: { type: 'string', default: '', help: 'model folder to start from (required)' },
  env: { type: 'string', default: 'math', oneOf: envNames, help: 'environment name (distil env list)' },
  envOptions: { type: 'object', default: {}, help: "the env's own options" },
  levels: { type: 'numbers', default: null, integer: true, help: 'training levels (default: the env default)' },
  algorithm: { type: 'string', default: 'distil', oneOf: algorithmNames, help: 'algorithm name (distil, grpo, opsd, sdpo, opd, sft, rft, delta, rlif, setpg, exprl, ...; distil algorithms)' },
  algorithmOptions: { type: 'object', default: {}, help: "the algorithm's own options" },
  teacherModel: { type: 'string', default: '', help: "model folder of an 'external' teacher" },
  seed: { type: 'number', default: 0, integer: true, help: 'the one seed of the run' },
  steps: { type: 'number', default: 100, min: 0, integer: true, help: 'optimiser steps' },
  sampledTokenBudget: { type: 'number', default: 0, min: 0, help: 'stop once this many tokens were sampled (0 = no limit)' },
  promptsPerStep: { type: 'number', default: 16, min: 1, integer: true, help: 'prompts per step' },
  groupSize: { type: 'number', default: 4, min: 1, integer: true, help: 'samples per prompt (G)' },
  maxTokens: { type: 'number', default: 96, min: 1, integer: true, help: 'completion length limit' },
  temperature: { type: 'number', default: 1, min: 0, help: 'sampling temperature' },
  stop: { type: 'strings', default: null, help: "stop strings for sampling (besides end-of-sequence), e.g. [\"\\nFeedback:\"]; default: the model's (generation_config.json stop_strings); [] = none" },
  topP: { type: 'number', default: 1, min: 0, max: 1, help: 'nucleus sampling' },
  lr: { type: 'number', default: 3e-5, min: 0, help: 'learning rate' },
  schedule: { type: 'enum', values: ['constant', 'cosine', 'linear'], default: 'constant', help: 'learning-rate schedule' },
  warmupSteps: { type: 'number', default: 0, min: 0, integer: true, help: 'linear warm-up steps' },
  weightDecay: { type: 'number', default: 0, min: 0, help: 'AdamW decoupled weight decay' },
  beta1: { type: 'number', default: 0.9, min: 0, max: 1, help: 'AdamW beta1' },
  beta2: { type: 'number', default: 0.99, min: 0, max: 1, help: 'AdamW beta2' },
  adamEps: { type: 'number', default: 1e-8, min: 0, help: 'AdamW epsilon' },
  maxGradNorm: { type: 'number', default: 1, min: 0, help: 'global gradient-norm clip (0 = off)' },
  updateEpochs: { type: 'number', default: 1, min: 1, max: 64, integer: true, help: 'passes over each sampled batch (PPO epochs); updates per step = updateEpochs x miniBatches' },
  miniBatches: { type: 'number', default: 1, min: 1, max: 1024, integer: true, help: 'optimiser updates per pass, on disjoint shuffled parts of the batch (shuffled from the step seed)' },
  evalEvery: { type: 'number', default: 10, min: 0, integer: true, help: 'evaluate every N steps (0 = only at the start and end)' },
  evalPrompts: { type: 'number', default: 200, min: 1, integer: true, help: 'test prompts per evaluation' },
  evalSamples: { type: 'number', default: 4, min: 1, integer: true, help: 'samples per test prompt (avg@k, pass@k)' },
  evalTemperature: { type: 'number', default: 1, min: 0, help: 'evaluation sampling temperature' },
  evalSplit: { type: 'enum', values: ['test', 'val'], default: 'test', help: "split the evaluations draw from: 'val' (disjoint from test) to choose settings such as the learning rate" },
  evalGreedy: { type: 'boolean', default: true, help: 'also decode each test prompt once greedily (temperature 0) and record its accuracy' },
  evalLevels: { type: 'numbers', default: null, integer: true, help: 'evaluation levels (default: the training levels)' },
  checkpointEvery: { type: 'number', default: 50, min: 0, integer: true, help: 'checkpoint every N steps (0 = only at the end)' },
  keepCheckpoints: { type: 'number', default: 2, min: 1, integer: true, help: 'checkpoints kept (older ones are deleted)' },
  samplesPerStep: { type: 'number', default: 4, min: 0, integer: true, help: 'rollouts written to samples.jsonl per step' },
  klInit: { type: 'boolean', default: true, help: 'measure the KL to the initial policy every step' },
  loraRank: { type: 'number', default: 0, min: 0, integer: true, help: 'train LoRA adapters of this rank instead of every weight (0 = full fine-tuning)' },
  loraAlpha: { type: 'number', default: 16, min: 0, help: 'LoRA scaling numerator (scale = alpha / rank)' },
  loraTargets: { type: 'string', default: 'q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj', help: 'comma-separated projections that get adapters' },
  maxTokensPerPass: { type: 'number', default: 8192, min: 1, integer: true, help: 'padded tokens per forward/backward pass' },
  backend: { type: 'enum', values: ['local', 'tinker'], default: 'local', help: 'where the student trains: this process, or a Tinker-protocol service (LoRA; docs/remote.md)' },
  tinkerUrl: { type: 'string', default: 'https://tinker.thinkingmachines.dev/services/tinker-prod', help: 'base URL of the Tinker service (e.g. a distil serve or SkyRL server); the key comes from TINKER_API_KEY' },
  tinkerBaseModel: { type: 'string', default: '', help: "the service's name of the model to train (default: the model folder's name); the folder supplies the tokenizer" },
} as const satisfies Schema;

export type TrainConfig = Resolved<typeof TRAIN_SCHEMA>;

export function resolveTrainConfig(given: Record<string, unknown>, where = 'train config'): TrainConfig {
  const c = resolveOptions(TRAIN_SCHEMA, given, where);
  if (!c.model) throw new ConfigError(`${where}: 'model' is required (a model folder, e.g. the shipped tiny checkpoint)`);
  // Check the algorithm's own options now, so a typo fails before any work.
  const algo = getAlgorithm(c.algorithm).create(c.algorithmOptions);
  if (!c.name) c.name = c.algorithm;
  if (c.miniBatches > c.promptsPerStep * c.groupSize) {
    throw new ConfigError(`${where}: miniBatches ${c.miniBatches} is more than the ${c.promptsPerStep * c.groupSize} sequences of a step (promptsPerStep x groupSize); lower it`);
  }
  if (algo.needs.severalUpdates && c.updateEpochs * c.miniBatches < 2) {
    throw new ConfigError(`${where}: ${algo.needs.severalUpdates}; set updateEpochs or miniBatches so that updateEpochs x miniBatches >= 2`);
  }
  if (c.loraRank > 0) loraTargets(c.loraTargets);
  // A remote student can neither return hidden states nor report its sampler's self-certainty:
  // refuse now rather than after the first batch is sampled.
  if (c.backend !== 'local' && algo.needs.hidden) {
    throw new ConfigError(`${where}: algorithm '${c.algorithm}' needs the student's hidden states, which backend '${c.backend}' cannot return; use backend 'local' or an algorithm without them (e.g. grpo instead of delta)`);
  }
  if (c.backend !== 'local' && algo.needs.selfCertainty) {
    throw new ConfigError(`${where}: algorithm '${c.algorithm}' needs the sampler's per-token self-certainty, which backend '${c.backend}' does not report; use backend 'local' or set algorithmOptions.certaintyWeight to 0`);
  }
  if (c.backend === 'tinker' && c.loraRank < 1) throw new ConfigError(`${where}: backend 'tinker' trains LoRA adapters; set loraRank (e.g. 32)`);
  return c;
}

/** The projections named by the loraTargets setting (errors name an unknown one). */
export function loraTargets(spec: string): LoraTarget[] {
  const names = spec.split(',').map((x) => x.trim()).filter(Boolean);
  for (const n of names) {
    if (!(LORA_TARGETS as readonly string[]).includes(n)) throw new ConfigError(`loraTargets: unknown projection '${n}'; known: ${LORA_TARGETS.join(', ')}`);
  }
  if (!names.length) throw new ConfigError('loraTargets: name at least one projection');
  return names as LoraTarget[];
}

/** Parse command-line overrides `key=value` (values as JSON when they parse, else strings; a.b=v sets nested keys). */
export function applyOverrides(base: Record<string, unknown>, overrides: string[]): Record<string, unknown> {
  const out = structuredClone(base);
  for (const o of overrides) {
    const eq = o.indexOf('=');
    if (eq <= 0) throw new ConfigError(`override '${o}' is not of the form key=value`);
    const path = o.slice(0, eq).split('.');
    const raw = o.slice(eq + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      /* a plain string */
    }
    let obj = out as Record<string, unknown>;
    for (const k of path.slice(0, -1)) {
      if (obj[k] === undefined) obj[k] = {};
      if (typeof obj[k] !== 'object' || obj[k] === null) throw new ConfigError(`override '${o}': '${k}' is not an object`);
      obj = obj[k] as Record<string, unknown>;
    }
    obj[path[path.length - 1]] = value;
  }
  return out;
}
