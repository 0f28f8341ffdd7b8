import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crossEntropy, jsKernels, logSoftmax, pick, setKernels } from '../../../src/engine/index.ts';
import { Rng } from '../../../src/util/rng.ts';
import { assertClose, assertGrad, randn } from '../gradcheck.ts';

setKernels(jsKernels);

function refCE(x: Float32Array, N: number, V: number, t: Int32Array, w?: Float32Array, sumRed = false): number {
  let loss = 0, tot = 0;
  for (let n = 0; n < N; n++) {
    if (t[n] < 0) continue;
    const row = Array.from(x.subarray(n * V, n * V + V));
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
    const wn = w ? w[n] : 1;
    loss += wn * (lse - row[t[n]]);
    tot += wn;
  }
  return sumRed ? loss : loss / tot;
}

test('crossEntropy: mean over non-ignored targets, weights, sum reduction', () => {
  const rng = new Rng(1);
  const x = randn(rng, [5, 7], { scale: 2 });
  const t = Int32Array.from([3, -1, 0, 6, 2]);
  const w = Float32Array.from([1, 5, 0.5, 2, 1]);
  assertClose([crossEntropy(x, t).item()], [refCE(x.data, 5, 7, t)], 1e-5, 1e-6);
  assertClose([crossEntropy(x, t, { weights: w }).item()], [refCE(x.data, 5, 7, t, w)], 1e-5, 1e-6);
  assertClose([crossEntropy(x, t, { reduction: 'sum' }).item()], [refCE(x.data, 5, 7, t, undefined, true)], 1e-5, 1e-6);
  assert.throws(() => crossEntropy(x, Int32Array.from([1, 2])), /targets has 2 entries but logits has 5 rows/);
});

test('crossEntropy and pick backward vs finite differences', () => {
  const rng = new Rng(2);
  const x = randn(rng, [4, 6]);
  const t = Int32Array.from([1, -1, 5, 0]);
  const w = Float32Array.from([1, 1, 3, 0.5]);
  assertGrad((x) => crossEntropy(x, t), [x]);
  assertGrad((x) => crossEntropy(x, t, { weights: w, reduction: 'sum' }), [x]);
  const idx = Int32Array.from([2, 2, 0, 5]);
  assertGrad((x) => pick(logSoftmax(x), idx), [x]);
  assertClose(pick(x, idx).data, Array.from(idx).map((j, n) => x.data[n * 6 + j]));
});

test('crossEntropy hands its gradient buffer to intermediate logits (the no-copy path) correctly', async () => {
  const { scale } = await import('../../../src/engine/index.ts');
  const rng = new Rng(3);
  const x = randn(rng, [3, 5]);
  const t = Int32Array.from([0, 4, 2]);
  crossEntropy(x, t).backward();
  const direct = Float32Array.from(x.grad!);
  x.zeroGrad();
  crossEntropy(scale(x, 1), t).backward(); // logits are an intermediate here: adopted, not copied
  assertClose(x.grad!, direct, 1e-6, 1e-7);
  x.zeroGrad();
  crossEntropy(scale(x, 1), t).backward(2); // upstream 2: the copying path
  assertClose(x.grad!, Array.from(direct).map((v) => 2 * v), 1e-6, 1e-7);
});
