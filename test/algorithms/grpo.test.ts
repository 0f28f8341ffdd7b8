import { test } from 'node:test';
import assert from 'node:assert/strict';
import { grpo } from '../../src/algorithms/grpo.ts';
import { assertBatchOf, assertComputable, f32, LENGTHS, makeStep, plain, SPECS, termOf } from './fixtures.ts';

// Rewards [1, 0 | 0.5, 0] in groups [0, 0 | 1, 1]. Sample std (n - 1): group 0 sqrt(0.5),
// group 1 sqrt(0.125); the batch's sqrt(0.6875 / 3) around its mean 0.375.
const perTokens = (perSeq: number[]) => f32(perSeq.map((a, i) => new Array(LENGTHS[i]).fill(a)));

test('grpo: group-normalised advantages, one per token, with the sampler log-probs and the clip range', () => {
  const step = makeStep();
  const built = grpo().build(step)!;
  assert.ok(built);
  assertBatchOf(built.batch, step, [0, 1, 2, 3]);
  assert.equal(built.loss.terms.length, 1);
  const t = termOf(built.loss, 0, 'policyGradient');
  const a0 = 0.5 / (Math.sqrt(0.5) + 1e-4), a1 = 0.25 / (Math.sqrt(0.125) + 1e-4);
  assert.deepEqual(plain(t.advantages), perTokens([a0, -a0, a1, -a1]));
  assert.deepEqual(plain(t.logpOld), f32(SPECS.map((s) => s.logprobs)));
  assert.equal(t.weight, 1);
  assert.equal(t.clipLow, 0.2);
  assert.equal(t.clipHigh, 0.28);
  assert.equal(t.aggregation, 'token_mean');
  assert.equal(t.klBeta, undefined);
  assert.equal(t.logpRef, undefined);
  assert.equal(built.metrics['grpo/nonzero_adv_frac'], 1);
  assertComputable(built.loss, built.batch);
});

test('grpo: batch and none scaling, and the options reach the term', () => {
  const step = makeStep();
  const sb = Math.sqrt(0.6875 / 3) + 1e-4;
  const b = termOf(grpo({ scaling: 'batch' }).build(step)!.loss, 0, 'policyGradient');
  assert.deepEqual(plain(b.advantages), perTokens([0.5 / sb, -0.5 / sb, 0.25 / sb, -0.25 / sb]));
  const n = termOf(grpo({ scaling: 'none', clipLow: 0.1, clipHigh: 0.4, aggregation: 'seq_mean' }).build(step)!.loss, 0, 'policyGradient');
  assert.deepEqual(plain(n.advantages), perTokens([0.5, -0.5, 0.25, -0.25]));
  assert.equal(n.clipLow, 0.1);
  assert.equal(n.clipHigh, 0.4);
  assert.equal(n.aggregation, 'seq_mean');
});

test('grpo: a step whose groups all have equal rewards carries no signal (null)', () => {
  assert.equal(grpo().build(makeStep({ rewards: [1, 1, 0, 0] })), null);
  assert.equal(grpo().build(makeStep({ rewards: [0, 0, 0, 0] })), null);
  assert.equal(grpo({ scaling: 'none' }).build(makeStep({ rewards: [0.5, 0.5, 1, 1] })), null);
  // One group without signal, the other with: only the first group's advantages are zero.
  const built = grpo().build(makeStep({ rewards: [1, 1, 1, 0] }))!;
  const a = 0.5 / (Math.sqrt(0.5) + 1e-4);
  assert.deepEqual(plain(termOf(built.loss, 0, 'policyGradient').advantages), perTokens([0, 0, a, -a]));
  assert.equal(built.metrics['grpo/nonzero_adv_frac'], 0.5);
});

test('grpo: the k3 KL penalty asks for reference log-probs and passes them, even on a step without reward signal', () => {
  const alg = grpo({ klBeta: 0.1 });
  assert.equal(alg.needs.refLogprobs, true);
  assert.equal(grpo().needs.refLogprobs, false);
  assert.equal(alg.needs.sampling, true);
  assert.equal(alg.needs.teacher, undefined);
  const step = makeStep({ rewards: [1, 1, 0, 0] });
  const built = alg.build(step)!;
  assert.ok(built, 'a KL-only step still trains');
  const t = termOf(built.loss, 0, 'policyGradient');
  assert.deepEqual(plain(t.advantages), perTokens([0, 0, 0, 0]));
  assert.equal(t.klBeta, 0.1);
  assert.equal(t.logpRef, step.refLogprobs);
  assert.ok(assertComputable(built.loss, built.batch) > 0, 'k3 > 0 away from the reference');
});
