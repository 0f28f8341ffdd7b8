import { test } from 'node:test';
import assert from 'node:assert/strict';
import { acquire, bucketSize, poolFree, poolStats, release, setPoolLimit } from '../../src/engine/pool.ts';

test('bucket sizes: at most 25% slack, monotone', () => {
  let prev = 0;
  for (let n = 1; n < 200000; n += 37) {
    const b = bucketSize(n);
    assert.ok(b >= n && b >= prev, `bucket(${n}) = ${b}`);
    if (n > 64) assert.ok(b <= 1.25 * n, `bucket(${n}) = ${b}`);
    prev = b;
  }
});

test('buffers of nearby sizes are reused (exact-length views), and the free cap drops extras', () => {
  const a = acquire(1000);
  assert.equal(a.length, 1000);
  a.fill(7);
  release(a);
  const before = poolStats.allocations;
  const b = acquire(1001);
  assert.equal(b.length, 1001);
  assert.equal(poolStats.allocations, before, 'same bucket: no new buffer');
  assert.equal(b.buffer, a.buffer);
  release(b);
  const prev = setPoolLimit(poolFree().bytes); // full: the next release is dropped
  const c = acquire(5000);
  const freeBefore = poolFree().bytes;
  release(c);
  assert.equal(poolFree().bytes, freeBefore);
  setPoolLimit(prev);
});
