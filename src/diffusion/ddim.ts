/**
 * One DDIM step as a Gaussian policy (DDPO's view of denoising as a decision process).
 *
 *   x0_hat  = (x_t - sqrt(1 - abar_t) eps) / sqrt(abar_t)
 *   sigma^2 = eta^2 (1 - abar_prev)/(1 - abar_t) (1 - abar_t/abar_prev)
 *   mu      = sqrt(abar_prev) x0_hat + sqrt(1 - abar_prev - sigma^2) eps
 *   log pi(x_prev | x_t) = mean over pixels of -(x_prev - mu)^2/(2 sigma^2) - log sigma - log sqrt(2 pi)
 *
 * mu is linear in eps: mu = cx x_t + ce eps, so d log pi / d eps_i = (x_prev_i - mu_i) ce / (sigma^2 P).
 * That gradient is what the trainer feeds back into the denoiser (`eps.backward(dEps)`).
 *
 * With `clipSample` (as diffusers' DDPM/DDIM schedulers do by default in pixel space) x0_hat is
 * clamped to [-1, 1] before mu is formed; a clamped pixel's mu then moves with eps only through
 * the direction term, so its ce is sqrt(1 - abar_prev - sigma^2) alone.
 * The mean over pixels (not the sum) follows the DDPO reference code; it only rescales the
 * objective, and keeps ratios near 1 for the tight clip.
 */
const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

export interface DdimCoefficients {
  /** mu = cx * x_t + ce * eps (without clipping) */
  cx: number;
  ce: number;
  sigma: number;
  /** sqrt(abar), sqrt(1 - abar), sqrt(abar_prev), sqrt(1 - abar_prev - sigma^2). */
  sa: number;
  sb: number;
  sap: number;
  dir: number;
  clipSample: boolean;
}

export function ddimCoefficients(abar: number, abarPrev: number, eta: number, clipSample = false): DdimCoefficients {
  if (!(abar > 0 && abar < 1 && abarPrev > 0 && abarPrev <= 1)) throw new Error(`ddim step: alpha-bars must be in (0, 1), got abar ${abar}, abarPrev ${abarPrev}`);
  if (!(eta >= 0)) throw new Error(`ddim step: eta must be >= 0, got ${eta}`);
  const variance = ((1 - abarPrev) / (1 - abar)) * (1 - abar / abarPrev);
  const sigma = eta * Math.sqrt(Math.max(variance, 0));
  const dirCoef = Math.sqrt(Math.max(1 - abarPrev - sigma * sigma, 0));
  const sa = Math.sqrt(abar), sap = Math.sqrt(abarPrev);
  const sb = Math.sqrt(1 - abar);
  return { cx: sap / sa, ce: dirCoef - (sap * sb) / sa, sigma, sa, sb, sap, dir: dirCoef, clipSample };
}

/** mu of one pixel and d mu / d eps. */
function pixelMean(c: DdimCoefficients, x: number, e: number): [number, number] {
  if (!c.clipSample) return [c.cx * x + c.ce * e, c.ce];
  const x0 = (x - c.sb * e) / c.sa;
  if (x0 > 1) return [c.sap + c.dir * e, c.dir];
  if (x0 < -1) return [-c.sap + c.dir * e, c.dir];
  return [c.cx * x + c.ce * e, c.ce];
}

/** mu for `rows` images of P pixels into `out`. */
export function ddimMean(c: DdimCoefficients, xt: Float32Array, eps: Float32Array, out: Float32Array): Float32Array {
  for (let i = 0; i < xt.length; i++) out[i] = pixelMean(c, xt[i], eps[i])[0];
  return out;
}

/**
 * log pi(x_prev | x_t) per image (rows of P pixels) and, when `dEps` is given, d logp_r / d eps
 * scaled by `dLogp[r]` written into dEps (the chain rule for the caller's loss).
 */
export function ddimLogProb(
  c: DdimCoefficients,
  xt: Float32Array,
  eps: Float32Array,
  xPrev: Float32Array,
  P: number,
  grad?: { dLogp: ArrayLike<number>; dEps: Float32Array },
): Float64Array {
  if (!(c.sigma > 0)) throw new Error('ddim log-prob needs eta > 0 (a deterministic step has no density)');
  const rows = xt.length / P;
  if (!Number.isInteger(rows) || eps.length !== xt.length || xPrev.length !== xt.length) throw new Error(`ddim log-prob: x_t, eps and x_prev must all hold rows of ${P} pixels`);
  const out = new Float64Array(rows);
  const inv2s2 = 1 / (2 * c.sigma * c.sigma), logS = Math.log(c.sigma);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    const g = grad ? grad.dLogp[r] / (c.sigma * c.sigma * P) : 0;
    for (let i = r * P; i < (r + 1) * P; i++) {
      const [mu, dmu] = pixelMean(c, xt[i], eps[i]);
      const d = xPrev[i] - mu;
      s += -d * d * inv2s2;
      if (grad) grad.dEps[i] = g * d * dmu;
    }
    out[r] = s / P - logS - LOG_SQRT_2PI;
  }
  return out;
}
