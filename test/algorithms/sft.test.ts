import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rft, sft } from '../../src/algorithms/sft.ts';
import { assertBatchOf, assertComputable, LENGTHS, makeStep, plain, termOf } from './fixtures.ts';

test('sft: token cross-entropy on every given rollout (the references), without sampling', () => {
  const s = sft();
  assert.equal(s.needs.sampling, false);
  assert.equal(s.needs.teacher, undefined);
  const step = makeStep();
  const built = s.build(step)!;
  assertBatchOf(built.batch, step, [0, 1, 2, 3]);
  assert.equal(built.loss.terms.length, 1);
  const t = termOf(built.loss, 0, 'crossEntropy');
  assert.equal(t.weight, 1);
  assert.deepEqual(plain(t.tokenWeights), LENGTHS.map((n) => new Array(n).fill(1)));
  assertComputable(built.loss, built.batch);
});

// Rewards [1, 0 | 0.5, 0] in groups [0, 0 | 1, 1].
test('rft: SFT on the samples that reach the threshold, at most maxPerGroup per prompt', () => {
  const r = rft();
  assert.equal(r.needs.sampling, true);
  const step = makeStep();
  const built = r.build(step)!;
  assertBatchOf(built.batch, step, [0]);
  const t = termOf(built.loss, 0, 'crossEntropy');
  assert.deepEqual(plain(t.tokenWeights), [[1, 1, 1]]);
  assert.equal(built.metrics['rft/kept_frac'], 1 / 4);
  assertComputable(built.loss, built.batch);

  const half = rft({ threshold: 0.5 }).build(step)!;
  assertBatchOf(half.batch, step, [0, 2]);
  assert.deepEqual(plain(termOf(half.loss, 0, 'crossEntropy').tokenWeights), [[1, 1, 1], [1, 1]]);
  assert.equal(half.metrics['rft/kept_frac'], 2 / 4);

  const all = makeStep({ rewards: [1, 1, 1, 0] });
  assertBatchOf(rft().build(all)!.batch, all, [0, 2]);
  assertBatchOf(rft({ maxPerGroup: 2 }).build(all)!.batch, all, [0, 1, 2]);
  assertBatchOf(rft({ threshold: 0, maxPerGroup: 2 }).build(all)!.batch, all, [0, 1, 2, 3]);
});

test('rft: a step without a sample at the threshold carries no signal (null)', () => {
  assert.equal(rft().build(makeStep({ rewards: [0, 0.5, 0.9, 0] })), null);
  assert.equal(rft({ threshold: 0.95 }).build(makeStep({ rewards: [0, 0.5, 0.9, 0] })), null);
});
