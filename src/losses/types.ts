/**
 * Losses are small pure functions over a block of student logits [N, V] (one row per
 * completion position being trained) and fixed per-row data. Each returns the weighted loss
 * and its exact gradient with respect to the logits, so that the local backend only has to
 * back-propagate dLogits through the model, and a server could compute the same terms.
 * Aggregation (token_mean, seq_mean, fixed_len) and masks are expressed as per-row weights.
 */
import type { Support } from '../engine/kernels/types.ts';
export type { Support };

export interface LogitsBlock {
  /** [N, V] row-major. */
  logits: Float32Array;
  N: number;
  V: number;
}

/** A teacher's top-k distribution at each of N positions. */
export interface TopKTargets {
  k: number;
  /** [N, k] token ids, descending probability. */
  ids: Int32Array;
  /** [N, k] probabilities (each row sums to <= 1). */
  probs: Float32Array;
}

export interface LossResult {
  /** sum_r rowWeights[r] * loss_r (already weighted and aggregated). */
  loss: number;
  /** d loss / d logits, [N, V]. */
  grad: Float32Array;
  /** Per-row unweighted values and anything useful to log (means over rows with weight > 0). */
  perRow?: Float32Array;
  metrics: Record<string, number>;
}
