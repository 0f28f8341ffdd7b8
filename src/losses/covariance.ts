/**
 * Which tokens KL-Cov and Clip-Cov regularise (the entropy mechanism of RL for LMs): the
 * policy's entropy falls fastest through tokens whose log-prob and advantage covary, so
 *   cov_t = (A_t - mean A)(logp_t - mean logp)     (over the rows being trained, detached)
 * KL-Cov: the top max(1, floor(ratio N)) tokens by cov get a penalty coef |logp - logp_old|
 *   (and nothing is clipped); Clip-Cov: max(1, floor(ratio N)) tokens drawn at random among
 *   those with lb < cov < ub that the PPO clip does not already stop lose their gradient.
 * Ties in the top-k go to the earlier row.
 */
import { Rng } from '../util/rng.ts';

/** cov_t over the rows with weight > 0 (NaN elsewhere). */
export function tokenCovariance(advantages: ArrayLike<number>, logp: ArrayLike<number>, active: (r: number) => boolean): Float64Array {
  const N = advantages.length;
  let ma = 0, ml = 0, n = 0;
  for (let r = 0; r < N; r++) {
    if (!active(r)) continue;
    ma += advantages[r];
    ml += logp[r];
    n++;
  }
  const out = new Float64Array(N).fill(NaN);
  if (!n) return out;
  ma /= n;
  ml /= n;
  for (let r = 0; r < N; r++) if (active(r)) out[r] = (advantages[r] - ma) * (logp[r] - ml);
  return out;
}

function countOf(ratio: number, n: number): number {
  return n ? Math.max(1, Math.floor(ratio * n)) : 0;
}

/** KL-Cov: the rows with the largest covariance. */
export function klCovRows(cov: Float64Array, ratio: number): Set<number> {
  const rows = [...cov.keys()].filter((r) => !Number.isNaN(cov[r]));
  if (!(ratio > 0)) return new Set();
  rows.sort((a, b) => cov[b] - cov[a] || a - b);
  return new Set(rows.slice(0, countOf(ratio, rows.length)));
}

/** Clip-Cov: rows drawn (seeded) among those with lb < cov < ub that are not excluded. */
export function clipCovRows(cov: Float64Array, ratio: number, lb: number, ub: number, seed: number, excluded: (r: number) => boolean): Set<number> {
  if (!(ratio > 0)) return new Set();
  const active = [...cov.keys()].filter((r) => !Number.isNaN(cov[r]));
  const eligible = active.filter((r) => cov[r] > lb && cov[r] < ub && !excluded(r));
  return new Set(new Rng(seed).shuffle(eligible).slice(0, countOf(ratio, active.length)));
}
