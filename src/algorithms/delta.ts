/**
 * DelTA: GRPO whose token advantages are rescaled by discriminative per-token coefficients
 * (losses/delta.ts), A_it = A_i * lambda_it, computed once per batch from the student's own
 * hidden states before the update. With lamMin = lamMax it is GRPO exactly.
 */
import { grpoAdvantages } from '../losses/advantages.ts';
import { deltaCoefficients, deltaFeatures } from '../losses/delta.ts';
import { anchoredPolicyGradient, groupsOf, rewardsOf } from './common.ts';
import { GRPO_OPTIONS } from './grpo.ts';
import { ConfigError, resolveOptions, type Schema } from '../util/schema.ts';
import type { Algorithm, StepData } from './types.ts';

export const DELTA_OPTIONS = {
  ...GRPO_OPTIONS,
  refinements: { type: 'number', default: 1, min: 0, max: 10, integer: true, help: 'centroid refinement passes (K)' },
  lamMin: { type: 'number', default: 0.8, min: 0.01, help: 'smallest token coefficient before the rescaling to mean 1' },
  lamMax: { type: 'number', default: 1.2, min: 0.01, help: 'largest token coefficient before the rescaling to mean 1' },
} as const satisfies Schema;

export function delta(options?: Record<string, unknown>): Algorithm {
  const o = resolveOptions(DELTA_OPTIONS, options, 'delta');
  if (o.lamMin > o.lamMax) throw new ConfigError(`delta: lamMin (${o.lamMin}) must be <= lamMax (${o.lamMax})`);
  return {
    name: 'delta',
    needs: { sampling: true, refLogprobs: o.klBeta > 0, hidden: true },
    build(step: StepData) {
      const rs = step.rollouts;
      const adv = grpoAdvantages(rewardsOf(rs), groupsOf(rs), o.scaling as 'group' | 'batch' | 'none');
      if (adv.every((a) => a === 0) && o.klBeta === 0) return null;
      const h = step.hidden;
      if (!h || h.states.length !== rs.length) throw new Error('delta: the trainer gave no hidden states for this step (the algorithm declares needs.hidden; this is a bug in the caller)');
      const features = rs.map((_, i) => deltaFeatures(h.states[i], h.logprobs[i], h.dim));
      const lam = deltaCoefficients(features, h.dim, adv, { refinements: o.refinements, lamMin: o.lamMin, lamMax: o.lamMax });
      const advantages = lam.map((l, i) => l.map((x) => adv[i] * x));
      return anchoredPolicyGradient(step, advantages, o, { 'grpo/nonzero_adv_frac': adv.filter((a) => a !== 0).length / adv.length, ...lambdaMetrics(step, adv, lam) });
    },
  };
}

/** Mean lambda on rewarded and punished sequences, and on punished ones before / from the first flagged token. */
function lambdaMetrics(step: StepData, adv: Float32Array, lam: Float32Array[]): Record<string, number> {
  const acc: Record<string, [number, number]> = {};
  const add = (k: string, x: number) => {
    const a = (acc[k] ??= [0, 0]);
    a[0] += x;
    a[1]++;
  };
  lam.forEach((l, i) => {
    if (adv[i] === 0) return;
    const start = step.feedbackStarts?.[i];
    l.forEach((x, t) => {
      add(adv[i] > 0 ? 'delta/lambda_pos' : 'delta/lambda_neg', x);
      if (adv[i] < 0 && start !== undefined && Number.isFinite(start)) add(t >= start ? 'delta/lambda_neg_from_error' : 'delta/lambda_neg_before_error', x);
    });
  });
  return Object.fromEntries(Object.entries(acc).map(([k, [s, n]]) => [k, s / n]));
}
