import { test } from 'node:test';
import assert from 'node:assert/strict';
import { axisFraction, compactNumber, linearAxis, logAxis, niceStep, tickLabels } from '../../../src/report/plot/ticks.ts';

test('niceStep picks 1, 2, 2.5 or 5 times a power of ten', () => {
  assert.equal(niceStep(10, 5), 2);
  assert.equal(niceStep(100, 4), 25);
  assert.equal(niceStep(1, 5), 0.2);
  assert.equal(niceStep(7, 5), 2);
  assert.equal(niceStep(0.03, 3), 0.01);
  assert.equal(niceStep(0, 5), 1, 'degenerate span');
});

test('linearAxis widens to the enclosing ticks with clean values', () => {
  const a = linearAxis(0.12, 0.87, 5);
  assert.deepEqual(a.ticks, [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.equal(a.min, 0);
  assert.equal(a.max, 1);
  assert.deepEqual(linearAxis(0, 300, 6).ticks, [0, 50, 100, 150, 200, 250, 300]);
  assert.deepEqual(linearAxis(-3, 3, 6).ticks, [-3, -2, -1, 0, 1, 2, 3]);
  assert.deepEqual(linearAxis(2, 4, 6).ticks, [2, 2.5, 3, 3.5, 4]);
  assert.deepEqual(linearAxis(2, 4, 6, true).ticks, [2, 3, 4], 'whole numbers for integer data');
  assert.deepEqual(linearAxis(0, 12, 5, true).ticks, [0, 2, 4, 6, 8, 10, 12]);
  const tight = linearAxis(2, 41.3, 5, false, true);
  assert.deepEqual([tight.min, tight.max, tight.ticks], [2, 41.3, [10, 20, 30, 40]], 'tight: ends at the data, ticks inside');
});

test('linearAxis handles a flat series, reversed bounds and non-finite input', () => {
  const flat = linearAxis(5, 5);
  assert.ok(flat.min < 5 && flat.max > 5);
  assert.deepEqual(linearAxis(10, 0).ticks, linearAxis(0, 10).ticks);
  assert.deepEqual(linearAxis(NaN, 3).ticks, linearAxis(0, 1).ticks);
});

test('logAxis uses powers of ten, with 2 and 5 when it spans few decades', () => {
  const wide = logAxis(120, 2e6);
  assert.deepEqual(wide.ticks, [100, 1000, 1e4, 1e5, 1e6, 1e7]);
  assert.equal(axisFraction(wide, 1e4), 0.4);
  const narrow = logAxis(1.5, 40);
  assert.deepEqual(narrow.ticks, [1, 2, 5, 10, 20, 50, 100]);
  assert.throws(() => logAxis(0, 10), /positive/);
});

test('tick labels share decimals and shorten thousands and millions', () => {
  assert.deepEqual(tickLabels([0, 0.2, 0.4]), ['0', '0.2', '0.4']);
  assert.deepEqual(tickLabels([0, 0.25, 0.5]), ['0', '0.25', '0.50']);
  assert.deepEqual(tickLabels([0, 20000, 40000]), ['0', '20k', '40k']);
  assert.deepEqual(tickLabels([0, 500000, 1000000, 1500000]), ['0', '0.5M', '1.0M', '1.5M']);
  assert.deepEqual(tickLabels([100, 1000, 1e4, 1e6], true), ['100', '1000', '10k', '1M']);
  assert.equal(compactNumber(0.125), '0.125');
  assert.equal(compactNumber(1234567), '1.23M');
});
