/**
 * Aggregation as per-token weights: every loss in this folder is sum_r w_r * loss_r, so the
 * way token losses are averaged (docs/losses.md) is fully described by w.
 * With a mask m (0/1, or any non-negative weights) and S_i = sum_t m_it:
 *
 *   token_mean: w_it = m_it / sum_i S_i                 (mean over all kept tokens of the batch)
 *   seq_mean:   w_it = m_it / (B' * S_i)                (mean per sequence, then over sequences)
 *   fixed_len:  w_it = m_it / (B * maxLen)              (Dr. GRPO: sum / (B * max_len))
 *
 * B is the number of sequences; B' counts only sequences with S_i > 0 (a sequence whose tokens
 * are all masked has no mean, and must not shrink everyone else's weight). maxLen defaults to
 * the longest sequence; pass the generation budget to get Dr. GRPO's constant normaliser.
 * Without a mask, m = 1 and S_i = len_i. A batch with no kept token gets all-zero weights.
 */
import { fail } from './common.ts';

/** How token losses are averaged over a batch (the loss spec's `aggregation`). */
export type Aggregation = 'token_mean' | 'seq_mean' | 'fixed_len';

const FN = 'aggregationWeights';

/** Per-token weights, flattened sequence after sequence (length sum(lengths)). */
export function aggregationWeights(
  lengths: ArrayLike<number>,
  mode: Aggregation,
  masks?: ArrayLike<ArrayLike<number>>,
  opts: { maxLen?: number } = {},
): Float32Array {
  const B = lengths.length;
  let total = 0, longest = 0;
  for (let i = 0; i < B; i++) {
    const L = lengths[i];
    if (!Number.isInteger(L) || L < 0) fail(FN, `lengths[${i}] = ${L} is not a non-negative integer`);
    total += L;
    if (L > longest) longest = L;
  }
  if (masks) {
    if (masks.length !== B) fail(FN, `masks has ${masks.length} sequences, lengths has ${B}`);
    for (let i = 0; i < B; i++) {
      if (masks[i].length !== lengths[i]) fail(FN, `masks[${i}] has length ${masks[i].length}, lengths[${i}] = ${lengths[i]}`);
      for (let t = 0; t < lengths[i]; t++) {
        const m = masks[i][t];
        if (!(m >= 0) || !Number.isFinite(m)) fail(FN, `masks[${i}][${t}] = ${m}; mask weights must be finite and >= 0`);
      }
    }
  }
  const m = (i: number, t: number) => (masks ? masks[i][t] : 1);
  const S = new Float64Array(B);
  for (let i = 0; i < B; i++) for (let t = 0; t < lengths[i]; t++) S[i] += m(i, t);
  const out = new Float32Array(total);
  let o = 0;
  if (mode === 'token_mean') {
    let sum = 0;
    for (let i = 0; i < B; i++) sum += S[i];
    for (let i = 0; i < B; i++) for (let t = 0; t < lengths[i]; t++, o++) out[o] = sum > 0 ? m(i, t) / sum : 0;
  } else if (mode === 'seq_mean') {
    let live = 0;
    for (let i = 0; i < B; i++) if (S[i] > 0) live++;
    for (let i = 0; i < B; i++) for (let t = 0; t < lengths[i]; t++, o++) out[o] = S[i] > 0 ? m(i, t) / (live * S[i]) : 0;
  } else if (mode === 'fixed_len') {
    const maxLen = opts.maxLen ?? longest;
    if (!(maxLen >= longest) || !Number.isFinite(maxLen)) fail(FN, `maxLen = ${maxLen} is shorter than the longest sequence (${longest})`);
    for (let i = 0; i < B; i++) for (let t = 0; t < lengths[i]; t++, o++) out[o] = maxLen > 0 ? m(i, t) / (B * maxLen) : 0;
  } else {
    fail(FN, `mode must be token_mean, seq_mean or fixed_len, got ${String(mode)}`);
  }
  return out;
}

/** Concatenates per-sequence arrays into one row-aligned array (the layout of a LogitsBlock). */
export function flattenPerToken(perSeq: ArrayLike<ArrayLike<number>>): Float32Array {
  let n = 0;
  for (let i = 0; i < perSeq.length; i++) n += perSeq[i].length;
  const out = new Float32Array(n);
  let o = 0;
  for (let i = 0; i < perSeq.length; i++) for (let t = 0; t < perSeq[i].length; t++) out[o++] = perSeq[i][t];
  return out;
}
