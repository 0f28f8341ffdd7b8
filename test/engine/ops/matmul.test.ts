import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsKernels, linear, matmul, setKernels, Tensor } from '../../../src/engine/index.ts';
import { Rng } from '../../../src/util/rng.ts';
import { assertClose, assertGrad, randn } from '../gradcheck.ts';

setKernels(jsKernels);

/** float64 reference: element [b, i, j] of op(A[b]) @ op(B[b]). */
function refMatmul(a: Tensor, b: Tensor, tA: boolean, tB: boolean, batch: number, M: number, K: number, N: number, sharedB = false): Float64Array {
  const out = new Float64Array(batch * M * N);
  for (let bi = 0; bi < batch; bi++)
    for (let i = 0; i < M; i++)
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let p = 0; p < K; p++) {
          const av = tA ? a.data[bi * M * K + p * M + i] : a.data[bi * M * K + i * K + p];
          const ob = sharedB ? 0 : bi * K * N;
          const bv = tB ? b.data[ob + j * K + p] : b.data[ob + p * N + j];
          s += av * bv;
        }
        out[(bi * M + i) * N + j] = s;
      }
  return out;
}

test('matmul forward matches float64 for all transposes, batched, random shapes', () => {
  const rng = new Rng(5);
  for (let trial = 0; trial < 8; trial++) {
    const [batch, M, K, N] = [1 + rng.int(3), 1 + rng.int(6), 1 + rng.int(7), 1 + rng.int(5)];
    for (const tA of [false, true])
      for (const tB of [false, true]) {
        const a = randn(rng, [batch, ...(tA ? [K, M] : [M, K])]);
        const b = randn(rng, [batch, ...(tB ? [N, K] : [K, N])]);
        const c = matmul(a, b, { transA: tA, transB: tB });
        assert.deepEqual(c.shape, [batch, M, N]);
        assertClose(c.data, refMatmul(a, b, tA, tB, batch, M, K, N), 1e-5, 1e-5);
      }
  }
});

test('matmul backward matches finite differences (transposes, batch, shared b)', () => {
  const rng = new Rng(6);
  for (const tA of [false, true])
    for (const tB of [false, true]) {
      const a = randn(rng, [2, ...(tA ? [4, 3] : [3, 4])]);
      const b = randn(rng, [2, ...(tB ? [5, 4] : [4, 5])]);
      assertGrad((a, b) => matmul(a, b, { transA: tA, transB: tB }), [a, b]);
    }
  const a = randn(rng, [2, 3, 4]);
  const b = randn(rng, [4, 5]);
  const c = matmul(a, b);
  assertClose(c.data, refMatmul(a, b, false, false, 2, 3, 4, 5, true), 1e-5, 1e-5);
  assertGrad((a, b) => matmul(a, b), [a, b]);
  assertGrad((a, b) => matmul(a, b, { transB: true }), [randn(rng, [2, 3, 4]), randn(rng, [6, 4])]);
});

test('matmul shape errors name both shapes', () => {
  const a = Tensor.zeros([3, 4]), b = Tensor.zeros([5, 2]);
  assert.throws(() => matmul(a, b), /matmul: a is \[3, 4\] but b is \[5, 2\]: inner dimensions 4 and 5 differ/);
  assert.throws(() => linear(a, Tensor.zeros([2, 5])), /linear: x is \[3, 4\] but weight .* expects 5 input features/);
});

test('linear = x W^T + b, forward and backward', () => {
  const rng = new Rng(7);
  const x = randn(rng, [2, 3, 4]), W = randn(rng, [5, 4]), bias = randn(rng, [5]);
  const y = linear(x, W, bias);
  assert.deepEqual(y.shape, [2, 3, 5]);
  const ref = refMatmul(x, W, false, true, 1, 6, 4, 5).map((v, i) => v + bias.data[i % 5]);
  assertClose(y.data, ref, 1e-5, 1e-5);
  assertGrad((x, W, b) => linear(x, W, b), [x, W, bias]);
  assertGrad((x, W) => linear(x, W), [x, W]);
});
