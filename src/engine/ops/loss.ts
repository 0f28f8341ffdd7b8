/** Losses over logits, and picking one entry per row (log-prob of the taken token). */
import { kernels } from '../kernels/index.ts';
import { acquire, release } from '../pool.ts';
import { isGradEnabled, record, shapeStr, Tensor } from '../tensor.ts';
import { checkIds, fail, gradAddScaled } from './util.ts';

export interface CrossEntropyOptions {
  /** Per-row weights (default 1). */
  weights?: Float32Array;
  /** 'mean' (default): divided by the total weight of rows whose target is >= 0. 'sum': not divided. */
  reduction?: 'mean' | 'sum';
}

/**
 * Hard-target cross-entropy, a scalar. logits [N, V], targets (N), targets[n] < 0 ignored.
 * The kernel computes loss and gradient in one pass; the gradient is kept for backward.
 */
export function crossEntropy(logits: Tensor, targets: Int32Array, opts: CrossEntropyOptions = {}): Tensor {
  if (logits.shape.length !== 2) fail('crossEntropy', `logits ${shapeStr(logits.shape)} must be 2-D [N, V]`);
  const [N, V] = logits.shape;
  if (targets.length !== N) fail('crossEntropy', `targets has ${targets.length} entries but logits has ${N} rows`);
  for (let n = 0; n < N; n++) if (targets[n] >= V) fail('crossEntropy', `targets[${n}] = ${targets[n]} is not below the vocabulary size ${V}`);
  const w = opts.weights;
  if (w && w.length !== N) fail('crossEntropy', `weights has ${w.length} entries but logits has ${N} rows`);
  let total = 0;
  for (let n = 0; n < N; n++) if (targets[n] >= 0) total += w ? w[n] : 1;
  const norm = opts.reduction === 'sum' ? 1 : total > 0 ? 1 / total : 0;
  const rowW = acquire(N);
  for (let n = 0; n < N; n++) rowW[n] = (w ? w[n] : 1) * norm;
  const lossRows = acquire(N);
  const dLogits = acquire(N * V);
  kernels().crossEntropy(logits.data, N, V, targets, rowW, lossRows, dLogits, false);
  let loss = 0;
  for (let n = 0; n < N; n++) if (targets[n] >= 0) loss += rowW[n] * lossRows[n];
  release(rowW);
  release(lossRows);
  const out = Tensor.empty([]);
  out.data[0] = loss;
  if (!isGradEnabled() || !logits.requiresGrad) {
    release(dLogits);
    return out;
  }
  const saved = [dLogits];
  return record(
    out,
    [logits],
    (g) => {
      if (g[0] === 1 && logits.adoptGrad(dLogits)) saved.length = 0; // the usual case: no copy
      else gradAddScaled(logits, g[0], dLogits);
    },
    saved,
  );
}

/** out[n] = x[n, idx[n]] for x [N, V]: e.g. log p(taken token) from logSoftmax(logits). */
export function pick(x: Tensor, idx: Int32Array): Tensor {
  if (x.shape.length !== 2) fail('pick', `x ${shapeStr(x.shape)} must be 2-D [N, V]`);
  const [N, V] = x.shape;
  if (idx.length !== N) fail('pick', `idx has ${idx.length} entries but x has ${N} rows`);
  checkIds('pick', idx, V, 'idx');
  const out = Tensor.empty([N]);
  const xd = x.data, o = out.data;
  for (let n = 0; n < N; n++) o[n] = xd[n * V + idx[n]];
  return record(out, [x], (g) => {
    const acc = x.beginGrad();
    const buf = x.gradBuf;
    if (!acc) buf.fill(0);
    for (let n = 0; n < N; n++) buf[n * V + idx[n]] += g[n];
  });
}
