/**
 * Hard-target token cross-entropy (SFT, RFT): per row  L_r = -log softmax(z_r)[y_r],
 * loss = sum_r w_r L_r, dL_r/dz = softmax(z_r) - onehot(y_r). A target < 0 marks a row to
 * ignore (same convention as the crossEntropy kernel), whatever its weight.
 */
import type { LogitsBlock, LossResult } from './types.ts';
import { addLogpGrad, checkBlock, checkIds, checkLength, checkWeights, MetricMeans, tokenLogp, type Weights } from './common.ts';

const FN = 'tokenCrossEntropy';

/** Metrics: `nll` (mean -log p(y)), `accuracy` (argmax == y; ties count only the lowest id). */
export function tokenCrossEntropy(block: LogitsBlock, targets: ArrayLike<number>, rowWeights: Weights): LossResult {
  checkBlock(FN, block);
  const { N, V, logits } = block;
  checkLength(FN, 'targets', targets, N);
  checkIds(FN, 'targets', targets, V, true);
  checkWeights(FN, 'rowWeights', rowWeights, N);
  const grad = new Float32Array(N * V);
  const perRow = new Float32Array(N);
  const mm = new MetricMeans();
  let loss = 0;
  for (let r = 0; r < N; r++) {
    const w = rowWeights[r], y = targets[r];
    if (w === 0 || y < 0) continue;
    const { logp, lse } = tokenLogp(logits, r, V, y);
    perRow[r] = -logp;
    loss -= w * logp;
    addLogpGrad(logits, r, V, y, lse, -w, grad);
    let best = 0;
    for (let v = 1; v < V; v++) if (logits[r * V + v] > logits[r * V + best]) best = v;
    mm.rows++;
    mm.add('nll', -logp);
    mm.add('accuracy', best === y ? 1 : 0);
  }
  return { loss, grad, perRow, metrics: mm.means() };
}
