/**
 * Softmax shift invariance, for every loss over logits: adding a constant to a row's logits
 * changes neither the loss nor the gradient, so every gradient row sums to 0.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { softCrossEntropy } from '../../src/losses/soft-cross-entropy.ts';
import { generalizedJsd } from '../../src/losses/divergence.ts';
import { clippedPolicyGradient } from '../../src/losses/policy-gradient.ts';
import { tokenCrossEntropy } from '../../src/losses/cross-entropy.ts';
import { distilSurrogate } from '../../src/losses/future-credit.ts';
import type { LossResult, Support, TopKTargets } from '../../src/losses/types.ts';
import { near, nearArray, randomLogits } from './helpers.ts';

const N = 3, V = 6;
const logits = randomLogits(N * V, 13, 3);
const shifted = Float32Array.from(logits, (x, i) => x + [4, -7, 0.5][Math.floor(i / V)]);
const t: TopKTargets = { k: 2, ids: Int32Array.from([5, 0, 1, 2, 3, 4]), probs: Float32Array.from([0.4, 0.3, 0.5, 0.5, 0.2, 0.1]) };
const tokens = [1, 2, 3], w = [1, 0.5, 2];

const losses: [string, (z: Float32Array) => LossResult][] = [
  ...(['renorm', 'tail'] as Support[]).map((s) => [`softCE ${s}`, (z: Float32Array) => softCrossEntropy({ logits: z, N, V }, t, w, s)] as [string, (z: Float32Array) => LossResult]),
  ...[0, 0.5, 1].map((b) => [`jsd ${b}`, (z: Float32Array) => generalizedJsd({ logits: z, N, V }, t, w, b)] as [string, (z: Float32Array) => LossResult]),
  ['pg', (z) => clippedPolicyGradient({ logits: z, N, V }, tokens, [1, -1, 0.5], [-1.5, -2, -1], w, { betaKl: 0.1, logpRef: [-1, -1, -1] })],
  ['ce', (z) => tokenCrossEntropy({ logits: z, N, V }, tokens, w)],
  ['surrogate', (z) => distilSurrogate({ logits: z, N, V }, t, tokens, w, { credits: [1, -2, 0.5], lambdaFc: 0.7 })],
];

for (const [name, f] of losses) {
  test(`${name}: shift invariant, gradient rows sum to 0`, () => {
    const a = f(logits), b = f(shifted);
    near(b.loss, a.loss, 1e-5, 'loss');
    nearArray(b.grad, a.grad, 1e-5, 'grad');
    for (let r = 0; r < N; r++) {
      let s = 0, m = 0;
      for (let v = 0; v < V; v++) { s += a.grad[r * V + v]; m = Math.max(m, Math.abs(a.grad[r * V + v])); }
      assert.ok(Math.abs(s) <= 1e-6 * Math.max(1, m), `row ${r} sums to ${s}`);
      assert.ok(m > 0, `row ${r} has a gradient`);
    }
  });
}
