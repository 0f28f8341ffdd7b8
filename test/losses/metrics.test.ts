import { test } from 'node:test';
import assert from 'node:assert/strict';
import { klEstimates, massOn, rowArgmax, rowEntropy, rowMaxProb, tokenLogprobs, topKMass } from '../../src/losses/metrics.ts';
import { logitsOf, near, nearArray } from './helpers.ts';

const ln = Math.log;
const p = [1 / 6, 1 / 3, 1 / 2];
const block = { logits: logitsOf([p.map(ln), [0, 0, 0]]), N: 2, V: 3 };

test('entropy: -(1/6 ln 1/6 + 1/3 ln 1/3 + 1/2 ln 1/2) and ln 3 for uniform', () => {
  nearArray(rowEntropy(block), [-(p[0] * ln(p[0]) + p[1] * ln(p[1]) + p[2] * ln(p[2])), ln(3)]);
  // a one-hot-ish row has entropy ~0 without NaN
  const sharp = rowEntropy({ logits: Float32Array.from([0, -200, -200]), N: 1, V: 3 });
  assert.ok(sharp[0] >= 0 && sharp[0] < 1e-6, `entropy ${sharp[0]}`);
});

test('top-k mass, max prob, argmax, mass on given ids', () => {
  nearArray(topKMass(block, 2), [5 / 6, 2 / 3]);
  nearArray(topKMass(block, 3), [1, 1]);
  nearArray(rowMaxProb(block), [1 / 2, 1 / 3]);
  assert.deepEqual(Array.from(rowArgmax(block)), [2, 0]);
  nearArray(massOn(block, [0, 1, 2, 1], 2), [1 / 2, 2 / 3]);
  nearArray(tokenLogprobs(block, [0, 2]), [ln(1 / 6), ln(1 / 3)]);
  assert.throws(() => tokenLogprobs(block, [0, 3]), /tokens\[1\] = 3/);
  assert.throws(() => topKMass(block, 4), /k must be an integer in \[1, V = 3\]/);
});

test('KL estimators at d = logp - ref = ln 2: k1 = ln 2, k2 = (ln 2)^2/2, k3 = 1/2 + ln 2 - 1', () => {
  const e = klEstimates([ln(0.5), ln(0.3)], [ln(0.25), ln(0.3)], [1, 0]);
  near(e.k1, ln(2));
  near(e.k2, ln(2) ** 2 / 2);
  near(e.k3, 0.5 + ln(2) - 1);
  const z = klEstimates([ln(0.3)], [ln(0.3)]);
  assert.deepEqual(z, { k1: 0, k2: 0, k3: 0 });
});
