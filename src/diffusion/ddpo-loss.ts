/**
 * The DDPO objectives on one batch of (image, timestep) rows, with the gradient by hand.
 *
 *   is (DDPO_IS): L = mean_r max(-A_r rho_r, -A_r clip(rho_r, 1 - c, 1 + c)), rho = exp(logp - logp_old)
 *   sf (DDPO_SF): L = mean_r -A_r logp_r  (REINFORCE: the gradient of `is` at rho = 1)
 *
 * dL/dlogp_r for `is` is -A_r rho_r / N while the unclipped branch is the max (always inside the
 * clip range), else 0: the same rule as losses/policyGradient.ts, there written with min over
 * the objective. At the first update rho = 1 and both variants give the same gradient.
 */
export type DdpoVariant = 'is' | 'sf';

export interface SurrogateResult {
  loss: number;
  /** dL/dlogp per row. */
  dLogp: Float64Array;
  /** Share of rows where the clipped branch won (no gradient). */
  clipFrac: number;
  /** 0.5 mean (logp - logp_old)^2, the reference code's KL estimate. */
  approxKl: number;
  ratioMean: number;
}

export function ddpoSurrogate(variant: DdpoVariant, logp: ArrayLike<number>, logpOld: ArrayLike<number>, adv: ArrayLike<number>, clipRange: number): SurrogateResult {
  const N = logp.length;
  if (logpOld.length !== N || adv.length !== N) throw new Error(`ddpo loss: ${N} log-probs but ${logpOld.length} old log-probs and ${adv.length} advantages`);
  if (N === 0) throw new Error('ddpo loss: no rows');
  if (!(clipRange > 0)) throw new Error(`ddpo loss: clip range must be > 0, got ${clipRange}`);
  const dLogp = new Float64Array(N);
  let loss = 0, clipped = 0, kl = 0, ratioSum = 0;
  for (let r = 0; r < N; r++) {
    const diff = logp[r] - logpOld[r], rho = Math.exp(diff), A = adv[r];
    kl += 0.5 * diff * diff;
    ratioSum += rho;
    if (variant === 'sf') {
      loss += -A * logp[r];
      dLogp[r] = -A / N;
      continue;
    }
    const unclipped = -A * rho, clippedLoss = -A * Math.min(1 + clipRange, Math.max(1 - clipRange, rho));
    const inside = rho >= 1 - clipRange && rho <= 1 + clipRange;
    if (inside || unclipped > clippedLoss) {
      loss += unclipped;
      dLogp[r] = (-A * rho) / N;
    } else {
      loss += clippedLoss;
      clipped++;
    }
  }
  return { loss: loss / N, dLogp, clipFrac: clipped / N, approxKl: kl / N, ratioMean: ratioSum / N };
}
