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
import { checkBlock, checkWeights, fail, MetricMeans, type Weights } from './common.ts';
import { kernels } from '../engine/kernels/index.ts';
import { checkTargets, ClosedRow } from './support.ts';

const FN = 'softCrossEntropy';

/**
 * Metrics (means over rows with weight > 0):
 * - `ce`: H(q~, p~); `kl`: H(q~, p~) - H(q~) = KL(q~ || p~) over the closed support.
 * - `teacherMass`: sum_K q (raw); `studentMass`: sum_K p (full-vocabulary softmax).
 * - `overlap`: sum_K min(p_v, q_v) with the raw probabilities: the mass both put on the same
 *   visible tokens (1 - total variation when K is the whole vocabulary). Always <= both masses.
 *
 * The O(N V) work (log-sum-exps, the tail's complement, the gradient) is the engine's fused
 * softCrossEntropy kernel (native: threaded C++, one pass per row; the TypeScript reference
 * kernel otherwise); the metrics need only the k teacher ids of each row. On a 49k vocabulary
 * this is the difference between seconds and a fraction of a second per DistIL step.
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
  const { k, ids, probs } = targets;
  const w = Float32Array.from(rowWeights);
  for (let r = 0; r < N; r++) {
    if (w[r] === 0 || support !== 'renorm') continue;
    let mass = 0;
    for (let j = 0; j < k; j++) mass += probs[r * k + j];
    if (!(mass > 0)) fail(FN, `targets.probs row ${r} has zero mass; support 'renorm' cannot renormalise it`);
  }
  const grad = new Float32Array(N * V);
  const perRow = new Float32Array(N);
  const studentMass = new Float32Array(N), lse = new Float32Array(N);
  const loss = kernels().softCrossEntropy({
    logits: block.logits, N, V, ids, probs, k, support, rowWeights: w, lossOut: perRow, dLogits: grad, studentMassOut: studentMass, lseOut: lse,
  });
  const mm = new MetricMeans();
  for (let r = 0; r < N; r++) {
    if (w[r] === 0) {
      perRow[r] = 0; // as before: a row that does not count has no loss
      continue;
    }
    const H = perRow[r];
    let Q = 0, overlap = 0;
    for (let j = 0; j < k; j++) {
      const q = probs[r * k + j];
      Q += q;
      overlap += Math.min(q, Math.exp(block.logits[r * V + ids[r * k + j]] - lse[r]));
    }
    // Teacher entropy over the closed support: renormalised over K, or with the tail outcome.
    const scale = support === 'renorm' ? 1 / Q : 1;
    let Hq = 0;
    for (let j = 0; j < k; j++) {
      const q = probs[r * k + j] * scale;
      if (q > 0) Hq -= q * Math.log(q); // 0 log 0 = 0
    }
    const qTail = support === 'tail' && k < V ? Math.max(0, 1 - Q) : 0;
    if (qTail > 0) Hq -= qTail * Math.log(qTail);
    mm.rows++;
    mm.add('ce', H);
    mm.add('kl', H - Hq);
    mm.add('teacherMass', Q);
    mm.add('studentMass', studentMass[r]);
    mm.add('overlap', overlap);
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
