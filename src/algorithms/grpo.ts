/**
 * GRPO / RLVR (docs/architecture.md): one scalar reward per sample, advantages relative to the group,
 * clipped importance-sampled policy gradient with an optional k3 KL penalty.
 */
import { expandToTokens, grpoAdvantages } from '../losses/advantages.ts';
import { anchoredPolicyGradient, groupsOf, rewardsOf } from './common.ts';
import { INTRINSIC_OPTIONS, makeIntrinsic } from './intrinsic.ts';
import { resolveOptions, type Schema } from '../util/schema.ts';
import type { Algorithm, StepData } from './types.ts';

/** The options grpo shares with its variants (delta, setpg); grpo adds the intrinsic bonus. */
export const GRPO_OPTIONS = {
  scaling: { type: 'enum', values: ['group', 'batch', 'none'], default: 'group', help: 'advantage scaling (none = Dr. GRPO)' },
  clipLow: { type: 'number', default: 0.2, min: 0, max: 1, help: 'PPO clip eps_low' },
  clipHigh: { type: 'number', default: 0.28, min: 0, help: 'PPO clip eps_high (DAPO clip-higher)' },
  aggregation: { type: 'enum', values: ['token_mean', 'seq_mean', 'fixed_len'], default: 'token_mean', help: 'loss aggregation' },
  klBeta: { type: 'number', default: 0, min: 0, help: 'k3 KL penalty toward the initial policy' },
} as const satisfies Schema;

export const GRPO_ALGORITHM_OPTIONS = { ...GRPO_OPTIONS, ...INTRINSIC_OPTIONS } as const satisfies Schema;

export function grpo(options?: Record<string, unknown>): Algorithm {
  const o = resolveOptions(GRPO_ALGORITHM_OPTIONS, options, 'grpo');
  const intrinsic = makeIntrinsic(o);
  return {
    name: 'grpo',
    needs: { sampling: true, refLogprobs: o.klBeta > 0 },
    build(step: StepData) {
      const rs = step.rollouts;
      const ext = grpoAdvantages(rewardsOf(rs), groupsOf(rs), o.scaling);
      const bonus = intrinsic?.apply(rs, ext, groupsOf(rs));
      const adv = bonus?.adv ?? ext;
      // Groups whose samples all got the same reward carry no signal (null when none has one).
      return anchoredPolicyGradient(step, expandToTokens(adv, rs.map((r) => r.tokens.length)), o, {
        'grpo/nonzero_adv_frac': ext.filter((a) => a !== 0).length / ext.length, ...bonus?.metrics,
      });
    },
    ...(intrinsic && { state: () => intrinsic.state(), loadState: (s: unknown) => intrinsic.load(s) }),
  };
}
