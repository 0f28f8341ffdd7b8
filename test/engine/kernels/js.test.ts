/**
 * The reference kernels that no op test reaches: softCrossEntropy (every support closing,
 * against a direct float64 formula and finite differences of its own loss), topk, sgemm's
 * leading dimensions, strides and beta.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsKernels as K } from '../../../src/engine/kernels/js.ts';
import type { Support } from '../../../src/engine/kernels/types.ts';
import { Rng } from '../../../src/util/rng.ts';
import { assertClose } from '../gradcheck.ts';

/** float64 H(q, p) over the closed support, straight from METHODS.md. */
function refSoftCE(x: number[], ids: number[], q: number[], support: Support): number {
  const lse = (v: number[]) => { const m = Math.max(...v); return m + Math.log(v.reduce((s, a) => s + Math.exp(a - m), 0)); };
  const L = lse(x);
  const p = x.map((v) => Math.exp(v - L));
  if (support === 'renorm') {
    const P = ids.reduce((s, i) => s + p[i], 0), Q = q.reduce((s, a) => s + a, 0);
    return -ids.reduce((s, id, i) => s + (q[i] / Q) * Math.log(p[id] / P), 0);
  }
  let h = -ids.reduce((s, id, i) => s + q[i] * Math.log(p[id]), 0);
  if (support === 'tail') {
    const qt = 1 - q.reduce((s, a) => s + a, 0), pt = 1 - ids.reduce((s, i) => s + p[i], 0);
    if (qt > 0) h -= qt * Math.log(pt);
  }
  return h;
}

test('softCrossEntropy (renorm, tail, full): loss vs float64 formula, dLogits vs finite differences', () => {
  const rng = new Rng(1);
  const [N, V, k] = [3, 7, 3];
  for (const support of ['renorm', 'tail', 'full'] as Support[]) {
    const kk = support === 'full' ? V : k;
    const logits = Float32Array.from({ length: N * V }, () => rng.normal());
    const ids = new Int32Array(N * kk), probs = new Float32Array(N * kk);
    for (let n = 0; n < N; n++) {
      const perm = rng.shuffle([...Array(V).keys()]).slice(0, kk);
      const raw = perm.map(() => rng.next() + 0.1);
      const mass = support === 'tail' ? 0.8 : 1;
      const z = raw.reduce((s, a) => s + a, 0);
      perm.forEach((id, i) => { ids[n * kk + i] = id; probs[n * kk + i] = (raw[i] / z) * mass; });
    }
    const w = Float32Array.from([1, 0.5, 2]);
    const lossOut = new Float32Array(N), dLogits = new Float32Array(N * V), mass = new Float32Array(N);
    const run = (x: Float32Array) => {
      K.softCrossEntropy({ logits: x, N, V, ids, probs, k: kk, support, rowWeights: w, lossOut, dLogits, studentMassOut: mass });
      return lossOut.reduce((s, l, n) => s + w[n] * l, 0);
    };
    run(logits);
    const grad = Float32Array.from(dLogits);
    for (let n = 0; n < N; n++) {
      const x = Array.from(logits.subarray(n * V, n * V + V));
      assertClose([lossOut[n]], [refSoftCE(x, Array.from(ids.subarray(n * kk, n * kk + kk)), Array.from(probs.subarray(n * kk, n * kk + kk)), support)], 1e-5, 1e-6, `${support} loss`);
    }
    const eps = 1e-2;
    for (let i = 0; i < N * V; i++) {
      const xp = Float32Array.from(logits); xp[i] += eps;
      const xm = Float32Array.from(logits); xm[i] -= eps;
      const num = (run(xp) - run(xm)) / (2 * eps);
      assert.ok(Math.abs(num - grad[i]) < 2e-3 + 1e-2 * Math.abs(num), `${support} dLogits[${i}]: ${grad[i]} vs numeric ${num}`);
    }
  }
});

test('topk: descending, ties to the lower id', () => {
  const x = Float32Array.from([1, 3, 3, -1, 2, 3, 0, 5]);
  const ids = new Int32Array(4), vals = new Float32Array(4);
  K.topk(x, 2, 4, 2, ids, vals.subarray(0, 4));
  assert.deepEqual(Array.from(ids), [1, 2, 3, 1]);
  assert.deepEqual(Array.from(vals), [3, 3, 5, 3]);
});

test('sgemm: leading dimensions, batch strides (0 broadcasts), alpha and beta', () => {
  // A is the left 2x3 block of a 2x5 buffer (lda 5); B broadcast over 2 batch items; C += 2 A B.
  const a = Float32Array.from([1, 2, 3, 9, 9, 4, 5, 6, 9, 9, /* batch 2 */ 1, 0, 0, 9, 9, 0, 1, 0, 9, 9]);
  const b = Float32Array.from([1, 0, 0, 1, 1, 1]); // 3x2
  const c = new Float32Array(8).fill(1);
  K.sgemm({ transA: false, transB: false, M: 2, N: 2, K: 3, a, b, c, lda: 5, alpha: 2, beta: 1, batch: 2, strideA: 10, strideB: 0, strideC: 4 });
  assert.deepEqual(Array.from(c), [1 + 2 * 4, 1 + 2 * 5, 1 + 2 * 10, 1 + 2 * 11, 3, 1, 1, 3]);
  const nan = new Float32Array(4).fill(NaN);
  K.sgemm({ transA: false, transB: false, M: 2, N: 2, K: 3, a, b, c: nan, lda: 5 });
  assert.ok(nan.every((v) => Number.isFinite(v)), 'beta = 0 overwrites NaN');
});

test('softCrossEntropy tail with k = V: a teacher mass a rounding error short of 1 stays finite and equals full support', () => {
  const V = 4;
  const args = {
    logits: Float32Array.from([0.1, 2, -1, 0.5]), N: 1, V, ids: Int32Array.from([1, 3, 0, 2]),
    probs: Float32Array.from([0.5, 0.3, 0.15, 0.0499999]), k: V, rowWeights: Float32Array.from([1]),
  };
  const tail = { loss: new Float32Array(1), d: new Float32Array(V) }, full = { loss: new Float32Array(1), d: new Float32Array(V) };
  K.softCrossEntropy({ ...args, support: "tail", lossOut: tail.loss, dLogits: tail.d });
  K.softCrossEntropy({ ...args, support: "full", lossOut: full.loss, dLogits: full.d });
  assert.ok(Number.isFinite(tail.loss[0]));
  assert.ok(Math.abs(tail.loss[0] - full.loss[0]) < 1e-6);
  for (let j = 0; j < V; j++) assert.ok(Math.abs(tail.d[j] - full.d[j]) < 1e-6);
});
