/**
 * How a method's training signals moved (metrics.jsonl): per metric, the mean over the first and
 * the last eighth of each seed's steps, then the mean over seeds with a t-interval on the last.
 * This is where collapse shows without labels: the sampled tokens' NLL (`entropy`), completion
 * length, distinct answers per group (rlif), and where DelTA's coefficients sit.
 */
import type { Group } from './runs.ts';
import { tInterval, type Interval } from './stats.ts';

/** The metrics this table reports, when a run logged them; label for the table head. */
export const DYNAMICS_METRICS: readonly (readonly [string, string])[] = [
  ['entropy', 'sampled-token NLL'],
  ['completion_len', 'completion length'],
  ['rlif/distinct_answers', 'distinct answers per group'],
  ['rlif/vote_reward', 'vote reward'],
  ['rlif/certainty_reward', 'self-certainty'],
  ['delta/lambda_pos', 'DelTA lambda, rewarded'],
  ['delta/lambda_neg_before_error', 'DelTA lambda, punished, before the flagged token'],
  ['delta/lambda_neg_from_error', 'DelTA lambda, punished, from the flagged token'],
];

export interface DynamicsCell {
  /** Mean over seeds of each seed's mean over its first eighth of steps. */
  first: number;
  /** The same over the last eighth, with a t-interval over seeds. */
  last: Interval;
}

export interface DynamicsRow {
  label: string;
  seeds: number;
  /** Per metric key of DYNAMICS_METRICS that some seed logged. */
  cells: Map<string, DynamicsCell>;
}

/** Mean of the finite values over the first and the last `share` of them (at least one value each). */
export function windowMeans(values: readonly number[], share = 1 / 8): { first: number; last: number } | null {
  const xs = values.filter(Number.isFinite);
  if (!xs.length) return null;
  const w = Math.max(1, Math.round(xs.length * share));
  const m = (a: number[]) => a.reduce((s, x) => s + x, 0) / a.length;
  return { first: m(xs.slice(0, w)), last: m(xs.slice(-w)) };
}

export function trainingDynamics(groups: readonly Group[]): Map<string, DynamicsRow[]> {
  const byEnv = new Map<string, DynamicsRow[]>();
  for (const g of groups) {
    const cells = new Map<string, DynamicsCell>();
    for (const [key] of DYNAMICS_METRICS) {
      const perSeed = g.runs
        .map((r) => windowMeans(r.metrics.filter((m) => typeof m.step === 'number').map((m) => (typeof m[key] === 'number' ? (m[key] as number) : NaN))))
        .filter((w): w is { first: number; last: number } => w !== null);
      if (!perSeed.length) continue;
      cells.set(key, { first: perSeed.reduce((s, w) => s + w.first, 0) / perSeed.length, last: tInterval(perSeed.map((w) => w.last)) });
    }
    if (!cells.size) continue;
    byEnv.set(g.env, [...(byEnv.get(g.env) ?? []), { label: g.label, seeds: g.runs.length, cells }]);
  }
  return byEnv;
}
