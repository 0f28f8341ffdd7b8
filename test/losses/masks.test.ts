import { test } from 'node:test';
import assert from 'node:assert/strict';
import { confidenceMask, disagreementMask, feedbackMask, klMask } from '../../src/losses/masks.ts';
import { aggregationWeights, combineWeights } from '../../src/losses/aggregation.ts';
import type { TopKTargets } from '../../src/losses/types.ts';
import { logitsOf, nearArray } from './helpers.ts';

const ln = Math.log;
// row 0: student [1/6, 1/3, 1/2] (max .5, argmax 2); teacher top 2 with .6  -> more confident, agree
// row 1: student [.8, .1, .1]   (max .8, argmax 0); teacher top 1 with .7  -> less confident, disagree
// row 2: student uniform        (max 1/3, argmax 0); teacher top 0 with .9 -> more confident, agree
const block = { logits: logitsOf([[1 / 6, 1 / 3, 1 / 2].map(ln), [0.8, 0.1, 0.1].map(ln), [0, 0, 0]]), N: 3, V: 3 };
const targets: TopKTargets = {
  k: 2,
  ids: Int32Array.from([2, 1, 0, 1, 0, 2]),
  probs: Float32Array.from([0.6, 0.3, 0.2, 0.7, 0.9, 0.05]), // row 1 lists its top token second
};

test('confidence: max q > max p + margin', () => {
  nearArray(confidenceMask(block, targets), [1, 0, 1]);
  nearArray(confidenceMask(block, targets, 0.2), [0, 0, 1]); // .6 > .7? no; .9 > .5333? yes
});

test('disagreement: student argmax != teacher top-1 (the harmful selection of the prototype)', () => {
  nearArray(disagreementMask(block, targets), [0, 1, 0]);
});

test('KL mask keeps rows whose KL(q~||p~) exceeds the threshold', () => {
  // row 0 (tail): .6 ln(.6/.5) + .3 ln(.3/(1/3)) + .1 ln(.1/(1/6)) = 0.0270...
  const kl0 = 0.6 * ln(0.6 / 0.5) + 0.3 * ln(0.3 / (1 / 3)) + 0.1 * ln(0.1 / (1 / 6));
  const m = klMask(block, targets, kl0 + 1e-4);
  assert.equal(m[0], 0);
  assert.equal(klMask(block, targets, kl0 - 1e-4)[0], 1);
  nearArray(klMask(block, targets, 0), [1, 1, 1]);
});

test('feedback: positions t >= start; <= 0 keeps all, >= length or Infinity keeps none', () => {
  nearArray(feedbackMask([3, 2], [1, Infinity]), [0, 1, 1, 0, 0]);
  nearArray(feedbackMask([3, 2], [-2, 1]), [1, 1, 1, 0, 1]);
  nearArray(feedbackMask([3, 2], [0, 5]), [1, 1, 1, 0, 0]);
  assert.throws(() => feedbackMask([3], [0, 1]), /starts has 2 entries/);
});

test('masks compose with aggregation weights', () => {
  const fb = feedbackMask([2, 1], [1, 0]); // [0, 1 | 1]
  const conf = confidenceMask(block, targets); // [1, 0, 1]
  const keep = combineWeights(fb, conf); // [0, 0, 1]
  nearArray(keep, [0, 0, 1]);
  nearArray(aggregationWeights([2, 1], 'token_mean', [keep.subarray(0, 2), keep.subarray(2)]), [0, 0, 1]);
});
