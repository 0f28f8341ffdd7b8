/**
 * Sequence-level advantages and sample selection (docs/losses.md, Advantages):
 *
 * GRPO: A_i = (r_i - mean_g r) / (s + 1e-4), where g is i's group and
 *   scaling 'group': s = std of r over the group,
 *   scaling 'batch': s = std of r over the whole batch (the mean is still the group's),
 *   scaling 'none' : no division (Dr. GRPO): A_i = r_i - mean_g r.
 * std is the sample standard deviation (divide by n - 1, as torch.std in the common GRPO
 * implementations); a group of one has std 0 and advantage 0.
 *
 * OPD (sampled-token reverse KL): A_t = -(logp_student(y_t) - log q(y_t)) = log q - log p, fed
 * to the clipped policy gradient: tokens the teacher likes more than the student are pushed up.
 *
 * RFT: keep the samples whose reward reaches a threshold, at most a given number per group.
 */
import { fail } from './common.ts';

export type AdvantageScaling = 'group' | 'batch' | 'none';

/** `groups`: a group size (samples grouped contiguously) or a group label per sample. */
export type Groups = number | ArrayLike<number>;

/** Group label of each of n samples. */
export function groupLabels(fn: string, n: number, groups: Groups): ArrayLike<number> {
  if (typeof groups === 'number') {
    if (!Number.isInteger(groups) || groups < 1) fail(fn, `group size must be a positive integer, got ${groups}`);
    if (n % groups !== 0) fail(fn, `${n} samples do not split into groups of ${groups}`);
    return Array.from({ length: n }, (_, i) => Math.floor(i / groups));
  }
  if (groups.length !== n) fail(fn, `groups has ${groups.length} labels for ${n} samples`);
  return groups;
}

function meanStd(xs: number[]): { mean: number; std: number } {
  const n = xs.length;
  let mean = 0;
  for (const x of xs) mean += x;
  mean /= n;
  let ss = 0;
  for (const x of xs) ss += (x - mean) ** 2;
  return { mean, std: n > 1 ? Math.sqrt(ss / (n - 1)) : 0 };
}

export function grpoAdvantages(rewards: ArrayLike<number>, groups: Groups, scaling: AdvantageScaling = 'group', eps = 1e-4): Float32Array {
  const FN = 'grpoAdvantages';
  const n = rewards.length;
  for (let i = 0; i < n; i++) if (!Number.isFinite(rewards[i])) fail(FN, `rewards[${i}] = ${rewards[i]} is not finite`);
  if (!['group', 'batch', 'none'].includes(scaling)) fail(FN, `scaling must be group, batch or none, got ${String(scaling)}`);
  const labels = groupLabels(FN, n, groups);
  const members = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const l = labels[i];
    if (!members.has(l)) members.set(l, []);
    members.get(l)!.push(i);
  }
  const batchStd = meanStd(Array.from(rewards)).std;
  const out = new Float32Array(n);
  for (const idx of members.values()) {
    const { mean, std } = meanStd(idx.map((i) => rewards[i]));
    const div = scaling === 'group' ? std + eps : scaling === 'batch' ? batchStd + eps : 1;
    for (const i of idx) out[i] = (rewards[i] - mean) / div;
  }
  return out;
}

/** One value per sequence, repeated over that sequence's tokens. */
export function expandToTokens(perSeq: ArrayLike<number>, lengths: ArrayLike<number>): Float32Array[] {
  if (perSeq.length !== lengths.length) fail('expandToTokens', `${perSeq.length} values for ${lengths.length} sequences`);
  return Array.from({ length: lengths.length }, (_, i) => new Float32Array(lengths[i]).fill(perSeq[i]));
}

/** OPD per-token advantage -(logp_student - logp_teacher) at the sampled tokens. */
export function opdAdvantages(logpStudent: ArrayLike<number>, logpTeacher: ArrayLike<number>): Float32Array {
  if (logpStudent.length !== logpTeacher.length) {
    fail('opdAdvantages', `logpStudent has length ${logpStudent.length}, logpTeacher ${logpTeacher.length}`);
  }
  const out = new Float32Array(logpStudent.length);
  for (let i = 0; i < out.length; i++) {
    const a = -(logpStudent[i] - logpTeacher[i]);
    if (Number.isNaN(a)) fail('opdAdvantages', `advantage ${i} is NaN (logpStudent ${logpStudent[i]}, logpTeacher ${logpTeacher[i]})`);
    out[i] = a;
  }
  return out;
}

export interface RftOptions {
  /** Keep samples with reward >= threshold (default 1: correct). */
  threshold?: number;
  /** At most this many per group, the first ones in order (default: no cap). */
  maxPerGroup?: number;
}

/** Indices of the samples to fine-tune on (RFT: SFT on the student's own correct samples). */
export function rftSelect(rewards: ArrayLike<number>, groups: Groups, opts: RftOptions = {}): number[] {
  const labels = groupLabels('rftSelect', rewards.length, groups);
  const threshold = opts.threshold ?? 1;
  const cap = opts.maxPerGroup ?? Infinity;
  if (!(cap >= 0)) fail('rftSelect', `maxPerGroup must be >= 0, got ${cap}`);
  const taken = new Map<number, number>();
  const out: number[] = [];
  for (let i = 0; i < rewards.length; i++) {
    if (!(rewards[i] >= threshold)) continue;
    const c = taken.get(labels[i]) ?? 0;
    if (c >= cap) continue;
    taken.set(labels[i], c + 1);
    out.push(i);
  }
  return out;
}
