/**
 * Label-free RL from internal feedback with several rewards: an answer-level reward (the share
 * of the group that reached the same final answer) and a completion-level reward (the policy's
 * own self-certainty), combined by GDPO, trained with the clipped policy gradient, optionally
 * with KL-Cov or Clip-Cov on the highest-covariance tokens against entropy collapse. The env's
 * reward and correctness are never read here: the trainer only logs them.
 */
import { expandToTokens } from '../losses/advantages.ts';
import { clusterVoteRewards, gdpoAdvantages, sequenceSelfCertainty } from '../losses/gdpo.ts';
import { batchOf, clippedPolicyGradient, groupsOf } from './common.ts';
import { ConfigError, resolveOptions, type Schema } from '../util/schema.ts';
import type { Algorithm, Rollout, StepData } from './types.ts';

export const RLIF_OPTIONS = {
  voteWeight: { type: 'number', default: 1, min: 0, help: 'weight of the answer-voting channel (0 = off)' },
  certaintyWeight: { type: 'number', default: 1, min: 0, help: 'weight of the self-certainty channel (0 = off)' },
  clipLow: { type: 'number', default: 0.2, min: 0, max: 1, help: 'PPO clip eps_low' },
  clipHigh: { type: 'number', default: 0.28, min: 0, help: 'PPO clip eps_high' },
  aggregation: { type: 'enum', values: ['token_mean', 'seq_mean', 'fixed_len'], default: 'token_mean', help: 'loss aggregation' },
  klCov: { type: 'number', default: 0, min: 0, max: 1, help: 'KL-Cov: share of tokens (top covariance) penalised by |logp - logp_old|, no clipping (0 = off; needs updateEpochs x miniBatches >= 2)' },
  klCovCoef: { type: 'number', default: 1, min: 0, help: 'KL-Cov penalty coefficient' },
  clipCov: { type: 'number', default: 0, min: 0, max: 1, help: 'Clip-Cov: share of tokens with covariance in (clipCovLow, clipCovHigh) whose gradient is dropped (0 = off)' },
  clipCovLow: { type: 'number', default: 1, help: 'Clip-Cov covariance lower bound' },
  clipCovHigh: { type: 'number', default: 5, help: 'Clip-Cov covariance upper bound' },
} as const satisfies Schema;

export function rlif(options?: Record<string, unknown>): Algorithm {
  const o = resolveOptions(RLIF_OPTIONS, options, 'rlif');
  if (o.voteWeight === 0 && o.certaintyWeight === 0) throw new ConfigError('rlif: voteWeight and certaintyWeight are both 0; give at least one channel a weight');
  if (o.klCov > 0 && o.clipCov > 0) throw new ConfigError('rlif: klCov and clipCov are alternatives; set one of them to 0');
  if (o.clipCovLow >= o.clipCovHigh) throw new ConfigError(`rlif: clipCovLow (${o.clipCovLow}) must be below clipCovHigh (${o.clipCovHigh})`);
  const channels = [
    ...(o.voteWeight > 0 ? [{ name: 'vote', weight: o.voteWeight, rewards: voteRewards }] : []),
    ...(o.certaintyWeight > 0 ? [{ name: 'certainty', weight: o.certaintyWeight, rewards: certaintyRewards }] : []),
  ];
  return {
    name: 'rlif',
    needs: {
      sampling: true,
      answers: o.voteWeight > 0,
      selfCertainty: o.certaintyWeight > 0,
      severalUpdates: o.klCov > 0 ? 'rlif: KL-Cov penalises |logp - logp_old|, which is 0 (and has no gradient) at the first update on a batch' : undefined,
    },
    build(step: StepData) {
      const rs = step.rollouts;
      const groups = groupsOf(rs);
      const rewards = channels.map((c) => c.rewards(rs, groups));
      const adv = gdpoAdvantages(rewards, groups, channels.map((c) => c.weight));
      if (adv.every((a) => a === 0)) return null;
      const metrics: Record<string, number> = { 'rlif/distinct_answers': distinctAnswers(rs, groups), 'rlif/answer_rate': rs.filter((r) => r.outcome.answer !== undefined).length / rs.length };
      channels.forEach((c, k) => (metrics[`rlif/${c.name}_reward`] = rewards[k].reduce((a, b) => a + b, 0) / rs.length));
      return {
        batch: batchOf(rs),
        loss: {
          terms: [{
            ...clippedPolicyGradient(rs, expandToTokens(adv, rs.map((r) => r.tokens.length)), o),
            klCov: o.klCov > 0 ? { ratio: o.klCov, coef: o.klCovCoef } : undefined,
            clipCov: o.clipCov > 0 ? { ratio: o.clipCov, lb: o.clipCovLow, ub: o.clipCovHigh, seed: step.seed ?? 0 } : undefined,
          }],
        },
        metrics,
      };
    },
  };
}

function voteRewards(rs: Rollout[], groups: number[]): Float64Array {
  return clusterVoteRewards(rs.map((r) => r.outcome.answer), groups);
}

function certaintyRewards(rs: Rollout[]): Float64Array {
  return sequenceSelfCertainty(rs.map((r, i) => {
    if (!r.selfCertainty) throw new Error(`rlif: rollout ${i} carries no self-certainty (the sampler of this backend does not report it); use voteWeight only`);
    return r.selfCertainty;
  }));
}

/** Mean number of distinct final answers per group (no answer counts as one more). */
function distinctAnswers(rs: Rollout[], groups: number[]): number {
  const per = new Map<number, Set<string>>();
  rs.forEach((r, i) => {
    if (!per.has(groups[i])) per.set(groups[i], new Set());
    per.get(groups[i])!.add(r.outcome.answer ?? '\u0000none');
  });
  let s = 0;
  for (const v of per.values()) s += v.size;
  return s / per.size;
}
