import { test } from 'node:test';
import assert from 'node:assert/strict';
import { distilSurrogate, futureCredit } from '../../src/losses/future-credit.ts';
import { rowCrossEntropies, softCrossEntropy } from '../../src/losses/soft-cross-entropy.ts';
import { clippedPolicyGradient } from '../../src/losses/policy-gradient.ts';
import type { TopKTargets } from '../../src/losses/types.ts';
import { checkGrad, logitsOf, near, nearArray, randomLogits } from './helpers.ts';

const ln = Math.log;

test('C_t = sum_{i>t} gamma^(i-t-1) H_i: H = [1, 2, 3]', () => {
  // gamma 1: [2 + 3, 3, 0]; gamma 1/2: [2 + 3/2, 3, 0]; gamma 0: [2, 3, 0]
  nearArray(futureCredit([[1, 2, 3]], { gamma: 1, baseline: 'none' }).credits[0], [5, 3, 0]);
  nearArray(futureCredit([[1, 2, 3]], { gamma: 0.5, baseline: 'none' }).credits[0], [3.5, 3, 0]);
  nearArray(futureCredit([[1, 2, 3]], { gamma: 0, baseline: 'none' }).credits[0], [2, 3, 0]);
  nearArray(futureCredit([[1, 2, 3]], { baseline: 'none', lambdaFc: 2 }).advantages[0], [-10, -6, 0]);
});

// Two sequences of one group. A's first token led into disagreement (H = 4, 4 after it);
// B's first token did not (H = 0 afterwards).
const HA = [1, 4, 4], HB = [1, 0, 0, 0];

test('SIGN on a 2-sequence group: the token leading to MORE future disagreement gets a NEGATIVE advantage', () => {
  const fc = futureCredit([HA, HB], { baseline: 'group_position', groups: 2, lambdaFc: 0.5 });
  nearArray(fc.credits[0], [8, 4, 0]);
  nearArray(fc.credits[1], [0, 0, 0, 0]);
  // b_0 = (8 + 0)/2 = 4, b_1 = (4 + 0)/2 = 2, b_2 = 0, b_3 = 0 (only B has position 3)
  nearArray(fc.centered[0], [4, 2, 0]);
  nearArray(fc.centered[1], [-4, -2, 0, 0]);
  // A = -lambda (C - b)
  nearArray(fc.advantages[0], [-2, -1, 0]);
  nearArray(fc.advantages[1], [2, 1, 0, 0]);
});

test('batch and none baselines, and standardisation', () => {
  const batch = futureCredit([HA, HB], { baseline: 'batch' });
  const b = (8 + 4) / 7;
  nearArray(batch.centered[0], [8 - b, 4 - b, -b]);
  nearArray(batch.centered[1], [-b, -b, -b, -b]);
  const none = futureCredit([[1, 2, 3]], { baseline: 'none', standardize: true });
  // C = [5, 3, 0]: mean 8/3, population std sqrt((49 + 1 + 64) / 27)
  const mean = 8 / 3, std = Math.sqrt(114 / 27);
  nearArray(none.centered[0], [5, 3, 0].map((c) => (c - mean) / std));
  // a sequence alone at a position gets zero credit there
  const lone = futureCredit([[1, 1, 1], [1]], { baseline: 'group_position', groups: [0, 0] });
  nearArray(lone.centered[0], [1, 0, 0]);
  assert.throws(() => futureCredit([HA], { baseline: 'group_position' }), /needs groups/);
  assert.throws(() => futureCredit([[NaN]]), /H\[0\]\[0\] = NaN/);
});

// V = 3, two rows (the two sampled tokens), student p = [1/6, 1/3, 1/2] on both.
const p = [1 / 6, 1 / 3, 1 / 2];
const block = { logits: logitsOf([p.map(ln), p.map(ln)]), N: 2, V: 3 };
const targets: TopKTargets = { k: 2, ids: Int32Array.from([2, 1, 0, 1]), probs: Float32Array.from([0.6, 0.3, 0.5, 0.5]) };
const H0 = -(0.6 * ln(1 / 2) + 0.3 * ln(1 / 3) + 0.1 * ln(1 / 6)), H1 = -(0.5 * ln(1 / 6) + 0.5 * ln(1 / 3));

test('surrogate: sum w [H + lambda log p(y) d]; the fc gradient pushes a d > 0 token down', () => {
  const tokens = [2, 0], d = [2, -1], w = [1, 0.5];
  const r = distilSurrogate(block, targets, tokens, w, { credits: d, lambdaFc: 0.3 });
  near(r.loss, 1 * (H0 + 0.3 * ln(1 / 2) * 2) + 0.5 * (H1 + 0.3 * ln(1 / 6) * -1));
  const ce = softCrossEntropy(block, targets, w, 'tail');
  // fc gradient per row: w lambda d (onehot(y) - p)
  const fcGrad = [0, 1].flatMap((r) => p.map((pi, v) => w[r] * 0.3 * d[r] * ((v === tokens[r] ? 1 : 0) - pi)));
  nearArray(r.grad, Array.from(ce.grad, (g, i) => g + fcGrad[i]));
  const diff = Array.from(r.grad, (g, i) => g - ce.grad[i]);
  assert.ok(diff[2] > 0, 'd > 0: descent lowers the logit of the sampled token 2');
  assert.ok(diff[3] < 0, 'd < 0: descent raises the logit of the sampled token 0');
  // lambdaFc 0 is the CE-only ablation
  const off = distilSurrogate(block, targets, tokens, w, { lambdaFc: 0 });
  near(off.loss, ce.loss);
});

