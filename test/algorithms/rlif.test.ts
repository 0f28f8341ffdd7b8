import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAlgorithm } from '../../src/algorithms/registry.ts';
import type { StepData } from '../../src/algorithms/types.ts';
import { clusterVoteRewards, gdpoAdvantages } from '../../src/losses/gdpo.ts';
import { assertComputable, makeStep, termOf } from './fixtures.ts';

const ANSWERS = ['7', '7', '3', undefined];
const SC = [[0.5, 1.0, 1.5], [0.2, 0.2], [2, 2], [0.1, 0.3, 0.2]];

function labelFree(step: StepData): StepData {
  return {
    ...step,
    seed: 5,
    rollouts: step.rollouts.map((r, i) => ({ ...r, outcome: { ...r.outcome, answer: ANSWERS[i] }, selfCertainty: Float32Array.from(SC[i]) })),
  };
}

test('rlif: GDPO of the vote and certainty channels as every token\'s advantage', () => {
  const built = createAlgorithm('rlif').build(labelFree(makeStep()))!;
  const pg = termOf(built.loss, 0, 'policyGradient');
  const groups = [0, 0, 1, 1];
  // vote: group 0 agrees (2 of G = 2), group 1 has one answer of two and one none.
  const vote = clusterVoteRewards(ANSWERS, groups);
  assert.deepEqual(Array.from(vote), [1, 1, 0.5, 0]);
  const cert = SC.map((s) => s.reduce((a, b) => a + b, 0) / s.length);
  const adv = gdpoAdvantages([vote, cert], groups, [1, 1]);
  pg.advantages.forEach((a, i) => a.forEach((x) => assert.equal(x, adv[i])));
  assert.equal(pg.klCov, undefined);
  assert.equal(built.metrics['rlif/distinct_answers'], 1.5);
  assert.equal(built.metrics['rlif/answer_rate'], 0.75);
  assertComputable(built.loss, built.batch);
});

test('rlif never reads the env\'s reward or correctness', () => {
  const a = createAlgorithm('rlif').build(labelFree(makeStep()))!;
  const b = createAlgorithm('rlif').build(labelFree(makeStep({ rewards: [0, 1, 1, 0] })))!;
  assert.deepEqual(b.loss, a.loss);
  assert.deepEqual(b.metrics, a.metrics);
});

test('rlif options: channels, KL-Cov / Clip-Cov terms, errors', () => {
  const step = labelFree(makeStep());
  const vote = termOf(createAlgorithm('rlif', { certaintyWeight: 0 }).build(step)!.loss, 0, 'policyGradient');
  const want = gdpoAdvantages([clusterVoteRewards(ANSWERS, [0, 0, 1, 1])], [0, 0, 1, 1], [1]);
  vote.advantages.forEach((a, i) => assert.equal(a[0], want[i]));
  // Certainty only: no answers needed, and none asked of the env.
  assert.equal(createAlgorithm('rlif', { voteWeight: 0 }).needs.answers, false);
  const kl = termOf(createAlgorithm('rlif', { klCov: 0.02 }).build(step)!.loss, 0, 'policyGradient');
  assert.deepEqual(kl.klCov, { ratio: 0.02, coef: 1 });
  assert.match(createAlgorithm('rlif', { klCov: 0.02 }).needs.severalUpdates!, /first update/);
  const cc = termOf(createAlgorithm('rlif', { clipCov: 0.1 }).build(step)!.loss, 0, 'policyGradient');
  assert.deepEqual(cc.clipCov, { ratio: 0.1, lb: 1, ub: 5, seed: 5 });
  assert.throws(() => createAlgorithm('rlif', { voteWeight: 0, certaintyWeight: 0 }), /both 0/);
  assert.throws(() => createAlgorithm('rlif', { klCov: 0.1, clipCov: 0.1 }), /alternatives/);
  assert.throws(() => createAlgorithm('rlif', { klCov: 2 }), /klCov' must be <= 1/);
  assert.throws(() => createAlgorithm('rlif', { voteWeight: -1 }), /voteWeight' must be >= 0/);
  assert.throws(() => createAlgorithm('rlif', { clipLow: 1.5 }), /clipLow' must be <= 1/);
  assert.throws(() => createAlgorithm('rlif', { clipCov: -0.1 }), /clipCov' must be >= 0/);
  assert.throws(() => createAlgorithm('rlif', { clipCov: 0.1, clipCovLow: 5, clipCovHigh: 1 }), /clipCovLow \(5\) must be below clipCovHigh \(1\)/);
  assert.throws(() => createAlgorithm('rlif').build(makeStep()), /no self-certainty/);
  // All groups unanimous and equally certain: no signal.
  const flat = { ...step, rollouts: step.rollouts.map((r) => ({ ...r, outcome: { ...r.outcome, answer: '1' }, selfCertainty: Float32Array.of(1) })) };
  assert.equal(createAlgorithm('rlif').build(flat), null);
});
