import { test } from 'node:test';
import assert from 'node:assert/strict';
import { embedding, jsKernels, logSoftmax, rmsnorm, rope, setKernels, silu, softmax, swiglu } from '../../../src/engine/index.ts';
import { Rng } from '../../../src/util/rng.ts';
import { assertClose, assertGrad, randIds, randn } from '../gradcheck.ts';

setKernels(jsKernels);

const sig = (x: number) => 1 / (1 + Math.exp(-x));

test('embedding: rows of the table; backward scatters (repeated ids add up)', () => {
  const rng = new Rng(1);
  const table = randn(rng, [7, 3]);
  const ids = Int32Array.from([1, 4, 1, 6, 0]);
  const y = embedding(table, ids);
  assertClose(y.data, Array.from(ids).flatMap((id) => Array.from(table.data.subarray(id * 3, id * 3 + 3))));
  assertGrad((t) => embedding(t, ids), [table]);
  assert.throws(() => embedding(table, Int32Array.from([7])), /embedding: ids\[0\] = 7 is outside \[0, 7\)/);
});

test('rmsnorm forward vs float64, backward vs finite differences', () => {
  const rng = new Rng(2);
  for (const [R, D] of [[3, 8], [1, 5], [4, 16]]) {
    const x = randn(rng, [R, D]), w = randn(rng, [D]);
    const y = rmsnorm(x, w, 1e-5);
    const ref: number[] = [];
    for (let r = 0; r < R; r++) {
      let ss = 0;
      for (let j = 0; j < D; j++) ss += x.data[r * D + j] ** 2;
      const rs = 1 / Math.sqrt(ss / D + 1e-5);
      for (let j = 0; j < D; j++) ref.push(x.data[r * D + j] * rs * w.data[j]);
    }
    assertClose(y.data, ref, 1e-5, 1e-6);
    assertGrad((x, w) => rmsnorm(x, w, 1e-5), [x, w]);
  }
});

test('rope: rotate_half convention vs float64, preserves norms, backward vs finite differences', () => {
  const rng = new Rng(3);
  const [rows, H, Dh] = [4, 2, 6];
  const x = randn(rng, [rows, H * Dh]);
  const pos = Int32Array.from([0, 3, 1, 17]);
  const y = rope(x, H, Dh, pos, 10000);
  const half = Dh / 2;
  for (let r = 0; r < rows; r++)
    for (let h = 0; h < H; h++)
      for (let i = 0; i < half; i++) {
        const o = (r * H + h) * Dh;
        const a = pos[r] / 10000 ** ((2 * i) / Dh);
        const x1 = x.data[o + i], x2 = x.data[o + i + half];
        assertClose([y.data[o + i], y.data[o + i + half]], [x1 * Math.cos(a) - x2 * Math.sin(a), x2 * Math.cos(a) + x1 * Math.sin(a)], 1e-5, 1e-5);
      }
  assertClose(y.data.subarray(0, H * Dh), x.data.subarray(0, H * Dh)); // position 0 is the identity
  assertGrad((x) => rope(x, H, Dh, pos, 10000), [x]);
});

test('silu and swiglu forward and backward', () => {
  const rng = new Rng(4);
  const g = randn(rng, [3, 5], { scale: 2 }), u = randn(rng, [3, 5]);
  assertClose(silu(g).data, Array.from(g.data).map((v) => v * sig(v)), 1e-5, 1e-6);
  assertClose(swiglu(g, u).data, Array.from(g.data).map((v, i) => v * sig(v) * u.data[i]), 1e-5, 1e-6);
  assertGrad((g) => silu(g), [g]);
  assertGrad((g, u) => swiglu(g, u), [g, u]);
  const frozen = randn(rng, [3, 5], { requiresGrad: false });
  assertGrad((g) => swiglu(g, frozen), [g]);
});

test('softmax and logSoftmax forward vs float64 (large logits stay finite), backward', () => {
  const rng = new Rng(5);
  const x = randn(rng, [4, 6], { scale: 3 });
  x.data[0] = 1000; // overflow guard
  const sm = softmax(x).data, ls = logSoftmax(x).data;
  for (let r = 0; r < 4; r++) {
    const row = Array.from(x.data.subarray(r * 6, r * 6 + 6));
    const m = Math.max(...row);
    const z = row.reduce((s, v) => s + Math.exp(v - m), 0);
    assertClose(sm.subarray(r * 6, r * 6 + 6), row.map((v) => Math.exp(v - m) / z), 1e-5, 1e-7);
    assertClose(ls.subarray(r * 6, r * 6 + 6), row.map((v) => v - m - Math.log(z)), 1e-5, 1e-5);
  }
  const y = randn(rng, [3, 5]);
  assertGrad((x) => softmax(x), [y]);
  assertGrad((x) => logSoftmax(x), [y]);
});
