import { test } from 'node:test';
import assert from 'node:assert/strict';
import { opd } from '../../src/algorithms/opd.ts';
import { assertBatchOf, assertComputable, assertClose, f32, makeStep, plain, SPECS, termOf } from './fixtures.ts';

test('opd: per-token advantages log q(y_t) - log p(y_t) from the teacher and the sampler, in the clipped policy gradient', () => {
  const o = opd();
  // Only the sampled token's teacher log-prob is used: top-1 is enough.
  assert.deepEqual(o.needs.teacher, { context: 'feedback', topK: 1, kind: 'ema', emaRate: 0.05 });
  assert.equal(o.needs.sampling, true);
  const step = makeStep();
  const built = o.build(step)!;
  assertBatchOf(built.batch, step, [0, 1, 2, 3]);
  assert.equal(built.loss.terms.length, 1);
  const t = termOf(built.loss, 0, 'policyGradient');
  // e.g. rollout 1, token 0: teacher -3.0, student -2.0 -> -1.0 (the teacher likes it less: pushed down).
  assertClose(t.advantages, SPECS.map((s) => s.teacherLogprobs.map((q, j) => q - s.logprobs[j])), 1e-6, 'advantages');
  assert.deepEqual(plain(t.advantages)![1].map((a) => Math.round(a * 1e6) / 1e6), [-1, -0.1]);
  assert.deepEqual(plain(t.logpOld), f32(SPECS.map((s) => s.logprobs)));
  assert.equal(t.clipLow, 0.2);
  assert.equal(t.clipHigh, 0.28);
  assert.equal(t.aggregation, 'token_mean');
  assert.equal(t.klBeta, undefined);
  assertComputable(built.loss, built.batch);
});

test('opd: options reach the spec; missing teacher scores are refused', () => {
  const step = makeStep();
  const t = termOf(opd({ teacher: 'expert', clipLow: 0.1, clipHigh: 0.5, aggregation: 'fixed_len' }).build(step)!.loss, 0, 'policyGradient');
  assert.equal(t.clipLow, 0.1);
  assert.equal(t.clipHigh, 0.5);
  assert.equal(t.aggregation, 'fixed_len');
  assert.equal(opd({ teacher: 'expert' }).needs.teacher?.kind, 'expert');
  assert.throws(() => opd().build({ ...step, teacher: undefined }), /opd: the trainer gave no teacher scores/);
});
