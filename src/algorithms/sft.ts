/**
 * SFT: token cross-entropy on the tasks' reference solutions (no sampling), and RFT: the same
 * on the student's own samples that reached the reward threshold.
 */
import { rftSelect } from '../losses/advantages.ts';
import { batchOf, groupsOf, perToken, rewardsOf } from './common.ts';
import { resolveOptions, type Schema } from '../util/schema.ts';
import type { Algorithm, StepData } from './types.ts';

export function sft(options?: Record<string, unknown>): Algorithm {
  resolveOptions({}, options, 'sft');
  return {
    name: 'sft',
    // The trainer turns each task's reference into a rollout instead of sampling.
    needs: { sampling: false },
    build(step: StepData) {
      const rs = step.rollouts;
      return { batch: batchOf(rs), loss: { terms: [{ kind: 'crossEntropy', weight: 1, tokenWeights: perToken(rs, 1) }] }, metrics: {} };
    },
  };
}

export const RFT_OPTIONS = {
  threshold: { type: 'number', default: 1, help: 'keep samples with reward >= threshold' },
  maxPerGroup: { type: 'number', default: 1, min: 1, integer: true, help: 'at most this many kept samples per prompt' },
} as const satisfies Schema;

export function rft(options?: Record<string, unknown>): Algorithm {
  const o = resolveOptions(RFT_OPTIONS, options, 'rft');
  return {
    name: 'rft',
    needs: { sampling: true },
    build(step: StepData) {
      const keep = rftSelect(rewardsOf(step.rollouts), groupsOf(step.rollouts), { threshold: o.threshold, maxPerGroup: o.maxPerGroup });
      if (!keep.length) return null;
      const rs = keep.map((i) => step.rollouts[i]);
      return {
        batch: batchOf(rs),
        loss: { terms: [{ kind: 'crossEntropy', weight: 1, tokenWeights: perToken(rs, 1) }] },
        metrics: { 'rft/kept_frac': keep.length / step.rollouts.length },
      };
    },
  };
}
