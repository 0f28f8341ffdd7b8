import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAlgorithm } from '../../src/algorithms/registry.ts';
import type { StepData } from '../../src/algorithms/types.ts';
import { lossSpecLoss } from '../../src/losses/terms.ts';
import { deltaCoefficients, deltaFeatures } from '../../src/losses/delta.ts';
import { grpoAdvantages } from '../../src/losses/advantages.ts';
import { Rng } from '../../src/util/rng.ts';
import { assertBatchOf, assertComputable, makeStep, SPECS, termOf, V } from './fixtures.ts';

const DIM = 3;

function withHidden(step: StepData): StepData {
  const rng = new Rng(8);
  return {
    ...step,
    hidden: {
      dim: DIM,
      states: step.rollouts.map((r) => Float32Array.from({ length: r.tokens.length * DIM }, () => rng.normal())),
      logprobs: step.rollouts.map((r) => r.logprobs),
    },
  };
}

test('delta with lamMin = lamMax builds exactly GRPO\'s loss: same terms, same loss and gradient bit for bit', () => {
  const step = withHidden(makeStep());
  const g = createAlgorithm('grpo').build(step)!;
  const d = createAlgorithm('delta', { lamMin: 1.05, lamMax: 1.05 }).build(step)!;
  assert.deepEqual(d.loss, g.loss);
  assert.deepEqual(d.batch, g.batch);
  const completions = g.batch.sequences.map((s) => s.completion);
  const N = completions.reduce((a, c) => a + c.length, 0);
  const rng = new Rng(2);
  const logits = Float32Array.from({ length: N * V }, () => rng.normal());
  const lg = lossSpecLoss(g.loss, { logits, N, V }, completions), ld = lossSpecLoss(d.loss, { logits, N, V }, completions);
  assert.equal(ld.loss, lg.loss);
  assert.deepEqual(ld.grad, lg.grad);
});

test('delta: token advantages are GRPO\'s times the coefficients of the student\'s own features', () => {
  const step = withHidden(makeStep());
  const built = createAlgorithm('delta').build(step)!;
  assertBatchOf(built.batch, step, [0, 1, 2, 3]);
  const pg = termOf(built.loss, 0, 'policyGradient');
  const adv = grpoAdvantages(SPECS.map((s) => s.reward), SPECS.map((s) => s.group));
  const lam = deltaCoefficients(step.rollouts.map((_, i) => deltaFeatures(step.hidden!.states[i], step.hidden!.logprobs[i], DIM)), DIM, adv);
  pg.advantages.forEach((a, i) => a.forEach((x, t) => assert.equal(x, Math.fround(adv[i] * lam[i][t]))));
  // Not all equal to GRPO's: the coefficients vary over tokens.
  assert.ok(pg.advantages.some((a, i) => a.some((x) => Math.abs(x - adv[i]) > 1e-3)));
  for (const k of ['delta/lambda_pos', 'delta/lambda_neg', 'delta/lambda_neg_from_error']) assert.ok(Number.isFinite(built.metrics[k]), k);
  assertComputable(built.loss, built.batch);
});

test('delta: a step without signal is skipped like GRPO; missing hidden states and bad options are errors', () => {
  assert.equal(createAlgorithm('delta').build(withHidden(makeStep({ rewards: [1, 1, 0, 0] }))), null);
  assert.throws(() => createAlgorithm('delta').build(makeStep()), /no hidden states/);
  assert.throws(() => createAlgorithm('delta', { lamMin: 1.3, lamMax: 1.2 }), /lamMin \(1.3\) must be <= lamMax/);
  assert.throws(() => createAlgorithm('delta', { refinements: -1 }), /refinements' must be >= 0/);
  assert.throws(() => createAlgorithm('delta', { lamMin: 0 }), /lamMin' must be >= 0.01/);
  assert.throws(() => createAlgorithm('delta', { refinements: 11 }), /refinements' must be <= 10/);
  assert.equal(createAlgorithm('delta').needs.hidden, true);
});
