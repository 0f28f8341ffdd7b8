/**
 * The masked-diffusion (MDLM / LLaDA) training objective. Each sequence b draws a mask rate
 * t_b ~ U(0, 1]; every completion position is masked independently with probability t_b; the
 * loss is the cross-entropy of the true tokens at the masked positions, each scaled by 1 / t_b,
 * summed and divided by the completion length L (and averaged over the batch):
 *
 *   loss = (1 / B) * sum_b  sum_{i masked in b} -log p(x0_i | x_t) / (t_b * L)
 *
 * The 1/t weight makes it an upper bound on the negative log-likelihood (the ELBO of absorbing
 * diffusion); without it low-t rows, with few masked tokens, would count as much as high-t ones.
 */
import { crossEntropy, type Tensor } from '../engine/index.ts';
import type { Rng } from '../util/rng.ts';

/** Smallest mask rate, so 1/t stays bounded (LLaDA: t = (1 - eps) u + eps). */
export const MIN_MASK_RATE = 1e-3;

export function drawMaskRate(rng: Rng): number {
  return (1 - MIN_MASK_RATE) * (1 - rng.next()) + MIN_MASK_RATE; // 1 - next() is in (0, 1]
}

/**
 * B mask rates, one per stratum ((b + u) / B with one shared u, MDLM's low-discrepancy
 * sampler): each is still U(0, 1] marginally, so the loss keeps its expectation, but a batch
 * never holds several tiny-t rows, whose 1/t weights would make the gradient all noise.
 */
export function drawMaskRates(rng: Rng, B: number, stratified: boolean): number[] {
  if (!stratified) return Array.from({ length: B }, () => drawMaskRate(rng));
  const u = 1 - rng.next();
  return Array.from({ length: B }, (_, b) => (1 - MIN_MASK_RATE) * ((b + u) / B) + MIN_MASK_RATE);
}

/**
 * logits [N, V] of the N masked positions (any order), their true tokens, the mask rate of the
 * sequence each came from, the completion length L and the number of sequences B.
 */
export function maskedDiffusionLoss(logits: Tensor, targets: Int32Array, rates: Float32Array, L: number, B: number): Tensor {
  if (rates.length !== targets.length) throw new Error(`maskedDiffusionLoss: ${rates.length} rates for ${targets.length} masked positions`);
  const w = new Float32Array(rates.length);
  for (let i = 0; i < w.length; i++) {
    if (!(rates[i] > 0 && rates[i] <= 1)) throw new Error(`maskedDiffusionLoss: mask rate ${rates[i]} at row ${i} is outside (0, 1]`);
    w[i] = 1 / (rates[i] * L * B);
  }
  return crossEntropy(logits, targets, { weights: w, reduction: 'sum' });
}
