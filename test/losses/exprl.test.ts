import { test } from 'node:test';
import assert from 'node:assert/strict';
import { likertReward, processAdvantages, segmentAdvantagesToTokens } from '../../src/losses/exprl.ts';

test('likert scores map to (s - 1) / 4, and only 1-5 is accepted', () => {
  assert.deepEqual([1, 2, 3, 4, 5].map(likertReward), [0, 0.25, 0.5, 0.75, 1]);
  assert.throws(() => likertReward(0), /outside 1-5/);
  assert.throws(() => likertReward(NaN), /outside 1-5/);
});

test('process advantages: hand values, the final segment credited like the others, first gets s_1 - s_T', () => {
  // s = [0.25, 0.5, 0.5, 0.25]: A_1 = 0.25 - 0.25, A_2 = 0.25, A_3 = 0, A_4 (final) = -0.25.
  assert.deepEqual(Array.from(processAdvantages([0.25, 0.5, 0.5, 0.25])), [0, 0.25, 0, -0.25]);
  // Rising scores: the early segments are pushed down by the final score, the later steps up.
  assert.deepEqual(Array.from(processAdvantages([0, 0.5, 1])), [-1, 0.5, 0.5]);
  // A completion's advantages sum to 0 (T > 1); equal scores give no signal.
  const a = processAdvantages([0.75, 0.25, 1, 0.5, 0]);
  assert.ok(Math.abs(a.reduce((x, y) => x + y, 0)) < 1e-12);
  assert.deepEqual(Array.from(processAdvantages([0.5, 0.5, 0.5])), [0, 0, 0]);
  // One segment: the authors' trainer leaves A_1 = s_1 (its first-segment write comes after the subtraction).
  assert.deepEqual(Array.from(processAdvantages([0.75])), [0.75]);
  assert.throws(() => processAdvantages([]), /at least one segment/);
  assert.throws(() => processAdvantages([0, NaN]), /segment 1 reward NaN/);
});

test('segment advantages are spread over the tokens of each segment', () => {
  const per = processAdvantages([0.25, 0.5, 0.5, 0.25]);
  assert.deepEqual(Array.from(segmentAdvantagesToTokens([0, 0, 1, 1, 1, 2, 3, 3], per)), [0, 0, 0.25, 0.25, 0.25, 0, -0.25, -0.25]);
  assert.throws(() => segmentAdvantagesToTokens([0, 4], per), /token 1 is in segment 4, but there are 4/);
});
