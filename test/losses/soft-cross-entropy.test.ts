import { test } from 'node:test';
import assert from 'node:assert/strict';
import { softCrossEntropy } from '../../src/losses/soft-cross-entropy.ts';
import type { Support, TopKTargets } from '../../src/losses/types.ts';
import { checkGrad, logitsOf, near, nearArray, randomLogits } from './helpers.ts';

const ln = Math.log;
// One row, V = 3, student p = [1/6, 1/3, 1/2] (logits = log of them).
const P = [1 / 6, 1 / 3, 1 / 2];
const Z = logitsOf([P.map(ln)]);
const block = { logits: Z, N: 1, V: 3 };
// Teacher top-2: token 2 with 0.6, token 1 with 0.3 (tail 0.1 is token 0).
const T2: TopKTargets = { k: 2, ids: Int32Array.from([2, 1]), probs: Float32Array.from([0.6, 0.3]) };
const w1 = Float32Array.from([1]);

test('tail: H = -(0.6 ln 1/2 + 0.3 ln 1/3 + 0.1 ln 1/6), grad = p - q~ with the tail spread as q_tail * p/P_tail', () => {
  const r = softCrossEntropy(block, T2, w1, 'tail');
  near(r.loss, -(0.6 * ln(1 / 2) + 0.3 * ln(1 / 3) + 0.1 * ln(1 / 6)));
  // token 2: 1/2 - 0.6; token 1: 1/3 - 0.3; token 0 (the whole tail): 1/6 - 0.1 * (1/6)/(1/6).
  nearArray(r.grad, [1 / 6 - 0.1, 1 / 3 - 0.3, 1 / 2 - 0.6]);
  near(r.metrics.teacherMass, 0.9);
  near(r.metrics.studentMass, 1 / 3 + 1 / 2);
  near(r.metrics.overlap, Math.min(1 / 2, 0.6) + Math.min(1 / 3, 0.3)); // 0.8
  // KL(q~||p~) = H - H(q~), H(q~) = -(0.6 ln .6 + .3 ln .3 + .1 ln .1)
  near(r.metrics.kl, r.loss + (0.6 * ln(0.6) + 0.3 * ln(0.3) + 0.1 * ln(0.1)));
  near(r.perRow![0], r.loss);
});

test('renorm: q~ = [2/3, 1/3], p~ = [3/5, 2/5]; no gradient outside K', () => {
  const r = softCrossEntropy(block, T2, w1, 'renorm');
  near(r.loss, -((2 / 3) * ln(3 / 5) + (1 / 3) * ln(2 / 5)));
  nearArray(r.grad, [0, 2 / 5 - 1 / 3, 3 / 5 - 2 / 3]);
});

test('full (k = V): with the tail being one token, tail and full agree', () => {
  const T3: TopKTargets = { k: 3, ids: Int32Array.from([2, 1, 0]), probs: Float32Array.from([0.6, 0.3, 0.1]) };
  const full = softCrossEntropy(block, T3, w1, 'full');
  const tail = softCrossEntropy(block, T2, w1, 'tail');
  near(full.loss, tail.loss);
  nearArray(full.grad, tail.grad);
  nearArray(full.grad, [1 / 6 - 0.1, 1 / 3 - 0.3, 1 / 2 - 0.6]);
});

test('k equal to the vocabulary: tail mass 0 and renorm = tail = full', () => {
  // Teacher sums to 1 exactly in float64 but not in float32; tail must not blow up.
  const T3: TopKTargets = { k: 3, ids: Int32Array.from([0, 2, 1]), probs: Float32Array.from([0.2, 0.5, 0.3]) };
  const want = -(0.2 * ln(1 / 6) + 0.5 * ln(1 / 2) + 0.3 * ln(1 / 3));
  const rs = (['renorm', 'tail', 'full'] as Support[]).map((s) => softCrossEntropy(block, T3, w1, s));
  for (const r of rs) {
    near(r.loss, want, 1e-6);
    nearArray(r.grad, [1 / 6 - 0.2, 1 / 3 - 0.3, 1 / 2 - 0.5], 1e-6);
    near(r.metrics.teacherMass, 1, 1e-6);
    near(r.metrics.studentMass, 1, 1e-6);
  }
});

test('teacher puts all mass on one token: tail gives -log p(token); renorm over one id gives 0', () => {
  const one: TopKTargets = { k: 1, ids: Int32Array.from([1]), probs: Float32Array.from([1]) };
  const tail = softCrossEntropy(block, one, w1, 'tail');
  near(tail.loss, ln(3)); // -ln(1/3)
  nearArray(tail.grad, [1 / 6, 1 / 3 - 1, 1 / 2]); // p - onehot
  const renorm = softCrossEntropy(block, one, w1, 'renorm');
  near(renorm.loss, 0);
  nearArray(renorm.grad, [0, 0, 0]);
});

test('tail log-mass is exact when the student puts nearly all mass on K (no log(1 - rounded sum))', () => {
  // logits [30, 30, -30]: P_tail = e^-60 / (2 + e^-60); 1 - (p0 + p1) rounds to 0 in float64.
  const b = { logits: Float32Array.from([30, 30, -30]), N: 1, V: 3 };
  const t: TopKTargets = { k: 2, ids: Int32Array.from([0, 1]), probs: Float32Array.from([0.5, 0.4]) };
  const r = softCrossEntropy(b, t, w1, 'tail');
  const lse = 30 + ln(2 + Math.exp(-60));
  const q1 = Math.fround(0.4), qTail = 1 - 0.5 - q1; // the float32 teacher probs, exactly
  near(r.loss, -(0.5 * (30 - lse) + q1 * (30 - lse) + qTail * (-30 - lse)), 1e-12);
  assert.ok(Number.isFinite(r.loss) && r.loss > 6);
  // tail token gets p - q_tail = ~0 - 0.1
  near(r.grad[2], -0.1, 1e-6);
});

