import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clippedPolicyGradient } from '../../src/losses/policy-gradient.ts';
import { checkGrad, logitsOf, near, nearArray, randomLogits } from './helpers.ts';

const ln = Math.log;
const p = [1 / 6, 1 / 3, 1 / 2];
const row = p.map(ln);
const one = (n: number) => new Array(n).fill(1);
// d logp(y)/dz = onehot(y) - p
const dlogp = (y: number) => p.map((pi, v) => (v === y ? 1 : 0) - pi);

test('five hand cases of -min(rho A, clip(rho, 0.8, 1.28) A)', () => {
  const b = { logits: logitsOf([row, row, row, row, row]), N: 5, V: 3 };
  const tokens = [2, 2, 2, 0, 0];
  //            rho = 1      rho = 2      rho = 2      rho = 1/2    rho = 1/2
  const old = [ln(1 / 2), ln(1 / 4), ln(1 / 4), ln(1 / 3), ln(1 / 3)];
  const A = [1.5, 1, -1, -1, 1];
  const r = clippedPolicyGradient(b, tokens, A, old, one(5));
  // 1: inside the range, L = -1.5, grad = -1.5 (onehot(2) - p)
  // 2: rho 2 > 1.28 with A > 0: clipped, L = -1.28, no gradient
  // 3: rho 2 with A < 0: min(-2, -1.28) = -2 is the unclipped branch, L = 2, grad = -(2)(-1)(onehot - p)
  // 4: rho .5 < .8 with A < 0: min(-.5, -.8) = -.8 clipped, L = .8, no gradient
  // 5: rho .5 with A > 0: min(.5, .8) = .5 unclipped, L = -.5, grad = -.5 (onehot(0) - p)
  nearArray(r.perRow!, [-1.5, -1.28, 2, 0.8, -0.5]);
  near(r.loss, -1.5 - 1.28 + 2 + 0.8 - 0.5);
  nearArray(r.grad.subarray(0, 3), dlogp(2).map((d) => -1.5 * d));
  nearArray(r.grad.subarray(3, 6), [0, 0, 0]);
  nearArray(r.grad.subarray(6, 9), dlogp(2).map((d) => 2 * d));
  nearArray(r.grad.subarray(9, 12), [0, 0, 0]);
  nearArray(r.grad.subarray(12, 15), dlogp(0).map((d) => -0.5 * d));
  near(r.metrics.clipFrac, 2 / 5);
  near(r.metrics.ratio, (1 + 2 + 2 + 0.5 + 0.5) / 5);
  near(r.metrics.clipHighFrac, 2 / 5);
  near(r.metrics.clipLowFrac, 2 / 5);
});

test('positive advantage raises the sampled token: a gradient step lowers the loss and raises logp(y)', () => {
  const b = { logits: logitsOf([row]), N: 1, V: 3 };
  const r = clippedPolicyGradient(b, [0], [1], [ln(1 / 6)], [1]);
  assert.ok(r.grad[0] < 0); // descent increases z_0
});

test('k3 penalty: ref = ln 1/4, logp = ln 1/2: k3 = 1/2 - ln(1/2) - 1, dk3/dlogp = 1 - 1/2', () => {
  const b = { logits: logitsOf([row]), N: 1, V: 3 };
  const r = clippedPolicyGradient(b, [2], [0], [ln(1 / 2)], [1], { betaKl: 0.1, logpRef: [ln(1 / 4)] });
  const k3 = 0.5 - ln(0.5) - 1;
  near(r.loss, 0.1 * k3);
  near(r.metrics.k3, k3);
  nearArray(r.grad, dlogp(2).map((d) => 0.1 * 0.5 * d));
  // k3 is 0 when the policy equals the reference, and reported even with betaKl = 0
  const same = clippedPolicyGradient(b, [2], [0], [ln(1 / 2)], [1], { logpRef: [ln(1 / 2)] });
  near(same.metrics.k3, 0);
  near(same.loss, 0);
});

test('row weights: zero weight rows are skipped; weights scale loss and gradient', () => {
  const b = { logits: logitsOf([row, row]), N: 2, V: 3 };
  const r = clippedPolicyGradient(b, [2, 1], [1.5, 7], [ln(1 / 2), 0], [0.25, 0]);
  near(r.loss, 0.25 * -1.5);
  nearArray(r.grad.subarray(0, 3), dlogp(2).map((d) => 0.25 * -1.5 * d));
  assert.ok(r.grad.subarray(3).every((x) => x === 0));
  assert.equal(r.metrics.rows, 1);
});

test('finite-difference gradient away from the clip kinks, with k3', () => {
  const N = 6, V = 5;
  const logits = randomLogits(N * V, 11, 2);
  const tokens = [0, 1, 2, 3, 4, 2];
  const rhos = [1, 1.5, 0.6, 1.1, 0.9, 2];
  const A = [1, -1, 1, -0.5, 2, -1];
  const lp = tokens.map((y, r) => {
    let m = -Infinity;
    for (let v = 0; v < V; v++) m = Math.max(m, logits[r * V + v]);
    let s = 0;
    for (let v = 0; v < V; v++) s += Math.exp(logits[r * V + v] - m);
    return logits[r * V + y] - m - ln(s);
  });
  const old = lp.map((l, i) => l - ln(rhos[i]));
  const ref = lp.map((l, i) => l + 0.3 * (i - 2));
  const w = [1, 0.5, 2, 1, 0.3, 1];
  checkGrad((z) => clippedPolicyGradient({ logits: z, N, V }, tokens, A, old, w, { betaKl: 0.2, logpRef: ref }), logits);
});

test('validation', () => {
  const b = { logits: logitsOf([row]), N: 1, V: 3 };
  assert.throws(() => clippedPolicyGradient(b, [3], [1], [0], [1]), /tokens\[0\] = 3/);
  assert.throws(() => clippedPolicyGradient(b, [0], [1, 2], [0], [1]), /advantages has length 2/);
  assert.throws(() => clippedPolicyGradient(b, [0], [1], [0], [1], { betaKl: 0.1 }), /needs logpRef/);
  assert.throws(() => clippedPolicyGradient(b, [0], [NaN], [0], [1]), /advantages\[0\] = NaN/);
});
