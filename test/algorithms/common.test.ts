import { test } from 'node:test';
import assert from 'node:assert/strict';
import { anchoredPolicyGradient } from '../../src/algorithms/common.ts';
import { assertBatchOf, assertComputable, f32, LENGTHS, makeStep, plain, SPECS, termOf } from './fixtures.ts';

const O = { clipLow: 0.1, clipHigh: 0.3, aggregation: 'seq_mean' as const, klBeta: 0 };
const uniform = (a: number) => LENGTHS.map((n) => new Float32Array(n).fill(a));

test('anchoredPolicyGradient: the given advantages, the sampler log-probs, the clip range and the metrics; no anchor at klBeta 0', () => {
  const step = makeStep();
  const adv = LENGTHS.map((n, i) => Float32Array.from({ length: n }, (_, t) => (i - 1.5) * (t + 1)));
  const built = anchoredPolicyGradient(step, adv, O, { 'x/y': 3 })!;
  assertBatchOf(built.batch, step, [0, 1, 2, 3]);
  assert.equal(built.loss.terms.length, 1);
  const t = termOf(built.loss, 0, 'policyGradient');
  assert.deepEqual(plain(t.advantages), plain(adv));
  assert.deepEqual(plain(t.logpOld), f32(SPECS.map((s) => s.logprobs)));
  assert.deepEqual([t.clipLow, t.clipHigh, t.aggregation, t.klBeta, t.logpRef], [0.1, 0.3, 'seq_mean', undefined, undefined]);
  assert.deepEqual(built.metrics, { 'x/y': 3 });
  assertComputable(built.loss, built.batch);
});

test('anchoredPolicyGradient: all-zero advantages are no update without an anchor, a KL-only update with one', () => {
  const step = makeStep();
  assert.equal(anchoredPolicyGradient(step, uniform(0), O, {}), null);
  // One nonzero token anywhere is signal.
  const one = uniform(0);
  one[2][1] = -0.5;
  assert.ok(anchoredPolicyGradient(step, one, O, {}));
  const kl = anchoredPolicyGradient(step, uniform(0), { ...O, klBeta: 0.2 }, {})!;
  const t = termOf(kl.loss, 0, 'policyGradient');
  assert.equal(t.klBeta, 0.2);
  assert.equal(t.logpRef, step.refLogprobs);
  assertComputable(kl.loss, kl.batch);
});
