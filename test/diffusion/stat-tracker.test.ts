import { test } from 'node:test';
import assert from 'node:assert/strict';
import { batchAdvantages, clipAdvantages, PerPromptStatTracker } from '../../src/diffusion/stat-tracker.ts';

const near = (a: number[], b: number[]) => a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) < 1e-5, `[${i}] ${v} vs ${b[i]}`));

test('stat tracker by hand: batch stats below min count, then the prompt buffer, which keeps its last N', () => {
  const t = new PerPromptStatTracker(4, 3);
  // Batch mean 3, population std sqrt(8/3) = 1.632993; both prompts' buffers are short.
  near(t.update([0, 0, 1], [1, 3, 5]), [-1.224744, 0, 1.224744]);
  // Prompt 0 now holds [1, 3, 5]: mean 3, std 1.632993.
  near(t.update([0], [5]), [1.224744]);
  // Buffer of 4 keeps [3, 5, 7, 9]: mean 6, std sqrt(5).
  near(t.update([0, 0], [7, 9]), [0.447214, 1.341641]);
  assert.deepEqual(t.state(), { '0': [3, 5, 7, 9], '1': [5] });
  const u = new PerPromptStatTracker(4, 3);
  u.load(t.state());
  near(u.update([1, 1], [5, 5]), [0, 0]);
});

test('batch advantages and the clip at +-5', () => {
  near(batchAdvantages([1, 2, 3]), [-1.224744, 0, 1.224744]);
  near(batchAdvantages([4, 4]), [0, 0]);
  assert.deepEqual(clipAdvantages([-7, -5, 0.5, 5, 12], 5), [-5, -5, 0.5, 5, 5]);
  // One outlier among many: its normalised advantage exceeds 5 and is clipped.
  const r = [...Array(40).fill(0), 1];
  assert.ok(batchAdvantages(r)[40] > 5);
  assert.equal(clipAdvantages(batchAdvantages(r), 5)[40], 5);
  assert.throws(() => new PerPromptStatTracker(0, 1), /buffer size/);
  assert.throws(() => new PerPromptStatTracker(4, 3).update([0], []), /1 prompts but 0 rewards/);
});
