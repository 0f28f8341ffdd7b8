import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Batcher } from '../../src/server/batcher.ts';

test('submissions in the same turn run as one batch, each getting its own results back', async () => {
  const calls: number[][] = [];
  const b = new Batcher<number, number>((xs) => {
    calls.push(xs);
    return xs.map((x) => x * 10);
  });
  const [a, c, d] = await Promise.all([b.submit([1, 2]), b.submit([3]), b.submit([4, 5, 6])]);
  assert.deepEqual(calls, [[1, 2, 3, 4, 5, 6]]);
  assert.deepEqual([a, c, d], [[10, 20], [30], [40, 50, 60]]);
  assert.deepEqual(await b.submit([]), []);
});

test('a failing merged batch is rerun per submission, so only the bad one fails', async () => {
  const b = new Batcher<number, number>((xs) => {
    if (xs.includes(-1)) throw new Error('negative input');
    return xs.map((x) => x + 1);
  });
  const [ok, bad, ok2] = await Promise.allSettled([b.submit([1]), b.submit([-1]), b.submit([2])]);
  assert.deepEqual(ok, { status: 'fulfilled', value: [2] });
  assert.deepEqual(ok2, { status: 'fulfilled', value: [3] });
  assert.equal(bad.status, 'rejected');
  assert.match(String((bad as PromiseRejectedResult).reason), /negative input/);
});

test('submissions made while a batch runs form the next batch', async () => {
  const calls: number[][] = [];
  let late: Promise<number[]> | undefined;
  const b = new Batcher<number, number>((xs) => {
    calls.push(xs);
    if (!late) late = b.submit([99]);
    return xs;
  });
  await b.submit([1]);
  assert.deepEqual(await late, [99]);
  assert.deepEqual(calls, [[1], [99]]);
});
