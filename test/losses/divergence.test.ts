import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generalizedJsd } from '../../src/losses/divergence.ts';
import { softCrossEntropy } from '../../src/losses/soft-cross-entropy.ts';
import type { Support, TopKTargets } from '../../src/losses/types.ts';
import { checkGrad, logitsOf, near, nearArray, randomLogits } from './helpers.ts';

const ln = Math.log;
const p = [1 / 6, 1 / 3, 1 / 2];
const block = { logits: logitsOf([p.map(ln)]), N: 1, V: 3 };
const q = [0.2, 0.5, 0.3];
const full: TopKTargets = { k: 3, ids: Int32Array.from([0, 1, 2]), probs: Float32Array.from(q) };
const w1 = [1];
const Q = Array.from(full.probs); // the float32 values actually passed

const fwdKL = Q.reduce((s, qi, i) => s + qi * ln(qi / p[i]), 0); // 0.2 ln 1.2 + 0.5 ln 1.5 + 0.3 ln 0.6
const revKL = p.reduce((s, pi, i) => s + pi * ln(pi / Q[i]), 0); // 1/6 ln(5/6) + 1/3 ln(2/3) + 1/2 ln(5/3)

test('beta = 0 is forward KL(q||p) exactly, with the soft cross-entropy gradient p - q', () => {
  near(fwdKL, 0.2 * ln(1.2) + 0.5 * ln(1.5) + 0.3 * ln(0.6), 1e-7);
  const r = generalizedJsd(block, full, w1, 0, { support: 'full' });
  near(r.loss, fwdKL);
  nearArray(r.grad, [1 / 6 - 0.2, 1 / 3 - 0.5, 1 / 2 - 0.3]);
  nearArray(r.grad, softCrossEntropy(block, full, w1, 'full').grad, 1e-7);
});

test('beta = 1 is reverse KL(p||q) exactly; grad_u = p_u (ln(p_u/q_u) - KL(p||q))', () => {
  near(revKL, (1 / 6) * ln(5 / 6) + (1 / 3) * ln(2 / 3) + 0.5 * ln(5 / 3), 1e-7);
  const r = generalizedJsd(block, full, w1, 1, { support: 'full' });
  near(r.loss, revKL);
  nearArray(r.grad, p.map((pi, i) => pi * (ln(pi / Q[i]) - revKL)));
});

test('beta = 0.5: m = (q+p)/2 = [11/60, 5/12, 2/5], JSD = .5 sum q ln(q/m) + .5 sum p ln(p/m)', () => {
  const m = [(0.2 + 1 / 6) / 2, (0.5 + 1 / 3) / 2, (0.3 + 0.5) / 2];
  nearArray(m, [11 / 60, 5 / 12, 2 / 5], 1e-12);
  const M = Q.map((qi, i) => (qi + p[i]) / 2);
  const jsd = 0.5 * Q.reduce((s, qi, i) => s + qi * ln(qi / M[i]), 0) + 0.5 * p.reduce((s, pi, i) => s + pi * ln(pi / M[i]), 0);
  const r = generalizedJsd(block, full, w1, 0.5, { support: 'full' });
  near(r.loss, jsd);
  assert.ok(r.loss > 0 && r.loss < ln(2));
  // g_j = 0.5 p_j ln(p_j/m_j); dz = g - p * sum g
  const g = p.map((pi, i) => 0.5 * pi * ln(pi / M[i]));
  const G = g[0] + g[1] + g[2];
  nearArray(r.grad, g.map((gi, i) => gi - p[i] * G));
});

test('the ends are the scaled limits: JSD_b / b -> KL(q||p), JSD_(1-b) / b -> KL(p||q)', () => {
  const b = 1e-5;
  near(generalizedJsd(block, full, w1, b, { support: 'full' }).loss / b, fwdKL, 1e-3);
  near(generalizedJsd(block, full, w1, 1 - b, { support: 'full' }).loss / b, revKL, 1e-3);
});

test('tail over V = 3 with k = 2 equals full (the tail is one token), for every beta', () => {
  const t2: TopKTargets = { k: 2, ids: Int32Array.from([1, 2]), probs: Float32Array.from([0.5, 0.3]) };
  for (const beta of [0, 0.3, 0.5, 1]) {
    const a = generalizedJsd(block, t2, w1, beta, { support: 'tail' });
    const f = generalizedJsd(block, full, w1, beta, { support: 'full' });
    near(a.loss, f.loss, 1e-6, `beta ${beta}`);
    nearArray(a.grad, f.grad, 1e-6, `beta ${beta}`);
  }
});

test('k = V: renorm = tail = full for every beta', () => {
  for (const beta of [0, 0.5, 1]) {
    const rs = (['renorm', 'tail', 'full'] as Support[]).map((s) => generalizedJsd(block, full, w1, beta, { support: s }));
    for (const r of rs.slice(1)) {
      near(r.loss, rs[0].loss, 1e-6);
      nearArray(r.grad, rs[0].grad, 1e-6);
    }
  }
});

