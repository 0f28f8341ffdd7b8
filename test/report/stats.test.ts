import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aggregateCurves, binCurve, interpolate, mean, std, stderr, tCritical95, tInterval, wilsonInterval } from '../../src/report/stats.ts';

const close = (a: number, b: number, eps = 1e-3) => assert.ok(Math.abs(a - b) < eps, `${a} vs ${b}`);

test('mean, sample std and standard error', () => {
  assert.equal(mean([1, 2, 3, 4]), 2.5);
  close(std([2, 4, 4, 4, 5, 5, 7, 9]), 2.138);
  close(stderr([2, 4, 4, 4, 5, 5, 7, 9]), 2.138 / Math.sqrt(8));
  assert.ok(Number.isNaN(mean([])));
  assert.ok(Number.isNaN(std([1])));
});

test('t critical values: table, interpolation beyond 30, normal limit', () => {
  assert.equal(tCritical95(1), 12.706);
  assert.equal(tCritical95(2), 4.303);
  assert.equal(tCritical95(30), 2.042);
  const t50 = tCritical95(50);
  assert.ok(t50 < 2.021 && t50 > 2.0, `t(50) = ${t50}`);
  close(tCritical95(1e9), 1.96);
  assert.throws(() => tCritical95(0), /df >= 1/);
});

test('t interval over seeds: known values, and no interval from one seed', () => {
  const iv = tInterval([50, 60, 70]);
  assert.equal(iv.mean, 60);
  // sd 10, se 10/sqrt(3), t(2) = 4.303
  close(iv.hi - iv.mean, (4.303 * 10) / Math.sqrt(3));
  close(iv.mean - iv.lo, (4.303 * 10) / Math.sqrt(3));
  assert.ok(iv.ok);
  const one = tInterval([42]);
  assert.deepEqual([one.ok, one.lo, one.hi], [false, 42, 42]);
  assert.equal(tInterval([1, NaN, 3]).n, 2, 'non-finite values are ignored');
});

test('Wilson interval: textbook value, stays in [0,1] at the extremes', () => {
  const w = wilsonInterval(8, 10);
  close(w.lo, 0.4902);
  close(w.hi, 0.9433);
  const zero = wilsonInterval(0, 20);
  assert.equal(zero.lo, 0);
  assert.ok(zero.hi > 0.1 && zero.hi < 0.2);
  assert.equal(wilsonInterval(20, 20).hi, 1);
  assert.throws(() => wilsonInterval(11, 10), /impossible/);
});

test('interpolate is linear inside, exact at points, undefined outside', () => {
  assert.equal(interpolate([0, 10], [0, 100], 2.5), 25);
  assert.equal(interpolate([0, 10, 20], [0, 100, 0], 10), 100);
  assert.equal(interpolate([0, 10], [0, 100], 11), undefined);
});

test('aggregateCurves aligns identical steps exactly and bands them', () => {
  const a = aggregateCurves([
    { x: [0, 5, 10], y: [10, 20, 30] },
    { x: [0, 5, 10], y: [20, 30, 40] },
  ]);
  assert.equal(a.alignment, 'exact');
  assert.deepEqual(a.x, [0, 5, 10]);
  assert.deepEqual(a.mean, [15, 25, 35]);
  assert.deepEqual(a.n, [2, 2, 2]);
  close(a.hi[0] - 15, 12.706 * (std([10, 20]) / Math.SQRT2));
});

test('aggregateCurves interpolates differing x grids over their common range', () => {
  const a = aggregateCurves([
    { x: [0, 100, 200], y: [0, 10, 20] },
    { x: [50, 150, 250], y: [5, 15, 25] },
  ]);
  assert.equal(a.alignment, 'interpolated');
  assert.equal(a.x[0], 50, 'starts where both curves have data');
  assert.equal(a.x[a.x.length - 1], 200, 'ends where the shorter one ends');
  // Both curves lie on y = x/10, so the mean does too and the band collapses.
  a.x.forEach((x, i) => close(a.mean[i], x / 10));
  assert.ok(a.n.every((n) => n === 2));
});

test('aggregateCurves: unsorted input, repeated x keeps the last value, NaN dropped, disjoint ranges', () => {
  const a = aggregateCurves([{ x: [10, 0, 10, 5], y: [1, 0, 3, NaN] }]);
  assert.deepEqual(a.x, [0, 10]);
  assert.deepEqual(a.mean, [0, 3]);
  assert.ok(Number.isNaN(a.lo[0]), 'no band from one curve');
  const d = aggregateCurves([
    { x: [0, 1], y: [0, 1] },
    { x: [5, 6], y: [5, 6] },
  ]);
  assert.deepEqual(d.x, [0, 1, 5, 6]);
  assert.deepEqual(d.n, [1, 1, 1, 1]);
  assert.equal(aggregateCurves([]).x.length, 0);
  const many = aggregateCurves([
    { x: Array.from({ length: 500 }, (_, i) => i), y: Array.from({ length: 500 }, (_, i) => i) },
    { x: Array.from({ length: 500 }, (_, i) => i + 0.5), y: Array.from({ length: 500 }, (_, i) => i) },
  ], 50);
  assert.equal(many.x.length, 50, 'thinned to maxPoints');
});

test('binCurve averages windows of a long curve and leaves short ones alone', () => {
  const x = Array.from({ length: 1000 }, (_, i) => i);
  const b = binCurve({ x, y: x.map((v) => (v % 2 ? 1 : 0)) }, 100);
  assert.equal(b.x.length, 100);
  assert.equal(b.x[0], 4.5);
  assert.ok(b.y.every((v) => v === 0.5), 'alternating noise averages out');
  assert.deepEqual(binCurve({ x: [2, 1], y: [20, 10] }, 100), { x: [1, 2], y: [10, 20] });
});
