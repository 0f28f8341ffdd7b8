/**
 * Weighted target log-probs: the one training primitive of a Tinker-style service
 * ("cross_entropy" with (N, M) target ids and weights). Per row r and column c,
 *   L = - sum_r sum_c w_rc log softmax(z_r)[t_rc]
 * summed, never normalised: whoever builds the weights has already put any aggregation in
 * them. Weights may have any sign (the two-pass remote path sends minus a gradient).
 * Gradient: dL/dz_r = sum_c w_rc (softmax(z_r) - onehot(t_rc)) = p_r * W_r - sum_c w_rc e_{t_rc}
 * with W_r = sum_c w_rc.
 * A target id < 0 marks a padding column (no logprob, no gradient).
 */
import type { LogitsBlock, LossResult } from './types.ts';
import { checkBlock, checkIds, checkLength, fail, rowLse } from './common.ts';

const FN = 'targetLogprobs';

/** log softmax(z_r)[t_rc] for every row and column ([N, M]); padding columns (t < 0) give NaN. */
export function logprobsAt(block: LogitsBlock, ids: ArrayLike<number>, M: number): Float32Array {
  checkBlock(FN, block);
  const { N, V, logits } = block;
  checkLength(FN, 'ids', ids, N, M);
  checkIds(FN, 'ids', ids, V, true);
  const out = new Float32Array(N * M);
  for (let r = 0; r < N; r++) {
    const lse = rowLse(logits, r * V, V);
    for (let c = 0; c < M; c++) {
      const t = ids[r * M + c];
      out[r * M + c] = t < 0 ? NaN : logits[r * V + t] - lse;
    }
  }
  return out;
}

/** Loss and dLogits of the weighted sum above. Metrics: `weightSum` (sum of all weights). */
export function weightedTargetLogprobs(block: LogitsBlock, ids: ArrayLike<number>, weights: ArrayLike<number>, M: number): LossResult {
  checkBlock(FN, block);
  const { N, V, logits } = block;
  if (!Number.isInteger(M) || M < 1) fail(FN, `M (targets per row) must be a positive integer, got ${M}`);
  checkLength(FN, 'ids', ids, N, M);
  checkLength(FN, 'weights', weights, N, M);
  checkIds(FN, 'ids', ids, V, true);
  for (let i = 0; i < weights.length; i++) if (!Number.isFinite(weights[i])) fail(FN, `weights[${i}] = ${weights[i]} is not finite`);
  const grad = new Float32Array(N * V);
  let loss = 0, weightSum = 0;
  for (let r = 0; r < N; r++) {
    let W = 0;
    for (let c = 0; c < M; c++) if (ids[r * M + c] >= 0) W += weights[r * M + c];
    let any = false;
    for (let c = 0; c < M; c++) if (ids[r * M + c] >= 0 && weights[r * M + c] !== 0) any = true;
    if (!any) continue;
    const off = r * V;
    const lse = rowLse(logits, off, V);
    for (let v = 0; v < V; v++) grad[off + v] += Math.exp(logits[off + v] - lse) * W;
    for (let c = 0; c < M; c++) {
      const t = ids[r * M + c], w = weights[r * M + c];
      if (t < 0 || w === 0) continue;
      loss -= w * (logits[off + t] - lse);
      grad[off + t] -= w;
    }
    weightSum += W;
  }
  return { loss, grad, metrics: { weightSum } };
}
