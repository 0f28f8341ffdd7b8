import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterVoteRewards, gdpoAdvantages, sequenceSelfCertainty } from '../../src/losses/gdpo.ts';
import { grpoAdvantages } from '../../src/losses/advantages.ts';
import { nearArray } from './helpers.ts';

test('cluster voting: share of the group with the same answer, 0 without one', () => {
  nearArray(clusterVoteRewards(['7', '7', '3', undefined], 4), [0.5, 0.5, 0.25, 0]);
  nearArray(clusterVoteRewards(['1', '2', '1', '1', undefined, undefined], [0, 1, 0, 1, 1, 0]), [2 / 3, 1 / 3, 2 / 3, 1 / 3, 0, 0]);
});

test('GDPO hand example: per-channel group z-scores, weighted sum, batch z-score', () => {
  const r1 = [1, 1, 0, 0], r2 = [0.9, 0.1, 0.5, 0.5];
  nearArray(gdpoAdvantages([r1, r2], 4, [1, 1]), [1.4784, -0.2537, -0.6124, -0.6124], 1e-4);
  // GRPO on the summed reward gives sample 2 the opposite sign (the point of normalising per channel).
  nearArray(grpoAdvantages(r1.map((x, i) => x + r2[i]), 4, 'group', 1e-6), [1.3568, 0.1508, -0.7538, -0.7538], 1e-4);
  // Weights scale a channel before the sum: the second channel alone (weight 0 on the first) is its own z-score, re-standardised.
  const z2 = [1.2247, -1.2247, 0, 0], s = Math.sqrt((2 * 1.2247 ** 2) / 3);
  nearArray(gdpoAdvantages([r1, r2], 4, [0, 2]), z2.map((z) => z / s), 1e-3);
});

test('GDPO limits: one channel and one group is GRPO (up to eps); a flat channel adds nothing', () => {
  const r = [0.2, 0.9, 0.4, 0.4, 1];
  nearArray(gdpoAdvantages([r], 5, [1]), grpoAdvantages(r, 5, 'group', 1e-6), 1e-5);
  nearArray(gdpoAdvantages([r, [3, 3, 3, 3, 3]], 5, [1, 1]), gdpoAdvantages([r], 5, [1]), 1e-9);
  nearArray(gdpoAdvantages([[1]], 1, [1]), [0]);
  assert.throws(() => gdpoAdvantages([r, [1, 2]], 5, [1, 1]), /channel 1 has 2 rewards, channel 0 has 5/);
  assert.throws(() => gdpoAdvantages([r], 5, [1, 1]), /2 weights for 1 channels/);
});

test('sequence self-certainty is the token mean', () => {
  nearArray(sequenceSelfCertainty([Float32Array.of(0.5, 1.5), Float32Array.of()]), [1, 0]);
});
