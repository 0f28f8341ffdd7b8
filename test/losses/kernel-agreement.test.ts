/**
 * DistIL's soft cross-entropy runs on the engine's fused softCrossEntropy kernel (native, or
 * the TypeScript reference kernel). It must equal, in loss, gradient, per-row values and
 * metrics, the computation it replaced: ClosedRow (support.ts, the closing every divergence
 * uses) with its backward pass, written out here as the reference. Both kernel sets are run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsKernels, setKernels, tryNativeKernels } from '../../src/engine/kernels/index.ts';
import type { Kernels } from '../../src/engine/kernels/types.ts';
import { softCrossEntropy } from '../../src/losses/soft-cross-entropy.ts';
import { ClosedRow } from '../../src/losses/support.ts';
import type { LogitsBlock, Support, TopKTargets } from '../../src/losses/types.ts';
import { near, nearArray, randomLogits } from './helpers.ts';

/** The loss as computed before the fused kernel: close each weighted row, then its backward. */
function closedRowReference(block: LogitsBlock, t: TopKTargets, w: Float32Array, support: Support) {
  const grad = new Float32Array(block.N * block.V), perRow = new Float32Array(block.N);
  const row = new ClosedRow(block, t, support);
  const g = new Float64Array(t.k + 1);
  const sums = { ce: 0, kl: 0, teacherMass: 0, studentMass: 0, overlap: 0 };
  let loss = 0, rows = 0;
  for (let r = 0; r < block.N; r++) {
    if (w[r] === 0) continue;
    row.close(r);
    let H = 0, Hq = 0;
    for (let j = 0; j < row.m; j++) {
      const q = row.q[j];
      g[j] = -q;
      if (q > 0) {
        H -= q * row.logp[j];
        Hq -= q * Math.log(q);
      }
    }
    row.backward(r, g, w[r], grad);
    loss += w[r] * H;
    perRow[r] = H;
    rows++;
    sums.ce += H;
    sums.kl += H - Hq;
    sums.teacherMass += row.teacherMassK;
    sums.studentMass += row.studentMassK;
    sums.overlap += row.overlapK;
  }
  const metrics: Record<string, number> = { rows };
  for (const [key, v] of Object.entries(sums)) metrics[key] = rows ? v / rows : 0;
  return { loss, grad, perRow, metrics };
}

function randomTargets(N: number, V: number, k: number, seed: number, mass: number): TopKTargets {
  const ids = new Int32Array(N * k), probs = new Float32Array(N * k);
  const u = randomLogits(N * k, seed, 1);
  for (let r = 0; r < N; r++) {
    // k distinct ids per row: a stride through the vocabulary from a row-dependent start.
    for (let j = 0; j < k; j++) ids[r * k + j] = (r * 5 + j * 3) % V;
    let s = 0;
    for (let j = 0; j < k; j++) s += probs[r * k + j] = 1.5 + u[r * k + j];
    for (let j = 0; j < k; j++) probs[r * k + j] *= mass / s;
  }
  return { k, ids, probs };
}

test('soft cross-entropy on the fused kernel equals the ClosedRow computation (loss, grad, per row, metrics), every support, both kernel sets', () => {
  const N = 6, V = 11;
  const logits = randomLogits(N * V, 5, 4);
  const block = { logits, N, V };
  const w = Float32Array.from([1, 0.5, 0, 2, 0.25, 1]); // a zero-weight row: no loss, no gradient, not in the metrics
  const cases: [TopKTargets, Support][] = [
    [randomTargets(N, V, 3, 2, 0.8), 'tail'],
    [randomTargets(N, V, 3, 3, 0.8), 'renorm'],
    [randomTargets(N, V, 4, 4, 1), 'tail'], // no teacher tail mass
    [randomTargets(N, V, V, 5, 1), 'full'],
    [randomTargets(N, V, V, 6, 1), 'tail'], // k = V: no "everything else" outcome
  ];
  const sets = [jsKernels, tryNativeKernels()].filter((K): K is Kernels => K !== null);
  assert.ok(sets.length >= 1);
  const before = setKernels(null);
  try {
    for (const K of sets) {
      setKernels(K);
      for (const [t, s] of cases) {
        const want = closedRowReference(block, t, w, s);
        const got = softCrossEntropy(block, t, w, s);
        const what = `${K.name} ${s} k=${t.k}`;
        near(got.loss, want.loss, 1e-6, `${what} loss`);
        nearArray(got.grad, want.grad, 1e-6, `${what} grad`);
        nearArray(got.perRow!, want.perRow, 1e-6, `${what} per row`);
        assert.equal(got.metrics.rows, want.metrics.rows, `${what} rows`);
        for (const key of ['ce', 'kl', 'teacherMass', 'studentMass', 'overlap']) near(got.metrics[key], want.metrics[key], 1e-6, `${what} ${key}`);
      }
    }
  } finally {
    setKernels(before);
  }
});

test('soft cross-entropy: a large vocabulary (threaded native rows) still equals the ClosedRow computation', () => {
  const N = 64, V = 3000, k = 20;
  const block = { logits: randomLogits(N * V, 9, 6), N, V };
  const t = randomTargets(N, V, k, 8, 0.9);
  const w = Float32Array.from({ length: N }, (_, i) => (i % 7 === 3 ? 0 : 1 + (i % 3)));
  const want = closedRowReference(block, t, w, 'tail');
  const got = softCrossEntropy(block, t, w, 'tail');
  near(got.loss, want.loss, 1e-6, "loss");
  nearArray(got.grad, want.grad, 1e-6);
  for (const key of ['ce', 'kl', 'studentMass', 'overlap']) near(got.metrics[key], want.metrics[key], 1e-6, key);
});
