import { test } from 'node:test';
import assert from 'node:assert/strict';
import { passAtK, summariseEval } from '../../src/eval/metrics.ts';

function binom(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return r;
}

test('pass@k equals 1 - C(n-c,k)/C(n,k) computed directly', () => {
  for (const [n, c, k] of [[10, 3, 1], [10, 3, 4], [20, 1, 5], [8, 0, 2], [8, 8, 3], [16, 5, 16]]) {
    const want = n - c < k ? 1 : 1 - binom(n - c, k) / binom(n, k);
    assert.ok(Math.abs(passAtK(n, c, k) - want) < 1e-12, `n=${n} c=${c} k=${k}`);
  }
  assert.ok(Math.abs(passAtK(10, 3, 1) - 0.3) < 1e-12); // pass@1 is the plain success rate
  assert.equal(passAtK(5, 0, 3), 0);
});

test('pass@k rejects impossible arguments', () => {
  assert.throws(() => passAtK(4, 5, 1), /c must be in/);
  assert.throws(() => passAtK(4, 1, 5), /k must be in/);
  assert.throws(() => passAtK(4, 1.5, 1), /whole numbers/);
});

test('summary: accuracy, pass@k and per-level tables by hand', () => {
  const s = summariseEval([
    { taskId: 'a', level: 1, correct: [true, false, false, false], rewards: [1, 0, 0, 0.5] },
    { taskId: 'b', level: 1, correct: [true, true, true, true], rewards: [1, 1, 1, 1] },
    { taskId: 'c', level: 2, correct: [false, false, false, false], rewards: [0, 0, 0, 0] },
  ]);
  assert.equal(s.n, 3);
  assert.ok(Math.abs(s.accuracy - 5 / 12) < 1e-12);
  assert.ok(Math.abs(s.meanReward - 5.5 / 12) < 1e-12);
  // pass@2 for task a: 1 - C(3,2)/C(4,2) = 1 - 3/6 = 0.5; b: 1; c: 0.
  assert.ok(Math.abs(s.passAtK['2'] - 0.5) < 1e-12);
  assert.deepEqual(Object.keys(s.passAtK), ['1', '2', '4']);
  assert.equal(s.byLevel['1'].n, 2);
  assert.ok(Math.abs(s.byLevel['1'].accuracy - 5 / 8) < 1e-12);
  assert.equal(s.byLevel['2'].accuracy, 0);
});

test('greedy accuracy: the share of prompts whose greedy decoding is right, overall and per level; all or none', () => {
  const s = summariseEval([
    { taskId: 'a', level: 1, correct: [false, false], rewards: [0, 0], greedy: true },
    { taskId: 'b', level: 1, correct: [true, false], rewards: [1, 0], greedy: false },
    { taskId: 'c', level: 2, correct: [false, false], rewards: [0, 0], greedy: true },
  ]);
  assert.ok(Math.abs(s.greedy! - 2 / 3) < 1e-12);
  assert.equal(s.byLevel['1'].greedy, 0.5);
  assert.equal(s.byLevel['2'].greedy, 1);
  const none = summariseEval([{ taskId: 'a', level: 1, correct: [true], rewards: [1] }]);
  assert.equal(none.greedy, undefined);
  assert.ok(!('greedy' in none.byLevel['1']));
  assert.throws(() => summariseEval([
    { taskId: 'a', level: 1, correct: [true], rewards: [1], greedy: true },
    { taskId: 'b', level: 1, correct: [true], rewards: [1] },
  ]), /1 of 2 tasks lack a greedy decoding/);
});
