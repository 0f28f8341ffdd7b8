import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tokenCrossEntropy } from '../../src/losses/cross-entropy.ts';
import { checkGrad, logitsOf, near, nearArray, randomLogits } from './helpers.ts';

const ln = Math.log;
const p = [1 / 6, 1 / 3, 1 / 2];

test('hand values: -ln(1/3) and -ln(1/2) weighted; grad = w (p - onehot); target -1 ignored', () => {
  const b = { logits: logitsOf([p.map(ln), p.map(ln), p.map(ln)]), N: 3, V: 3 };
  const r = tokenCrossEntropy(b, [1, 2, -1], [0.5, 2, 1]);
  near(r.loss, 0.5 * ln(3) + 2 * ln(2));
  nearArray(r.grad.subarray(0, 3), [0.5 / 6, 0.5 * (1 / 3 - 1), 0.5 / 2]);
  nearArray(r.grad.subarray(3, 6), [2 / 6, 2 / 3, 2 * (1 / 2 - 1)]);
  assert.ok(r.grad.subarray(6).every((x) => x === 0));
  near(r.metrics.nll, (ln(3) + ln(2)) / 2);
  near(r.metrics.accuracy, 0.5); // argmax is 2: right on row 1, wrong on row 0
  assert.equal(r.metrics.rows, 2);
});

test('finite-difference gradient', () => {
  const logits = randomLogits(4 * 6, 5, 3);
  checkGrad((z) => tokenCrossEntropy({ logits: z, N: 4, V: 6 }, [0, 5, 2, 3], [1, 0.5, 0, 2]), logits);
});

test('validation', () => {
  const b = { logits: logitsOf([p]), N: 1, V: 3 };
  assert.throws(() => tokenCrossEntropy(b, [3], [1]), /targets\[0\] = 3/);
  assert.throws(() => tokenCrossEntropy(b, [0, 1], [1]), /targets has length 2/);
});