test('end to end on the 2-sequence group: sequence A token 0 goes down, sequence B token 0 goes up', () => {
  // rows: A (3 tokens) then B (4 tokens). Teachers chosen so that H is large after A's first token.
  const V = 3, N = 7;
  const logits = logitsOf(new Array(N).fill(p.map(ln)));
  const ids = Int32Array.from([0, 1, 0, 1, 0, 1, 2, 1, 2, 1, 2, 1, 2, 1]);
  // A rows 1, 2: teacher on token 0 (student 1/6, high H); B rows: teacher on token 2 (low H)
  const probs = Float32Array.from([0.5, 0.5, 1, 0, 1, 0, 0.5, 0.5, 1, 0, 1, 0, 1, 0]);
  const t: TopKTargets = { k: 2, ids, probs };
  const tokens = [1, 1, 1, 1, 1, 1, 1];
  const w = new Array(N).fill(1 / N);
  const opts = { lambdaFc: 1, credit: { lengths: [3, 4], baseline: 'group_position' as const, groups: 2 } };
  const r = distilSurrogate({ logits, N, V }, t, tokens, w, opts);
  const ce = softCrossEntropy({ logits, N, V }, t, w, 'tail');
  const dA0 = r.grad[0 * V + 1] - ce.grad[0 * V + 1];
  const dB0 = r.grad[3 * V + 1] - ce.grad[3 * V + 1];
  assert.ok(dA0 > 0 && dB0 < 0, `A0 ${dA0}, B0 ${dB0}`);
  // same as computing the credits explicitly
  const H = rowCrossEntropies({ logits, N, V }, t, 'tail').ce;
  const fc = futureCredit([H.subarray(0, 3), H.subarray(3)], { baseline: 'group_position', groups: 2 });
  const explicit = distilSurrogate({ logits, N, V }, t, tokens, w, { lambdaFc: 1, credits: [...fc.centered[0], ...fc.centered[1]] });
  near(r.loss, explicit.loss, 1e-9);
  nearArray(r.grad, explicit.grad, 1e-7);
  assert.ok(fc.centered[0][0] > 0 && fc.centered[1][0] < 0);
});

test('importance ratio: value rho d, gradient d rho grad log p (= on-policy gradient at rho = 1)', () => {
  const tokens = [2, 0], d = [2, -1], w = [1, 1];
  const on = distilSurrogate(block, targets, tokens, w, { credits: d, lambdaFc: 0.3 });
  const same = distilSurrogate(block, targets, tokens, w, { credits: d, lambdaFc: 0.3, logpOld: [ln(1 / 2), ln(1 / 6)] });
  nearArray(same.grad, on.grad, 1e-6);
  near(same.loss, H0 + H1 + 0.3 * (2 - 1));
  // rho = 2 on row 0 doubles that row's fc gradient
  const stale = distilSurrogate(block, targets, tokens, w, { credits: d, lambdaFc: 0.3, logpOld: [ln(1 / 4), ln(1 / 6)] });
  near(stale.loss, H0 + H1 + 0.3 * (2 * 2 - 1));
  const ce = softCrossEntropy(block, targets, w, 'tail');
  nearArray(stale.grad.subarray(0, 3), p.map((pi, v) => ce.grad[v] + 0.3 * 2 * 2 * ((v === 2 ? 1 : 0) - pi)));
  // with clipping it is the clipped policy gradient with A = -lambda d
  const clipped = distilSurrogate(block, targets, tokens, w, { credits: d, lambdaFc: 0.3, logpOld: [ln(1 / 4), ln(1 / 6)], clip: { epsLow: 0.2, epsHigh: 0.2 } });
  const pg = clippedPolicyGradient(block, tokens, [-0.6, 0.3], [ln(1 / 4), ln(1 / 6)], w, { epsLow: 0.2, epsHigh: 0.2 });
  near(clipped.loss, ce.loss + pg.loss);
  nearArray(clipped.grad, Array.from(ce.grad, (g, i) => g + pg.grad[i]), 1e-6);
});

test('finite-difference gradients of the surrogate (given credits), on- and off-policy', () => {
  const N = 4, V = 5;
  const logits = randomLogits(N * V, 21, 2);
  const t: TopKTargets = { k: 2, ids: Int32Array.from([0, 1, 2, 3, 4, 0, 1, 2]), probs: Float32Array.from([0.5, 0.3, 0.6, 0.1, 0.2, 0.2, 0.9, 0.05]) };
  const tokens = [1, 2, 3, 4], w = [1, 0.5, 0, 2], credits = [1.5, -0.5, 3, 0.7];
  checkGrad((z) => distilSurrogate({ logits: z, N, V }, t, tokens, w, { credits, lambdaFc: 0.4 }), logits);
  checkGrad((z) => distilSurrogate({ logits: z, N, V }, t, tokens, w, { credits, lambdaFc: 0.4, logpOld: [-1, -2, -1.5, -0.5], support: 'renorm' }), logits);
});

test('surrogate validation', () => {
  assert.throws(() => distilSurrogate(block, targets, [2, 0], [1, 1], {}), /give credits/);
  assert.throws(() => distilSurrogate(block, targets, [2, 0], [1, 1], { credits: [1] }), /credits has length 1/);
  assert.throws(() => distilSurrogate(block, targets, [2, 0], [1, 1], { credit: { lengths: [3] } }), /credit.lengths sum to 3/);
  assert.throws(() => distilSurrogate(block, targets, [2, 0], [1, 1], { credits: [1, 1], clip: { epsLow: 0.2, epsHigh: 0.2 } }), /clip needs logpOld/);
});