test('teacher puts all mass on token 1', () => {
  const oneFull: TopKTargets = { k: 3, ids: Int32Array.from([0, 1, 2]), probs: Float32Array.from([0, 1, 0]) };
  // forward: -ln(1/3)
  near(generalizedJsd(block, oneFull, w1, 0, { support: 'full' }).loss, ln(3));
  // reverse: q = 0 is floored at 1e-10: 1/3 ln(1/3) + 1/6 ln(1/6 / 1e-10) + 1/2 ln(1/2 / 1e-10)
  near(
    generalizedJsd(block, oneFull, w1, 1, { support: 'full' }).loss,
    (1 / 3) * ln(1 / 3) + (1 / 6) * ln(1 / 6 / 1e-10) + 0.5 * ln(0.5 / 1e-10),
  );
  // JSD 0.5: m = [1/12, 2/3, 1/4]: .5 * 1 ln(1/(2/3)) + .5 (1/6 ln 2 + 1/3 ln(1/2) + 1/2 ln 2)
  near(
    generalizedJsd(block, oneFull, w1, 0.5, { support: 'full' }).loss,
    0.5 * ln(3 / 2) + 0.5 * ((1 / 6) * ln(2) + (1 / 3) * ln(1 / 2) + 0.5 * ln(2)),
  );
  // renorm over the single id: both sides are [1], nothing to learn
  const one: TopKTargets = { k: 1, ids: Int32Array.from([1]), probs: Float32Array.from([1]) };
  for (const beta of [0, 0.5, 1]) {
    const r = generalizedJsd(block, one, w1, beta, { support: 'renorm' });
    near(r.loss, 0);
    nearArray(r.grad, [0, 0, 0]);
  }
});

test('importance weight: min(p/p_old, clip) with stop-gradient scales loss and gradient', () => {
  const plain = generalizedJsd(block, full, w1, 0.5, { support: 'full' });
  // token 2 has p = 1/2; p_old = 1/4 -> ratio 2
  const imp = (clip: number) => ({ tokens: [2], logpOld: [ln(1 / 4)], clip });
  const clipped = generalizedJsd(block, full, w1, 0.5, { support: 'full', importance: imp(1.5) });
  near(clipped.loss, 1.5 * plain.loss);
  nearArray(clipped.grad, Array.from(plain.grad, (x) => 1.5 * x));
  near(clipped.metrics.isWeight, 1.5);
  near(clipped.metrics.isClipFrac, 1);
  const free = generalizedJsd(block, full, w1, 0.5, { support: 'full', importance: imp(3) });
  near(free.loss, 2 * plain.loss, 1e-6);
  nearArray(free.grad, Array.from(plain.grad, (x) => 2 * x), 1e-6); // no d(ratio)/dz term
  near(free.metrics.isClipFrac, 0);
  near(free.perRow![0], plain.loss); // perRow is the bare divergence
});

test('zero row weights contribute nothing', () => {
  const b2 = { logits: logitsOf([p.map(ln), [5, -5, 0]]), N: 2, V: 3 };
  const t: TopKTargets = { k: 3, ids: Int32Array.from([0, 1, 2, 0, 1, 2]), probs: Float32Array.from([...q, ...q]) };
  const r = generalizedJsd(b2, t, [1, 0], 0.5, { support: 'full' });
  near(r.loss, generalizedJsd(block, full, w1, 0.5, { support: 'full' }).loss);
  assert.ok(r.grad.subarray(3).every((x) => x === 0));
  assert.equal(r.metrics.rows, 1);
});

test('finite-difference gradients: beta in {0, .25, .5, 1} x every support, and with a clipped importance weight', () => {
  const N = 3, V = 5;
  const logits = randomLogits(N * V, 3, 3);
  const t2: TopKTargets = { k: 2, ids: Int32Array.from([4, 1, 0, 2, 3, 4]), probs: Float32Array.from([0.5, 0.2, 0.7, 0.3, 0.05, 0.05]) };
  const t5: TopKTargets = {
    k: 5,
    ids: Int32Array.from([0, 1, 2, 3, 4, 4, 3, 2, 1, 0, 2, 0, 4, 1, 3]),
    probs: Float32Array.from([0.3, 0.3, 0.2, 0.1, 0.1, 0.5, 0.2, 0.1, 0.1, 0.1, 0.6, 0.1, 0.1, 0.1, 0.1]),
  };
  const w = [1, 0.5, 2];
  for (const beta of [0, 0.25, 0.5, 1]) {
    for (const s of ['renorm', 'tail'] as Support[]) checkGrad((z) => generalizedJsd({ logits: z, N, V }, t2, w, beta, { support: s }), logits);
    for (const s of ['renorm', 'tail', 'full'] as Support[]) checkGrad((z) => generalizedJsd({ logits: z, N, V }, t5, w, beta, { support: s }), logits);
  }
  // ratios far above the clip: the weight is the constant clip, so FD sees no weight gradient
  const importance = { tokens: [0, 1, 2], logpOld: [-30, -30, -30], clip: 2 };
  checkGrad((z) => generalizedJsd({ logits: z, N, V }, t2, w, 0.5, { support: 'tail', importance }), logits);
});

test('validation', () => {
  assert.throws(() => generalizedJsd(block, full, w1, 1.5), /beta must be in \[0, 1\]/);
  assert.throws(() => generalizedJsd(block, full, w1, 0.5, { importance: { tokens: [3], logpOld: [0], clip: 2 } }), /importance.tokens\[0\] = 3/);
  assert.throws(() => generalizedJsd(block, full, w1, 0.5, { importance: { tokens: [0], logpOld: [], clip: 2 } }), /importance.logpOld has length 0/);
});
