import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aggregationWeights, flattenPerToken } from '../../src/losses/aggregation.ts';
import { near, nearArray } from './helpers.ts';

// Two sequences of 2 and 3 tokens with token losses [1, 3 | 2, 4, 6].
const lengths = [2, 3];
const losses = [1, 3, 2, 4, 6];
const dot = (w: ArrayLike<number>) => losses.reduce((s, l, i) => s + l * w[i], 0);

test('token_mean: 1/5 each; sum w*l = 16/5', () => {
  const w = aggregationWeights(lengths, 'token_mean');
  nearArray(w, [1 / 5, 1 / 5, 1 / 5, 1 / 5, 1 / 5]);
  near(dot(w), 16 / 5);
});

test('seq_mean: 1/(B len_i) = 1/4, 1/6; sum w*l = (2 + 4) / 2 = 3', () => {
  const w = aggregationWeights(lengths, 'seq_mean');
  nearArray(w, [1 / 4, 1 / 4, 1 / 6, 1 / 6, 1 / 6]);
  near(dot(w), 3);
});

test('fixed_len: 1/(B maxLen) = 1/6 (or 1/20 with maxLen 10); sum w*l = 16/6', () => {
  nearArray(aggregationWeights(lengths, 'fixed_len'), new Array(5).fill(1 / 6));
  near(dot(aggregationWeights(lengths, 'fixed_len')), 16 / 6);
  nearArray(aggregationWeights(lengths, 'fixed_len', undefined, { maxLen: 10 }), new Array(5).fill(1 / 20));
  assert.throws(() => aggregationWeights(lengths, 'fixed_len', undefined, { maxLen: 2 }), /shorter than the longest/);
});

test('masks: kept tokens [1, - | 2, 4, -]', () => {
  const masks = [[1, 0], [1, 1, 0]];
  near(dot(aggregationWeights(lengths, 'token_mean', masks)), (1 + 2 + 4) / 3);
  near(dot(aggregationWeights(lengths, 'seq_mean', masks)), (1 / 1 + (2 + 4) / 2) / 2);
  near(dot(aggregationWeights(lengths, 'fixed_len', masks)), (1 + 2 + 4) / (2 * 3));
  // a fully masked sequence leaves seq_mean over the other sequence only
  const w = aggregationWeights(lengths, 'seq_mean', [[0, 0], [1, 1, 1]]);
  nearArray(w, [0, 0, 1 / 3, 1 / 3, 1 / 3]);
  // nothing kept: all zero, no NaN
  for (const mode of ['token_mean', 'seq_mean', 'fixed_len'] as const) {
    assert.ok(aggregationWeights(lengths, mode, [[0, 0], [0, 0, 0]]).every((x) => x === 0));
  }
});

test('validation and helpers', () => {
  assert.throws(() => aggregationWeights([2, -1], 'token_mean'), /lengths\[1\] = -1/);
  assert.throws(() => aggregationWeights(lengths, 'token_mean', [[1, 1]]), /masks has 1 sequences/);
  assert.throws(() => aggregationWeights(lengths, 'token_mean', [[1], [1, 1, 1]]), /masks\[0\] has length 1/);
  assert.throws(() => aggregationWeights(lengths, 'bogus' as 'token_mean'), /mode must be/);
  const flat = flattenPerToken([[1, 2], [3, 4, 5]]);
  nearArray(flat, [1, 2, 3, 4, 5]);
});
