/**
 * Metric helpers over a logits block (no gradients): student entropy, the probability mass of
 * the student's own top k, its mass on given ids, its top probability, and the three usual
 * sampled-token KL estimators against a reference policy.
 */
import type { LogitsBlock } from './types.ts';
import { checkBlock, checkIds, checkLength, fail, rowLse, type Weights } from './common.ts';

/** H(p_r) = LSE(z) - sum_v p_v z_v per row, [N]. */
export function rowEntropy(block: LogitsBlock): Float32Array {
  checkBlock('rowEntropy', block);
  const { N, V, logits: z } = block;
  const out = new Float32Array(N);
  for (let r = 0; r < N; r++) {
    const off = r * V, lse = rowLse(z, off, V);
    let s = 0;
    for (let v = 0; v < V; v++) {
      const p = Math.exp(z[off + v] - lse);
      if (p > 0) s += p * z[off + v];
    }
    out[r] = lse - s;
  }
  return out;
}

/** max_v p_r(v) per row, [N]. */
export function rowMaxProb(block: LogitsBlock): Float32Array {
  checkBlock('rowMaxProb', block);
  const { N, V, logits: z } = block;
  const out = new Float32Array(N);
  for (let r = 0; r < N; r++) {
    const off = r * V;
    let mx = -Infinity;
    for (let v = 0; v < V; v++) if (z[off + v] > mx) mx = z[off + v];
    out[r] = Math.exp(mx - rowLse(z, off, V));
  }
  return out;
}

/** Student argmax per row (ties: lowest id), [N]. */
export function rowArgmax(block: LogitsBlock): Int32Array {
  checkBlock('rowArgmax', block);
  const { N, V, logits: z } = block;
  const out = new Int32Array(N);
  for (let r = 0; r < N; r++) {
    let best = 0;
    for (let v = 1; v < V; v++) if (z[r * V + v] > z[r * V + best]) best = v;
    out[r] = best;
  }
  return out;
}

/** Mass of the student's own k most likely tokens per row, [N]. */
export function topKMass(block: LogitsBlock, k: number): Float32Array {
  checkBlock('topKMass', block);
  const { N, V, logits: z } = block;
  if (!Number.isInteger(k) || k < 1 || k > V) fail('topKMass', `k must be an integer in [1, V = ${V}], got ${k}`);
  const out = new Float32Array(N);
  const row = new Float64Array(V);
  for (let r = 0; r < N; r++) {
    const off = r * V;
    for (let v = 0; v < V; v++) row[v] = z[off + v];
    row.sort();
    const lse = rowLse(z, off, V);
    let s = 0;
    for (let j = V - k; j < V; j++) s += Math.exp(row[j] - lse);
    out[r] = s;
  }
  return out;
}

/** Student mass on the given ids per row: ids [N, k], [N]. */
export function massOn(block: LogitsBlock, ids: ArrayLike<number>, k: number): Float32Array {
  checkBlock('massOn', block);
  const { N, V, logits: z } = block;
  checkLength('massOn', 'ids', ids, N, k);
  checkIds('massOn', 'ids', ids, V);
  const out = new Float32Array(N);
  for (let r = 0; r < N; r++) {
    const lse = rowLse(z, r * V, V);
    let s = 0;
    for (let j = 0; j < k; j++) s += Math.exp(z[r * V + ids[r * k + j]] - lse);
    out[r] = s;
  }
  return out;
}

/**
 * Weighted means of the sampled-token estimators of KL(p || ref), with d = logp - logpRef:
 * k1 = d (unbiased, noisy, can be negative), k2 = d^2 / 2, k3 = exp(-d) + d - 1 (unbiased, >= 0).
 */
export function klEstimates(logp: ArrayLike<number>, logpRef: ArrayLike<number>, weights?: Weights): { k1: number; k2: number; k3: number } {
  if (logp.length !== logpRef.length) fail('klEstimates', `logp has length ${logp.length}, logpRef ${logpRef.length}`);
  if (weights && weights.length !== logp.length) fail('klEstimates', `weights has length ${weights.length}, logp ${logp.length}`);
  let k1 = 0, k2 = 0, k3 = 0, W = 0;
  for (let i = 0; i < logp.length; i++) {
    const w = weights ? weights[i] : 1;
    if (w === 0) continue;
    const d = logp[i] - logpRef[i];
    k1 += w * d;
    k2 += w * 0.5 * d * d;
    k3 += w * (Math.exp(-d) + d - 1);
    W += w;
  }
  return W > 0 ? { k1: k1 / W, k2: k2 / W, k3: k3 / W } : { k1: 0, k2: 0, k3: 0 };
}

/** log p_r(y_r) per row under the full softmax, [N] (sampled-token log-probs, e.g. for OPD or ratios). */
export function tokenLogprobs(block: LogitsBlock, tokens: ArrayLike<number>): Float32Array {
  checkBlock('tokenLogprobs', block);
  checkLength('tokenLogprobs', 'tokens', tokens, block.N);
  checkIds('tokenLogprobs', 'tokens', tokens, block.V);
  const { N, V, logits: z } = block;
  return Float32Array.from({ length: N }, (_, r) => z[r * V + tokens[r]] - rowLse(z, r * V, V));
}
