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
 *
 * Entropy-preserving variants (losses/covariance.ts picks the rows, over this block):
 *   klCov:   L_t = -rho A, plus coef |logp - logp_old| on the rows of largest covariance; no
 *            clipping anywhere. The penalty has zero gradient at logp = logp_old (within
 *            KL_COV_DEADZONE), so it acts only from the second update on a batch.
 *   clipCov: the clipped surrogate, with L_t = 0 (no gradient) on the drawn rows.
 */
import type { LogitsBlock, LossResult } from './types.ts';
import { addLogpGrad, checkBlock, checkIds, checkLength, checkWeights, fail, MetricMeans, tokenLogp, type Weights } from './common.ts';
import { clipCovRows, klCovRows, tokenCovariance } from './covariance.ts';

const FN = 'clippedPolicyGradient';

/**
 * The sampler (KV-cache decoder) and the trainer's forward agree on log-probs to about 1e-6,
 * not bit for bit: KL-Cov's |logp - logp_old| gets no gradient below this difference, so that
 * the first update on a batch is the plain policy gradient, as with an exact logp_old.
 */
export const KL_COV_DEADZONE = 1e-4;

export interface PolicyGradientOptions {
  /** Lower clip: rho >= 1 - epsLow. Default 0.2. */
  epsLow?: number;
  /** Upper clip: rho <= 1 + epsHigh. Default 0.28 (DAPO's clip-higher). */
  epsHigh?: number;
  /** Coefficient of the k3 penalty toward the reference policy (default 0: off). */
  betaKl?: number;
  /** Reference log-prob of each sampled token [N]; required when betaKl > 0. */
  logpRef?: ArrayLike<number>;
  /** KL-Cov: penalise |logp - logp_old| on the top `ratio` of rows by covariance, and do not clip. */
  klCov?: { ratio: number; coef: number };
  /** Clip-Cov: no gradient on `ratio` of the rows drawn (from `seed`) among those with lb < cov < ub. */
  clipCov?: { ratio: number; lb: number; ub: number; seed: number };
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
  const { klCov, clipCov } = opts;
  if (klCov && clipCov) fail(FN, 'klCov and clipCov are alternatives; give one');
  if (klCov && !(klCov.ratio >= 0 && klCov.ratio <= 1 && klCov.coef >= 0)) fail(FN, `klCov needs ratio in [0, 1] and coef >= 0, got ${JSON.stringify(klCov)}`);
  if (clipCov && !(clipCov.ratio >= 0 && clipCov.ratio <= 1 && clipCov.lb < clipCov.ub)) fail(FN, `clipCov needs ratio in [0, 1] and lb < ub, got ${JSON.stringify(clipCov)}`);
  let covRows: Set<number> | null = null;
  if (klCov || clipCov) {
    const logpAll = new Float64Array(N);
    for (let r = 0; r < N; r++) if (rowWeights[r] !== 0) logpAll[r] = tokenLogp(logits, r, V, tokens[r]).logp;
    const cov = tokenCovariance(advantages, logpAll, (r) => rowWeights[r] !== 0);
    covRows = klCov
      ? klCovRows(cov, klCov.ratio)
      : clipCovRows(cov, clipCov!.ratio, clipCov!.lb, clipCov!.ub, clipCov!.seed, (r) => {
          // Rows the PPO clip already stops are not drawn.
          const rho = Math.exp(logpAll[r] - logpOld[r]), A = advantages[r];
          return rho * A > Math.min(Math.max(rho, lo), hi) * A;
        });
  }

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
    if (klCov) {
      L = -unclipped;
      dLogp = -rho * A;
      if (covRows!.has(r)) {
        const d = logp - logpOld[r];
        L += klCov.coef * Math.abs(d);
        // |d| has gradient sign(d): below the sampler/trainer disagreement it is noise, not a move.
        if (Math.abs(d) > KL_COV_DEADZONE) dLogp += klCov.coef * Math.sign(d);
      }
    } else if (unclipped <= clipped) {
      L = -unclipped;
      dLogp = -rho * A;
    } else {
      L = -clipped;
      dLogp = 0;
    }
    if (clipCov && covRows!.has(r)) {
      L = 0;
      dLogp = 0;
    }
    if (covRows) mm.add('covSelected', covRows.has(r) ? 1 : 0);
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
    mm.add('clipFrac', !klCov && unclipped > clipped ? 1 : 0);
    mm.add('clipLowFrac', rho < lo ? 1 : 0);
    mm.add('clipHighFrac', rho > hi ? 1 : 0);
    mm.add('advantage', A);
    mm.add('logp', logp);
  }
  return { loss, grad, perRow, metrics: mm.means() };
}