test('tail far below K (P_tail ~ e^-350): loss and the gradient split over the tail stay exact', () => {
  // logits [0, 0, -350, -360], K = {0, 1}, teacher tail 0.2: the tail gradient is
  // -0.2 * softmax(-350, -360) = -0.2 * [1, e^-10] / (1 + e^-10) (student tail mass ~ 0).
  const b = { logits: Float32Array.from([0, 0, -350, -360]), N: 1, V: 4 };
  const t: TopKTargets = { k: 2, ids: Int32Array.from([0, 1]), probs: Float32Array.from([0.5, 0.3]) };
  const r = softCrossEntropy(b, t, w1, 'tail');
  const lse = Math.log(2), lseTail = -350 + ln(1 + Math.exp(-10));
  const q1 = Math.fround(0.3), qT = 1 - 0.5 - q1;
  near(r.loss, -(0.5 * (0 - lse) + q1 * (0 - lse) + qT * (lseTail - lse)), 1e-12);
  nearArray(r.grad, [0.5 - 0.5, 0.5 - q1, -qT / (1 + Math.exp(-10)), -qT * Math.exp(-10) / (1 + Math.exp(-10))], 1e-7);
  checkGrad((z) => softCrossEntropy({ logits: z, N: 1, V: 4 }, t, w1, 'tail'), b.logits, 1e-5, 1e-2);
});

test('row weights: loss = sum w_r H_r; zero-weight rows get no gradient and are left out of the metrics', () => {
  const b = { logits: logitsOf([P.map(ln), P.map(ln), [0, 0, 0]]), N: 3, V: 3 };
  const t: TopKTargets = { k: 2, ids: Int32Array.from([2, 1, 2, 1, 0, 1]), probs: Float32Array.from([0.6, 0.3, 0.6, 0.3, 1, 0]) };
  const H = -(0.6 * ln(1 / 2) + 0.3 * ln(1 / 3) + 0.1 * ln(1 / 6));
  const r = softCrossEntropy(b, t, Float32Array.from([0.5, 2, 0]), 'tail');
  near(r.loss, 0.5 * H + 2 * H);
  nearArray(r.grad.subarray(0, 3), [0.5 * (1 / 6 - 0.1), 0.5 * (1 / 3 - 0.3), 0.5 * (1 / 2 - 0.6)]);
  nearArray(r.grad.subarray(3, 6), [2 * (1 / 6 - 0.1), 2 * (1 / 3 - 0.3), 2 * (1 / 2 - 0.6)]);
  nearArray(r.grad.subarray(6, 9), [0, 0, 0]);
  assert.equal(r.metrics.rows, 2);
  near(r.metrics.ce, H);
  const none = softCrossEntropy(b, t, Float32Array.from([0, 0, 0]), 'tail');
  assert.equal(none.loss, 0);
  assert.ok(none.grad.every((x) => x === 0));
  assert.equal(none.metrics.rows, 0);
});

test('finite-difference gradients for every support (N=3, V=5, k=2 and k=5)', () => {
  const N = 3, V = 5;
  const logits = randomLogits(N * V, 7, 3);
  const t2: TopKTargets = {
    k: 2,
    ids: Int32Array.from([4, 1, 0, 2, 3, 4]),
    probs: Float32Array.from([0.5, 0.2, 0.7, 0.3, 0.05, 0.05]),
  };
  const t5: TopKTargets = {
    k: 5,
    ids: Int32Array.from([0, 1, 2, 3, 4, 4, 3, 2, 1, 0, 2, 0, 4, 1, 3]),
    probs: Float32Array.from([0.3, 0.3, 0.2, 0.1, 0.1, 0.5, 0.2, 0.1, 0.1, 0.1, 0.9, 0.1, 0, 0, 0]),
  };
  const w = Float32Array.from([1, 0.5, 2]);
  for (const s of ['renorm', 'tail'] as Support[]) {
    checkGrad((z) => softCrossEntropy({ logits: z, N, V }, t2, w, s), logits);
  }
  for (const s of ['renorm', 'tail', 'full'] as Support[]) {
    checkGrad((z) => softCrossEntropy({ logits: z, N, V }, t5, w, s), logits);
  }
});

test('validation errors name the argument', () => {
  const bad = (t: Partial<TopKTargets>, s: Support = 'tail', w: ArrayLike<number> = w1) =>
    () => softCrossEntropy(block, { ...T2, ...t } as TopKTargets, w, s);
  assert.throws(bad({ k: 4, ids: new Int32Array(4), probs: new Float32Array(4) }), /targets.k = 4 exceeds/);
  assert.throws(bad({ ids: Int32Array.from([1, 1]) }), /lists token 1 twice/);
  assert.throws(bad({ ids: Int32Array.from([1, 3]) }), /targets.ids\[1\] = 3/);
  assert.throws(bad({}, 'full'), /support 'full' needs/);
  assert.throws(bad({ probs: Float32Array.from([0.9, 0.3]) }), /sums to/);
  assert.throws(bad({ probs: Float32Array.from([0.9]) }), /targets.probs has length 1/);
  assert.throws(bad({}, 'tail', [1, 1]), /rowWeights has length 2/);
  assert.throws(bad({}, 'tail', [-1]), /rowWeights\[0\] = -1/);
  assert.throws(bad({}, 'bogus' as Support), /support must be one of/);
  assert.throws(() => softCrossEntropy({ logits: Z, N: 2, V: 3 }, T2, w1), /logits.logits has length 3/);
  assert.throws(bad({ probs: Float32Array.from([0, 0]) }, 'renorm'), /softCrossEntropy: targets.probs row 0 has zero mass/);
});
