import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ddpmLoss, trainDdpm } from '../../src/diffusion/ddpm.ts';
import { Denoiser } from '../../src/diffusion/denoiser.ts';
import { digitBatch } from '../../src/diffusion/digits.ts';
import { NoiseSchedule } from '../../src/diffusion/schedule.ts';
import { Rng } from '../../src/util/rng.ts';
import { assertGrad } from '../engine/gradcheck.ts';
import { tinyDenoiser } from './helpers.ts';

test('DDPM loss: finite-difference gradient check through the MLP', () => {
  const m = tinyDenoiser(5, 4);
  const s = new NoiseSchedule();
  const rng = new Rng(2);
  const x0 = Float32Array.from({ length: 3 * 16 }, () => rng.normal() * 0.5);
  const noise = Float32Array.from({ length: 3 * 16 }, () => rng.normal());
  const params = [...m.params.values()];
  assertGrad(() => ddpmLoss(m, s, x0, [1, 4, 9], [3, 400, 999], noise), params, { eps: 1e-2, maxPerInput: 12 });
});

test('DDPM loss: zero when the net predicts the noise exactly; the mean square of eps when it predicts 0', () => {
  const m = tinyDenoiser(5, 4);
  for (const t of m.params.values()) t.data.fill(0);
  const noise = Float32Array.from({ length: 32 }, (_, i) => (i % 5) - 2);
  const want = noise.reduce((a, v) => a + v * v, 0) / noise.length;
  const got = ddpmLoss(m, new NoiseSchedule(), new Float32Array(32), [0, 1], [10, 20], noise).item();
  assert.ok(Math.abs(got - want) < 1e-6, `${got} vs ${want}`);
});

test('DDPM training lowers the loss on procedural digits', () => {
  const m = new Denoiser({ imageSize: 16, hidden: 128, depth: 1 }, new Rng(1));
  const s = new NoiseSchedule();
  const losses: number[] = [];
  trainDdpm(m, s, { steps: 150, batch: 32, lr: 3e-3, seed: 4, logEvery: 50, log: (_, l) => losses.push(l) });
  assert.equal(losses.length, 3);
  assert.ok(losses[2] < losses[0] * 0.8, `loss ${losses.join(' -> ')}`);
  const { images } = digitBatch(2, new Rng(1));
  assert.throws(() => m.predict(images.subarray(0, 64), [1], [1]), /trained for 16x16/);
});
