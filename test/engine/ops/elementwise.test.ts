import { test } from 'node:test';
import assert from 'node:assert/strict';
import { add, jsKernels, mean, mul, reshape, scale, setKernels, sub, sum, Tensor } from '../../../src/engine/index.ts';
import { Rng } from '../../../src/util/rng.ts';
import { assertClose, assertGrad, randn } from '../gradcheck.ts';

setKernels(jsKernels);

test('add/sub/mul/scale forward, with row-vector broadcasting', () => {
  const rng = new Rng(1);
  const a = randn(rng, [3, 4]), b = randn(rng, [3, 4]), v = randn(rng, [4]);
  const A = Array.from(a.data), B = Array.from(b.data), Vv = Array.from(v.data);
  assertClose(add(a, b).data, A.map((x, i) => x + B[i]));
  assertClose(sub(a, b).data, A.map((x, i) => x - B[i]));
  assertClose(mul(a, b).data, A.map((x, i) => x * B[i]));
  assertClose(scale(a, -2.5).data, A.map((x) => x * -2.5));
  assertClose(add(a, v).data, A.map((x, i) => x + Vv[i % 4]));
  assertClose(sub(a, v).data, A.map((x, i) => x - Vv[i % 4]));
  assert.throws(() => add(a, Tensor.zeros([4, 3])), /add: a is \[3, 4\] but b is \[4, 3\]/);
});

test('elementwise backward matches finite differences', () => {
  const rng = new Rng(2);
  const a = randn(rng, [3, 4]), b = randn(rng, [3, 4]), v = randn(rng, [4]);
  assertGrad((a, b) => add(a, b), [a, b]);
  assertGrad((a, b) => sub(a, b), [a, b]);
  assertGrad((a, b) => mul(a, b), [a, b]);
  assertGrad((a) => scale(a, 0.7), [a]);
  assertGrad((a, v) => add(a, v), [a, v]);
  assertGrad((a, v) => sub(a, v), [a, v]);
  // A tensor used twice: its gradients must add up.
  assertGrad((a) => mul(a, add(a, a)), [a]);
});

test('sum, mean, reshape', () => {
  const rng = new Rng(3);
  const a = randn(rng, [2, 3, 2]);
  const tot = Array.from(a.data).reduce((x, y) => x + y, 0);
  assertClose([sum(a).item()], [tot]);
  assertClose([mean(a).item()], [tot / 12]);
  const r = reshape(a, [3, -1]);
  assert.deepEqual(r.shape, [3, 4]);
  assert.throws(() => reshape(a, [5, 2]), /reshape: x is \[2, 3, 2\] \(12 elements\)/);
  assertGrad((a) => sum(mul(a, a)), [a]);
  assertGrad((a) => mean(mul(a, a)), [a]);
  assertGrad((a) => mul(reshape(a, [4, 3]), reshape(a, [4, 3])), [a]);
});

test('gatherRows: selected rows (repeats add up in backward)', async () => {
  const { gatherRows } = await import('../../../src/engine/index.ts');
  const rng = new Rng(4);
  const x = randn(rng, [4, 3]);
  const rows = Int32Array.from([2, 0, 2]);
  assertClose(gatherRows(x, rows).data, [...x.data.subarray(6, 9), ...x.data.subarray(0, 3), ...x.data.subarray(6, 9)]);
  assertGrad((x) => gatherRows(x, rows), [x]);
  assert.throws(() => gatherRows(x, Int32Array.from([4])), /gatherRows: rows\[0\] = 4 is outside \[0, 4\)/);
});
