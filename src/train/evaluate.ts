/**
 * Evaluation on an env's fixed test split: greedy accuracy (one temperature-0 decoding per
 * prompt), avg@k and unbiased pass@k of k samples at the evaluation temperature, per level.
 */
import type { PolicyBackend } from '../backends/types.ts';
import type { Env } from '../envs/types.ts';
import { summariseEval, type EvalSummary, type PromptResult } from '../eval/metrics.ts';
import type { Tokenizer } from '../models/tokenizer.ts';
import { collectRollouts } from './rollouts.ts';

/** The seed of the evaluation prompts, so every evaluation of every run sees the same ones. */
export const DEFAULT_EVAL_SEED = 20261127;

export interface EvalSettings {
  prompts: number;
  samples: number;
  temperature: number;
  maxTokens: number;
  levels?: number[];
  stop?: string[];
  /** Fixed, so every evaluation of a run (and of every run) sees the same prompts. */
  seed?: number;
  /** Also decode each prompt once greedily (default true). */
  greedy?: boolean;
  /** 'test' (default), or 'val' to choose settings without looking at test. */
  split?: 'test' | 'val';
}

export async function evaluatePolicy(policy: PolicyBackend, env: Env, tokenizer: Tokenizer, s: EvalSettings): Promise<EvalSummary> {
  const tasks = env.tasks(s.split ?? 'test', s.prompts, s.seed ?? DEFAULT_EVAL_SEED, s.levels ? { levels: s.levels } : undefined);
  const settings = { maxTokens: s.maxTokens, topP: 1, seedBase: 7_000_000, stop: s.stop };
  const rollouts = await collectRollouts(policy, env, tokenizer, tasks, { ...settings, groupSize: s.samples, temperature: s.temperature });
  // At temperature 0 the samples are greedy decodings already; otherwise decode once more.
  const wantGreedy = s.greedy ?? true;
  const greedy = !wantGreedy ? null
    : s.temperature === 0 ? tasks.map((_, g) => rollouts[g * s.samples])
    : await collectRollouts(policy, env, tokenizer, tasks, { ...settings, groupSize: 1, temperature: 0 });
  const results: PromptResult[] = tasks.map((t, g) => {
    const mine = rollouts.filter((r) => r.group === g);
    return {
      taskId: t.id, level: t.level, correct: mine.map((r) => r.outcome.correct), rewards: mine.map((r) => r.outcome.reward),
      ...(greedy ? { greedy: greedy[g].outcome.correct } : {}),
    };
  });
  return summariseEval(results);
}
