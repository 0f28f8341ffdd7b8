import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LossTerm } from '../../src/backends/types.ts';
import { lossSpecLoss, termLoss, termRowWeights } from '../../src/losses/terms.ts';
import { softCrossEntropy } from '../../src/losses/soft-cross-entropy.ts';
import { generalizedJsd } from '../../src/losses/divergence.ts';
import { clippedPolicyGradient } from '../../src/losses/policy-gradient.ts';
import { tokenCrossEntropy } from '../../src/losses/cross-entropy.ts';
import { near, nearArray, randomLogits } from './helpers.ts';

// Batch: sequence 0 has completion [2, 0], sequence 1 has [1]. V = 3, k = 2.
const V = 3;
const completions = [[2, 0], [1]];
const block = { logits: randomLogits(3 * V, 9, 2), N: 3, V };
const targetIds = [Int32Array.from([2, 1, 0, 2]), Int32Array.from([1, 0])];
const targetProbs = [Float32Array.from([0.6, 0.3, 0.5, 0.4]), Float32Array.from([0.9, 0.1])];
const flatT = { k: 2, ids: Int32Array.from([2, 1, 0, 2, 1, 0]), probs: Float32Array.from([0.6, 0.3, 0.5, 0.4, 0.9, 0.1]) };
const mask = [Float32Array.from([1, 0]), Float32Array.from([1])];

const sce: LossTerm = { kind: 'softCrossEntropy', weight: 2, support: 'tail', k: 2, targetIds, targetProbs, tokenWeights: mask };
const div: LossTerm = { kind: 'divergence', weight: 1, beta: 0.5, support: 'tail', k: 2, targetIds, targetProbs, tokenWeights: mask, isClip: 2, logpOld: [Float32Array.from([-1, -1]), Float32Array.from([-1])] };
const pg: LossTerm = {
  kind: 'policyGradient', weight: 1, advantages: [Float32Array.from([1, 1]), Float32Array.from([-1])],
  logpOld: [Float32Array.from([-1, -1.2]), Float32Array.from([-0.9])], clipLow: 0.2, clipHigh: 0.28, aggregation: 'seq_mean',
};
const ce: LossTerm = { kind: 'crossEntropy', weight: 0.5, tokenWeights: [Float32Array.from([1, 1]), Float32Array.from([1])] };

test('row weights: masked token_mean for soft terms, the aggregation for policy gradient, times weight', () => {
  nearArray(termRowWeights(sce, [2, 1]), [2 * 0.5, 0, 2 * 0.5]); // kept 2 tokens
  nearArray(termRowWeights(pg, [2, 1]), [1 / 4, 1 / 4, 1 / 2]); // seq_mean: 1/(2*2), 1/(2*1)
  nearArray(termRowWeights(ce, [2, 1]), [0.5 / 3, 0.5 / 3, 0.5 / 3]);
});

test('each term equals the direct call with those weights', () => {
  const tokens = [2, 0, 1];
  const pairs: [LossTerm, ReturnType<typeof softCrossEntropy>][] = [
    [sce, softCrossEntropy(block, flatT, [1, 0, 1], 'tail')],
    [div, generalizedJsd(block, flatT, [0.5, 0, 0.5], 0.5, { support: 'tail', importance: { tokens, logpOld: [-1, -1, -1], clip: 2 } })],
    [pg, clippedPolicyGradient(block, tokens, [1, 1, -1], [-1, -1.2, -0.9], [0.25, 0.25, 0.5], { epsLow: 0.2, epsHigh: 0.28 })],
    [ce, tokenCrossEntropy(block, tokens, [1 / 6, 1 / 6, 1 / 6])],
  ];
  for (const [term, want] of pairs) {
    const got = termLoss(term, block, completions);
    near(got.loss, want.loss, 1e-6, term.kind);
    nearArray(got.grad, want.grad, 1e-6, term.kind);
  }
  const all = lossSpecLoss({ terms: [sce, div, pg, ce] }, block, completions);
  near(all.loss, pairs.reduce((s, [, r]) => s + r.loss, 0), 1e-6);
  near(all.metrics['loss/2:policyGradient'], pairs[2][1].loss, 1e-6);
  assert.ok('softCrossEntropy/teacherMass' in all.metrics);
  // Given row weights replace each term's own (a backend passes its slice of the whole batch's).
  const half = [sce, div, pg, ce].map((t) => termRowWeights(t, [2, 1]).map((w) => w / 2));
  const scaled = lossSpecLoss({ terms: [sce, div, pg, ce] }, block, completions, half);
  near(scaled.loss, all.loss / 2, 1e-6);
  nearArray(scaled.grad, all.grad.map((g) => g / 2), 1e-6);
  assert.throws(() => lossSpecLoss({ terms: [sce, div] }, block, completions, [half[0]]), /rowWeights has 1 arrays for 2 terms/);
});

test('shape errors name the term and the array', () => {
  assert.throws(() => termLoss(sce, { ...block, N: 2, logits: block.logits.subarray(0, 6) }, completions), /N = 2 rows, the completions have 3/);
  assert.throws(() => termLoss({ ...sce, targetIds: [targetIds[0], Int32Array.from([1])] } as LossTerm, block, completions), /targetIds\[1\] has length 1, expected 2/);
  assert.throws(() => termLoss({ ...pg, advantages: [Float32Array.from([1, 1])] } as LossTerm, block, completions), /advantages has 1 sequences/);
  assert.throws(() => lossSpecLoss({ terms: [] }, block, completions), /spec.terms is empty/);
});
