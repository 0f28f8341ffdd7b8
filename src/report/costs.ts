/**
 * What a training step of each method costs, from metrics.jsonl: seconds spent sampling,
 * scoring with the teacher and training, and sampled tokens per step, averaged over the steps
 * of every seed. Wall-time curves mix in the machine's load; these per-phase means say where a
 * method's time goes (a teacher costs a scoring pass per step; GRPO has none).
 */
import type { Group } from './runs.ts';

export interface StepCost {
  label: string;
  seeds: number;
  /** Steps taken, mean over seeds. */
  steps: number;
  tokensPerStep: number;
  sampleS: number;
  scoreS: number;
  trainS: number;
}

const meanOf = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
const numbers = (rows: Record<string, unknown>[], key: string) => rows.map((r) => r[key]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));

export function stepCosts(groups: readonly Group[]): Map<string, StepCost[]> {
  const byEnv = new Map<string, StepCost[]>();
  for (const g of groups) {
    const rows = g.runs.flatMap((r) => r.metrics.filter((m) => typeof m.step === 'number'));
    if (!rows.length) continue;
    const lastTokens = g.runs.map((r) => numbers(r.metrics, 'sampled_tokens').at(-1) ?? 0);
    const steps = g.runs.map((r) => numbers(r.metrics, 'step').at(-1) ?? 0);
    const cost: StepCost = {
      label: g.label,
      seeds: g.runs.length,
      steps: meanOf(steps),
      tokensPerStep: meanOf(steps) > 0 ? meanOf(lastTokens) / meanOf(steps) : 0,
      sampleS: meanOf(numbers(rows, 'time/sample_s')),
      scoreS: meanOf(numbers(rows, 'time/score_s')),
      trainS: meanOf(numbers(rows, 'time/train_s')),
    };
    byEnv.set(g.env, [...(byEnv.get(g.env) ?? []), cost]);
  }
  return byEnv;
}
