import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/util/rng.ts';

test('same seed gives the same stream; different seeds differ', () => {
  const a = new Rng(42), b = new Rng(42), c = new Rng(43);
  const xs = Array.from({ length: 8 }, () => a.nextU32());
  assert.deepEqual(xs, Array.from({ length: 8 }, () => b.nextU32()));
  assert.notDeepEqual(xs, Array.from({ length: 8 }, () => c.nextU32()));
});

test('state save and restore continues bit-for-bit', () => {
  const a = new Rng(7);
  for (let i = 0; i < 5; i++) a.next();
  const saved = a.getState();
  const want = [a.next(), a.next(), a.int(10)];
  const b = new Rng(0);
  b.setState(saved);
  assert.deepEqual([b.next(), b.next(), b.int(10)], want);
});

test('next() is uniform in [0,1): mean and range over 20k draws', () => {
  const r = new Rng(1);
  let sum = 0, min = 1, max = 0;
  for (let i = 0; i < 20000; i++) {
    const x = r.next();
    sum += x; min = Math.min(min, x); max = Math.max(max, x);
  }
  assert.ok(min >= 0 && max < 1);
  assert.ok(Math.abs(sum / 20000 - 0.5) < 0.01, `mean ${sum / 20000}`);
});

test('int(n) covers every value and rejects n < 1', () => {
  const r = new Rng(3);
  const seen = new Set<number>();
  for (let i = 0; i < 1000; i++) seen.add(r.int(6));
  assert.deepEqual([...seen].sort(), [0, 1, 2, 3, 4, 5]);
  assert.throws(() => r.int(0), /n >= 1/);
});
