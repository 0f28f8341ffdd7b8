/**
 * Clipped importance-sampled policy gradient with an optional k3 KL penalty (GRPO / DAPO, OPD,
 * and DistIL's future-credit term), one row per sampled token y_t:
 *
 *   logp  = log softmax(z)[y_t]                 (the only thing the gradient flows through)
 *   rho   = exp(logp - logp_old)
 *   L_t   = -min(rho A, clip(rho, 1 - epsLow, 1 + epsHigh) A) + betaKl * k3
 *   k3    = exp(ref - logp) - (ref - logp) - 1  (>= 0; an unbiased-in-expectation KL(p||ref) estimate)
 *
 * dL_t/dlogp:
 *   - surrogate: -rho A when the unclipped branch is the min (rho A <= clip(rho) A), else 0:
 *     the clipped branch is constant in logp, which is exactly what stops the update once the
 *     ratio has moved past the trust region in the direction the advantage wants.
 *   - k3: 1 - exp(ref - logp).
 * Then dlogp/dz = onehot(y) - softmax(z). A positive advantage raises logp(y_t).
 */
import type { LogitsBlock, LossResult } from './types.ts';
import { addLogpGrad, checkBlock, checkIds, checkLength, checkWeights, fail, MetricMeans, tokenLogp, type Weights } from './common.ts';

const FN = 'clippedPolicyGradient';

export interface PolicyGradientOptions {
  /** Lower clip: rho >= 1 - epsLow. Default 0.2. */
  epsLow?: number;
  /** Upper clip: rho <= 1 + epsHigh. Default 0.28 (DAPO's clip-higher). */
  epsHigh?: number;
  /** Coefficient of the k3 penalty toward the reference policy (default 0: off). */
  betaKl?: number;
  /** Reference log-prob of each sampled token [N]; required when betaKl > 0. */
  logpRef?: ArrayLike<number>;
}

/**
 * sum_r w_r L_r. perRow = L_r (unweighted). Metrics (means over rows with weight > 0):
 * `pgLoss` (the surrogate part), `ratio` (mean rho), `clipFrac` (fraction of rows where the
 * clipped branch is the min, i.e. the surrogate gives no gradient), `clipLowFrac` /
 * `clipHighFrac` (rho below 1 - epsLow / above 1 + epsHigh, whatever the advantage's sign),
 * `advantage`, `logp`, and with a reference `k3` (mean k3).
 */
export function clippedPolicyGradient(
  block: LogitsBlock,
  tokens: ArrayLike<number>,
  advantages: ArrayLike<number>,
  logpOld: ArrayLike<number>,
  rowWeights: Weights,
  opts: PolicyGradientOptions = {},
): LossResult {
  checkBlock(FN, block);
  const { N, V, logits } = block;
  checkLength(FN, 'tokens', tokens, N);
  checkIds(FN, 'tokens', tokens, V);
  checkLength(FN, 'advantages', advantages, N);
  checkLength(FN, 'logpOld', logpOld, N);
  checkWeights(FN, 'rowWeights', rowWeights, N);
  const epsLow = opts.epsLow ?? 0.2, epsHigh = opts.epsHigh ?? 0.28;
  if (!(epsLow >= 0 && epsLow < 1)) fail(FN, `epsLow must be in [0, 1), got ${epsLow}`);
  if (!(epsHigh >= 0)) fail(FN, `epsHigh must be >= 0, got ${epsHigh}`);
  const betaKl = opts.betaKl ?? 0;
  if (!(betaKl >= 0)) fail(FN, `betaKl must be >= 0, got ${betaKl}`);
  const ref = opts.logpRef;
  if (betaKl > 0 && !ref) fail(FN, 'betaKl > 0 needs logpRef (the reference log-prob of each sampled token)');
  if (ref) checkLength(FN, 'logpRef', ref, N);
  const lo = 1 - epsLow, hi = 1 + epsHigh;

  const grad = new Float32Array(N * V);
  const perRow = new Float32Array(N);
  const mm = new MetricMeans();
  let loss = 0;
  for (let r = 0; r < N; r++) {
    const w = rowWeights[r];
    if (w === 0) continue;
    const y = tokens[r], A = advantages[r];
    if (!Number.isFinite(A)) fail(FN, `advantages[${r}] = ${A} is not finite`);
    const { logp, lse } = tokenLogp(logits, r, V, y);
    const rho = Math.exp(logp - logpOld[r]);
    const unclipped = rho * A;
    const clipped = Math.min(Math.max(rho, lo), hi) * A;
    let L: number, dLogp: number;
    if (unclipped <= clipped) {
      L = -unclipped;
      dLogp = -rho * A;
    } else {
      L = -clipped;
      dLogp = 0;
    }
    mm.add('pgLoss', L);
    if (ref) {
      const d = ref[r] - logp;
      const k3 = Math.exp(d) - d - 1;
      mm.add('k3', k3);
      if (betaKl > 0) {
        L += betaKl * k3;
        dLogp += betaKl * (1 - Math.exp(d));
      }
    }
    perRow[r] = L;
    loss += w * L;
    if (dLogp !== 0) addLogpGrad(logits, r, V, y, lse, w * dLogp, grad);
    mm.rows++;
    mm.add('ratio', rho);
    mm.add('clipFrac', unclipped > clipped ? 1 : 0);
    mm.add('clipLowFrac', rho < lo ? 1 : 0);
    mm.add('clipHighFrac', rho > hi ? 1 : 0);
    mm.add('advantage', A);
    mm.add('logp', logp);
  }
  return { loss, grad, perRow, metrics: mm.means() };
}
