import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tour } from '../../examples/tour.ts';
import { tinyModelFolder } from '../train/helpers.ts';

test('the README tour runs: env feedback, sampling, a short DistIL run', async () => {
  const r = await tour(tinyModelFolder(5), 1);
  assert.match(r.feedback, /should be/);
  assert.equal(typeof r.sample, 'string');
  assert.ok(r.finalAccuracy >= 0 && r.finalAccuracy <= 1);
});
