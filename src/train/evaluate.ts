/** Evaluation on an env's fixed test split: avg@k, unbiased pass@k, per level. */
import type { PolicyBackend } from '../backends/types.ts';
import type { Env } from '../envs/types.ts';
import { summariseEval, type EvalSummary, type PromptResult } from '../eval/metrics.ts';
import type { Tokenizer } from '../models/tokenizer.ts';
import { collectRollouts } from './rollouts.ts';

export interface EvalSettings {
  prompts: number;
  samples: number;
  temperature: number;
  maxTokens: number;
  levels?: number[];
  stop?: string[];
  /** Fixed, so every evaluation of a run (and of every run) sees the same prompts. */
  seed?: number;
}

export async function evaluatePolicy(policy: PolicyBackend, env: Env, tokenizer: Tokenizer, s: EvalSettings): Promise<EvalSummary> {
  const tasks = env.tasks('test', s.prompts, s.seed ?? 20261127, s.levels ? { levels: s.levels } : undefined);
  const rollouts = await collectRollouts(policy, env, tokenizer, tasks, {
    groupSize: s.samples, maxTokens: s.maxTokens, temperature: s.temperature, topP: 1, seedBase: 7_000_000, stop: s.stop,
  });
  const results: PromptResult[] = tasks.map((t, g) => {
    const mine = rollouts.filter((r) => r.group === g);
    return { taskId: t.id, level: t.level, correct: mine.map((r) => r.outcome.correct), rewards: mine.map((r) => r.outcome.reward) };
  });
  return summariseEval(results);
}
