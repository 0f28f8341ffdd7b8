import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeSchedule } from '../../src/nn/schedule.ts';
import { assertClose } from '../engine/gradcheck.ts';

test('constant with warmup', () => {
  const s = makeSchedule({ kind: 'constant', lr: 1, warmup: 4 });
  assertClose([0, 1, 2, 3, 4, 100].map(s), [0.25, 0.5, 0.75, 1, 1, 1]);
  assertClose([0, 5].map(makeSchedule({ kind: 'constant', lr: 0.3 })), [0.3, 0.3]);
});

test('warmup then cosine to minLr', () => {
  const s = makeSchedule({ kind: 'cosine', lr: 1, warmup: 2, total: 12, minLr: 0.1 });
  assertClose([s(0), s(1), s(2), s(7), s(12), s(50)], [0.5, 1, 1, 0.1 + 0.9 * 0.5, 0.1, 0.1], 1e-9, 1e-9);
  assert.ok(s(4) > s(5) && s(5) > s(6));
});

test('warmup then linear decay', () => {
  const s = makeSchedule({ kind: 'linear', lr: 2, warmup: 0, total: 10 });
  assertClose([s(0), s(5), s(10), s(11)], [2, 1, 0, 0], 1e-9, 1e-9);
  assert.throws(() => makeSchedule({ kind: 'linear', lr: 1, warmup: 10, total: 5 }), /total \(5\) must exceed warmup \(10\)/);
});
