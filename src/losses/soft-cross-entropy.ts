/**
 * Forward cross-entropy from a teacher's top-k distribution to the student (DistIL's local
 * term, docs/losses.md): per row  H_r = - sum_j q~_j log p~_j  over the closed support (see
 * support.ts for renorm | tail | full). The loss is sum_r w_r H_r.
 *
 * Gradient per row (before the weight), with g_j = -q~_j:
 *   full / tail: dz = p * sum_j q~_j - (q~ on K, and q~_tail * p / P_tail off K)
 *   which for a closed teacher that sums to 1 is the familiar p - q.
 */
import type { LogitsBlock, LossResult, Support, TopKTargets } from './types.ts';
import { checkBlock, checkWeights, MetricMeans, type Weights } from './common.ts';
import { checkTargets, ClosedRow } from './support.ts';

const FN = 'softCrossEntropy';

/**
 * Metrics (means over rows with weight > 0):
 * - `ce`: H(q~, p~); `kl`: H(q~, p~) - H(q~) = KL(q~ || p~) over the closed support.
 * - `teacherMass`: sum_K q (raw); `studentMass`: sum_K p (full-vocabulary softmax).
 * - `overlap`: sum_K min(p_v, q_v) with the raw probabilities: the mass both put on the same
 *   visible tokens (1 - total variation when K is the whole vocabulary). Always <= both masses.
 */
export function softCrossEntropy(
  block: LogitsBlock,
  targets: TopKTargets,
  rowWeights: Weights,
  support: Support = 'tail',
): LossResult {
  checkBlock(FN, block);
  checkTargets(FN, block, targets, support);
  checkWeights(FN, 'rowWeights', rowWeights, block.N);
  const { N, V } = block;
  const grad = new Float32Array(N * V);
  const perRow = new Float32Array(N);
  const row = new ClosedRow(block, targets, support, FN);
  const g = new Float64Array(targets.k + 1);
  const mm = new MetricMeans();
  let loss = 0;
  for (let r = 0; r < N; r++) {
    const w = rowWeights[r];
    if (w === 0) continue;
    row.close(r);
    let H = 0, Hq = 0;
    for (let j = 0; j < row.m; j++) {
      const q = row.q[j];
      g[j] = -q;
      // 0 * log 0 = 0: an outcome the teacher gives no mass contributes nothing, even when the
      // student's mass on it is 0 too.
      if (q > 0) {
        H -= q * row.logp[j];
        Hq -= q * Math.log(q);
      }
    }
    row.backward(r, g, w, grad);
    loss += w * H;
    perRow[r] = H;
    mm.rows++;
    mm.add('ce', H);
    mm.add('kl', H - Hq);
    mm.add('teacherMass', row.teacherMassK);
    mm.add('studentMass', row.studentMassK);
    mm.add('overlap', row.overlapK);
  }
  return { loss, grad, perRow, metrics: mm.means() };
}

/**
 * Per-row H(q~, p~) and KL(q~ || p~) over the closed support, for every row, without a
 * gradient: the inputs to future credit (H_t of each visited state) and to KL-based masks.
 */
export function rowCrossEntropies(block: LogitsBlock, targets: TopKTargets, support: Support = 'tail'): { ce: Float64Array; kl: Float64Array } {
  checkBlock('rowCrossEntropies', block);
  checkTargets('rowCrossEntropies', block, targets, support);
  const ce = new Float64Array(block.N), kl = new Float64Array(block.N);
  const row = new ClosedRow(block, targets, support, 'rowCrossEntropies');
  for (let r = 0; r < block.N; r++) {
    row.close(r);
    let H = 0, Hq = 0;
    for (let j = 0; j < row.m; j++) {
      const q = row.q[j];
      if (q > 0) {
        H -= q * row.logp[j];
        Hq -= q * Math.log(q);
      }
    }
    ce[r] = H;
    kl[r] = H - Hq;
  }
  return { ce, kl };
}
