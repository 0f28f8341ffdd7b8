import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsKernels, linear, setKernels, swiglu, swigluMlp, Tensor } from '../../../src/engine/index.ts';
import { Rng } from '../../../src/util/rng.ts';
import { assertClose, assertGrad, randn } from '../gradcheck.ts';

setKernels(jsKernels);

/** gate and up as views of one buffer (and their gradients too), as the Transformer lays them out. */
function packed(rng: Rng, I: number, d: number): [Tensor, Tensor] {
  const w = new Float32Array(2 * I * d).map(() => rng.normal());
  const g = new Float32Array(2 * I * d);
  return [Tensor.param(w.subarray(0, I * d), [I, d], 'gate', g.subarray(0, I * d)), Tensor.param(w.subarray(I * d), [I, d], 'up', g.subarray(I * d))];
}

test('swigluMlp equals down(swiglu(gate(h), up(h))), packed or not', () => {
  const rng = new Rng(1);
  const [N, d, I] = [5, 4, 6];
  const h = randn(rng, [N, d]), down = randn(rng, [d, I]);
  const [gate, up] = packed(rng, I, d);
  const ref = linear(swiglu(linear(h, gate), linear(h, up)), down).data;
  assertClose(swigluMlp(h, gate, up, down).data, ref, 1e-5, 1e-6);
  const gate2 = Tensor.from(Float32Array.from(gate.data), [I, d], { requiresGrad: true });
  const up2 = Tensor.from(Float32Array.from(up.data), [I, d], { requiresGrad: true });
  assertClose(swigluMlp(h, gate2, up2, down).data, ref, 1e-5, 1e-6);
  assert.throws(() => swigluMlp(h, gate, up, randn(rng, [d, I + 1])), /down .* must be \[4, 6\]/);
});

test('swigluMlp backward vs finite differences (packed, separate, shared grads accumulate)', () => {
  const rng = new Rng(2);
  const [d, I] = [4, 6];
  const h = randn(rng, [2, 3, d]), down = randn(rng, [d, I]);
  const [gate, up] = packed(rng, I, d);
  assertGrad((h, g, u, w) => swigluMlp(h, g, u, w), [h, gate, up, down]);
  const gate2 = randn(rng, [I, d]), up2 = randn(rng, [I, d]);
  assertGrad((h, g, u, w) => swigluMlp(h, g, u, w), [h, gate2, up2, down]);
  const frozenUp = randn(rng, [I, d], { requiresGrad: false });
  assertGrad((h, g, w) => swigluMlp(h, g, frozenUp, w), [h, gate2, down]);
});
