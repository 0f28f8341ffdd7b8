/**
 * Label-free rewards and their combination (RLIF with several rewards):
 *
 * Answer-cluster voting: r_i = |{j in group(i) : answer_j = answer_i}| / G (G: the group's
 *   size); a sample without an answer gets 0. Canonical answers make "equivalent" string
 *   equality (Outcome.answer).
 * Self-certainty (Intuitor): the mean over a completion's tokens of KL(U || p_t), the sampler's
 *   per-token value (inference/sampling.ts: selfCertainty), under the current policy.
 * GDPO: z-score every channel within each group, sum with weights, then z-score over the batch:
 *   A_i = BN( sum_k w_k (r_k(i) - mean_g r_k) / (std_g r_k + eps) ), std = sample std (n - 1),
 *   BN(x) = (x - mean x) / (std x + eps). Normalising each channel separately keeps a channel
 *   with a small spread from being drowned by one with a large spread (summing the raw rewards
 *   first and normalising once can even flip an advantage's sign).
 */
import { groupLabels, type Groups } from './advantages.ts';
import { fail } from './common.ts';

function sampleMeanStd(xs: number[]): { mean: number; std: number } {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const ss = xs.reduce((a, x) => a + (x - mean) ** 2, 0);
  return { mean, std: n > 1 ? Math.sqrt(ss / (n - 1)) : 0 };
}

function membersOf(fn: string, n: number, groups: Groups): number[][] {
  const labels = groupLabels(fn, n, groups);
  const m = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    if (!m.has(labels[i])) m.set(labels[i], []);
    m.get(labels[i])!.push(i);
  }
  return [...m.values()];
}

/** Share of the group giving the same answer (0 without an answer). */
export function clusterVoteRewards(answers: (string | undefined | null)[], groups: Groups): Float64Array {
  const out = new Float64Array(answers.length);
  for (const idx of membersOf('clusterVoteRewards', answers.length, groups)) {
    const counts = new Map<string, number>();
    for (const i of idx) {
      const a = answers[i];
      if (a !== undefined && a !== null) counts.set(a, (counts.get(a) ?? 0) + 1);
    }
    for (const i of idx) {
      const a = answers[i];
      out[i] = a === undefined || a === null ? 0 : counts.get(a)! / idx.length;
    }
  }
  return out;
}

/** Mean self-certainty of each completion (0 for an empty one). */
export function sequenceSelfCertainty(perToken: ArrayLike<number>[]): Float64Array {
  return Float64Array.from(perToken, (s) => {
    let sum = 0;
    for (let t = 0; t < s.length; t++) sum += s[t];
    return s.length ? sum / s.length : 0;
  });
}

export function gdpoAdvantages(channels: ArrayLike<number>[], groups: Groups, weights: number[], eps = 1e-6): Float32Array {
  const FN = 'gdpoAdvantages';
  if (!channels.length) fail(FN, 'no reward channel');
  if (weights.length !== channels.length) fail(FN, `${weights.length} weights for ${channels.length} channels`);
  const n = channels[0].length;
  channels.forEach((c, k) => {
    if (c.length !== n) fail(FN, `channel ${k} has ${c.length} rewards, channel 0 has ${n}`);
    for (let i = 0; i < n; i++) if (!Number.isFinite(c[i])) fail(FN, `channel ${k} reward ${i} = ${c[i]} is not finite`);
  });
  weights.forEach((w, k) => {
    if (!Number.isFinite(w)) fail(FN, `weight ${k} = ${w} is not finite`);
  });
  const members = membersOf(FN, n, groups);
  const sum = new Float64Array(n);
  channels.forEach((c, k) => {
    for (const idx of members) {
      const { mean, std } = sampleMeanStd(idx.map((i) => c[i]));
      for (const i of idx) sum[i] += (weights[k] * (c[i] - mean)) / (std + eps);
    }
  });
  const { mean, std } = sampleMeanStd(Array.from(sum));
  return Float32Array.from(sum, (x) => (n > 1 ? (x - mean) / (std + eps) : 0));
}
