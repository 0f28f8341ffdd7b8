/**
 * Generalised Jensen-Shannon divergence JSD(beta) toward a teacher's top-k distribution
 * (OPSD / GKD, SDPO), over a closed support (support.ts).
 *
 *   m = beta q + (1 - beta) p,   JSD_beta = beta KL(q || m) + (1 - beta) KL(p || m)   (0 < beta < 1)
 *
 * Limits (the GKD convention, docs/losses.md): beta = 0 IS forward KL(q || p) and beta = 1 IS
 * reverse KL(p || q). Plugged into the formula, both ends give 0 (m collapses onto p or q),
 * so the ends are defined as the limits of the divergence divided by its vanishing scale:
 *   JSD_beta / beta -> KL(q || p) as beta -> 0,   JSD_beta / (1 - beta) -> KL(p || q) as beta -> 1.
 * The value therefore jumps in scale at the two ends (JSD_0.5 <= ln 2, KL is unbounded); tests
 * check both ends exactly and the scaled limits numerically.
 *
 * Gradients, per closed outcome j, as g_j = dL/dlog p~_j (support.ts applies the softmax Jacobian):
 *   0 < beta < 1: dJSD/dp_j = (1 - beta) log(p_j / m_j)   =>  g_j = (1 - beta) p_j log(p_j / m_j)
 *   beta = 0 (forward KL): g_j = -q_j          (the soft cross-entropy gradient)
 *   beta = 1 (reverse KL): g_j = p_j (log p_j - log q_j + 1)
 * Reverse KL needs log q where the teacher gives 0 (e.g. a tail whose teacher mass rounded to
 * 0): q is floored at `minTeacherProb` (default 1e-10) there, so the loss stays finite and
 * still pushes the student's mass off that outcome.
 *
 * SDPO's per-token importance weight: w_is = min(exp(logp(y_t) - logp_old(y_t)), clip), with
 * logp(y_t) under the current full-vocabulary softmax and a STOP-GRADIENT on w_is: it rescales
 * the row's weight and contributes no gradient of its own.
 */
import type { LogitsBlock, LossResult, Support, TopKTargets } from './types.ts';
import { checkBlock, checkIds, checkLength, checkWeights, fail, logAddExp, MetricMeans, tokenLogp, type Weights } from './common.ts';
import { checkTargets, ClosedRow } from './support.ts';

const FN = 'generalizedJsd';

export interface ImportanceWeight {
  /** The sampled token at each row [N]. */
  tokens: ArrayLike<number>;
  /** The sampler's log-prob of that token [N]. */
  logpOld: ArrayLike<number>;
  /** Upper clip of the ratio (SDPO: 2). */
  clip: number;
}

export interface JsdOptions {
  support?: Support;
  importance?: ImportanceWeight;
  /** Floor on teacher probabilities inside log q (reverse KL only). */
  minTeacherProb?: number;
}

/** Per-row divergence and its g_j over one closed row. Returns the divergence. */
function rowDivergence(row: ClosedRow, beta: number, floor: number, g: Float64Array): number {
  let d = 0;
  if (beta === 0) {
    for (let j = 0; j < row.m; j++) {
      const q = row.q[j];
      g[j] = -q;
      if (q > 0) d += q * (Math.log(q) - row.logp[j]);
    }
    return d;
  }
  if (beta === 1) {
    const logFloor = Math.log(floor);
    for (let j = 0; j < row.m; j++) {
      const lp = row.logp[j];
      const p = Math.exp(lp);
      const lq = row.q[j] > floor ? Math.log(row.q[j]) : logFloor;
      g[j] = p > 0 ? p * (lp - lq + 1) : 0;
      if (p > 0) d += p * (lp - lq);
    }
    return d;
  }
  const lb = Math.log(beta), l1b = Math.log1p(-beta);
  for (let j = 0; j < row.m; j++) {
    const q = row.q[j], lp = row.logp[j];
    const p = Math.exp(lp);
    const lq = q > 0 ? Math.log(q) : -Infinity;
    // log m = logaddexp(log beta + log q, log(1-beta) + log p): stays finite when p underflows.
    const lm = logAddExp(lb + lq, l1b + lp);
    if (q > 0) d += beta * q * (lq - lm);
    if (p > 0) {
      d += (1 - beta) * p * (lp - lm);
      g[j] = (1 - beta) * p * (lp - lm);
    } else g[j] = 0;
  }
  return d;
}

/**
 * sum_r w_r * w_is,r * D_beta(row r). perRow = D_beta (unweighted, no importance weight).
 * Metrics: `div` (mean D), teacherMass, studentMass, overlap (see softCrossEntropy), and with
 * an importance weight `isWeight` (mean w_is) and `isClipFrac` (fraction of rows clipped).
 */
export function generalizedJsd(
  block: LogitsBlock,
  targets: TopKTargets,
  rowWeights: Weights,
  beta: number,
  opts: JsdOptions = {},
): LossResult {
  const support = opts.support ?? 'tail';
  checkBlock(FN, block);
  checkTargets(FN, block, targets, support);
  checkWeights(FN, 'rowWeights', rowWeights, block.N);
  if (!(beta >= 0 && beta <= 1)) fail(FN, `beta must be in [0, 1], got ${beta}`);
  const floor = opts.minTeacherProb ?? 1e-10;
  if (!(floor > 0 && floor < 1)) fail(FN, `minTeacherProb must be in (0, 1), got ${floor}`);
  const imp = opts.importance;
  if (imp) {
    checkLength(FN, 'importance.tokens', imp.tokens, block.N);
    checkIds(FN, 'importance.tokens', imp.tokens, block.V);
    checkLength(FN, 'importance.logpOld', imp.logpOld, block.N);
    if (!(imp.clip > 0)) fail(FN, `importance.clip must be > 0, got ${imp.clip}`);
  }
  const { N, V, logits } = block;
  const grad = new Float32Array(N * V);
  const perRow = new Float32Array(N);
  const row = new ClosedRow(block, targets, support, FN);
  const g = new Float64Array(targets.k + 1);
  const mm = new MetricMeans();
  let loss = 0;
  for (let r = 0; r < N; r++) {
    let w = rowWeights[r];
    if (w === 0) continue;
    mm.rows++;
    if (imp) {
      const ratio = Math.exp(tokenLogp(logits, r, V, imp.tokens[r]).logp - imp.logpOld[r]);
      const wis = Math.min(ratio, imp.clip);
      mm.add('isWeight', wis);
      mm.add('isClipFrac', ratio > imp.clip ? 1 : 0);
      w *= wis;
    }
    row.close(r);
    const d = rowDivergence(row, beta, floor, g);
    perRow[r] = d;
    loss += w * d;
    if (w !== 0) row.backward(r, g, w, grad);
    mm.add('div', d);
    mm.add('teacherMass', row.teacherMassK);
    mm.add('studentMass', row.studentMassK);
    mm.add('overlap', row.overlapK);
  }
  return { loss, grad, perRow, metrics: mm.means() };
}
