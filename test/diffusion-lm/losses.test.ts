import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor } from '../../src/engine/index.ts';
import { drawMaskRates, maskedDiffusionLoss } from '../../src/diffusion-lm/mdlm-loss.ts';
import { clippedTopKReverseKl } from '../../src/diffusion-lm/opsd-loss.ts';
import { groupMeanAdvantages, grpoTokenLoss } from '../../src/diffusion-lm/grpo-loss.ts';
import { Rng } from '../../src/util/rng.ts';

const lse = (r: number[]) => Math.log(r.reduce((a, x) => a + Math.exp(x), 0));

test('masked-diffusion loss, hand example: t = 0.5, L = 4, two masked tokens -> (c1 + c2) / (0.5 * 4)', () => {
  const rows = [[1, 0, -1], [0.5, 2, 0]];
  const logits = Tensor.from(Float32Array.from(rows.flat()), [2, 3], { requiresGrad: true });
  const targets = Int32Array.from([0, 2]);
  const c1 = lse(rows[0]) - rows[0][0], c2 = lse(rows[1]) - rows[1][2];
  const loss = maskedDiffusionLoss(logits, targets, Float32Array.from([0.5, 0.5]), 4, 1);
  assert.ok(Math.abs(loss.item() - (c1 + c2) / (0.5 * 4)) < 1e-5, `${loss.item()} vs ${(c1 + c2) / 2}`);
  // Limits: t = 1 gives the plain CE sum / L; no masked token gives 0; t outside (0, 1] is refused.
  const l1 = maskedDiffusionLoss(Tensor.from(Float32Array.from(rows.flat()), [2, 3]), targets, Float32Array.from([1, 1]), 4, 1);
  assert.ok(Math.abs(l1.item() - (c1 + c2) / 4) < 1e-5);
  assert.equal(maskedDiffusionLoss(Tensor.from(new Float32Array(0), [0, 3]), new Int32Array(0), new Float32Array(0), 4, 1).item(), 0);
  assert.throws(() => maskedDiffusionLoss(Tensor.from(Float32Array.from(rows.flat()), [2, 3]), targets, Float32Array.from([0, 1]), 4, 1), /outside \(0, 1\]/);
});

test('stratified mask rates: one per stratum, all in (0, 1]', () => {
  const ts = drawMaskRates(new Rng(1), 8, true);
  ts.forEach((t, b) => assert.ok(t > b / 8 - 1e-3 && t <= (b + 1) / 8 + 1e-3 && t > 0 && t <= 1, `t[${b}] = ${t}`));
});

test('clipped top-k reverse KL: k = V, no clip = full reverse KL; gradient vs finite differences', () => {
  const s = Float32Array.from([0.3, -1, 2, 0.5]), t = Float32Array.from([1, 0, 0.5, -0.5]);
  const ls = lse([...s]), lt = lse([...t]);
  let kl = 0;
  for (let j = 0; j < 4; j++) kl += Math.exp(s[j] - ls) * (s[j] - ls - (t[j] - lt));
  const r = clippedTopKReverseKl(s, t, 1, 4, 4, null, 1);
  assert.ok(Math.abs(r.loss - kl) < 1e-6, `${r.loss} vs ${kl}`);
  for (const [k, clip] of [[4, null], [2, null], [3, 0.05]] as const) {
    const g = clippedTopKReverseKl(s, t, 1, 4, k, clip, 0.7).dStudent;
    for (let i = 0; i < 4; i++) {
      const h = 1e-3, up = Float32Array.from(s), dn = Float32Array.from(s);
      up[i] += h;
      dn[i] -= h;
      const fd = (clippedTopKReverseKl(up, t, 1, 4, k, clip, 0.7).loss - clippedTopKReverseKl(dn, t, 1, 4, k, clip, 0.7).loss) / (2 * h);
      assert.ok(Math.abs(fd - g[i]) < 2e-3, `k ${k} clip ${clip} d[${i}]: ${g[i]} vs fd ${fd}`);
    }
  }
});

test('clipped top-k reverse KL: top-k renormalises over the teacher\'s k ids; clipped terms give the clip value and no gradient', () => {
  const s = Float32Array.from([5, -3, 0, 1]), t = Float32Array.from([-4, 2, 1, 0]);
  // Top-2 of the teacher: ids 1 and 2. Renormalised: q over (s1, s2), p over (t1, t2).
  const lq = [s[1] - lse([s[1], s[2]]), s[2] - lse([s[1], s[2]])], lp = [t[1] - lse([t[1], t[2]]), t[2] - lse([t[1], t[2]])];
  const e = lq.map((l, j) => Math.exp(l) * (l - lp[j]));
  const r = clippedTopKReverseKl(s, t, 1, 4, 2, null, 1);
  assert.ok(Math.abs(r.loss - (e[0] + e[1])) < 1e-6);
  assert.equal(r.dStudent[0], 0);
  assert.equal(r.dStudent[3], 0);
  // Every term above the clip: value = number of terms x clip, gradient exactly zero.
  const big = clippedTopKReverseKl(Float32Array.from([9, -9, -9, 9]), Float32Array.from([-9, 9, 9, -9]), 1, 4, 4, 0.05, 1);
  const terms = [9, -9, -9, 9].map((x) => Math.exp(x - lse([9, -9, -9, 9])) * ((x - lse([9, -9, -9, 9])) - ([-9, 9, 9, -9][[9, -9, -9, 9].indexOf(x)] - lse([-9, 9, 9, -9]))));
  const want = terms.reduce((a, x) => a + Math.min(x, 0.05), 0);
  assert.ok(Math.abs(big.loss - want) < 1e-6, `${big.loss} vs ${want}`);
  const allClipped = clippedTopKReverseKl(Float32Array.from([9, -9]), Float32Array.from([-9, 9]), 1, 2, 2, 0.05, 1);
  // Term of id 0: q ~ 1, log q - log p ~ 18 > 0.05 (clipped); term of id 1: q ~ 1e-8, about -1.4e-7 (kept, tiny).
  assert.ok(Math.abs(allClipped.loss - (0.05 + Math.exp(-18) * (-18 - 0))) < 1e-6);
  assert.ok(Math.abs(allClipped.dStudent[0]) < 1e-6 && Math.abs(allClipped.dStudent[1]) < 1e-6);
  const one = clippedTopKReverseKl(Float32Array.from([2, 0]), Float32Array.from([0, 2]), 1, 2, 1, 0.05, 1);
  // k = 1: both renormalised distributions are a point mass: KL 0, nothing to learn.
  assert.ok(Math.abs(one.loss) < 1e-12);
  // Scale 0 (an incorrect trajectory): no value, no gradient.
  const zero = clippedTopKReverseKl(s, t, 1, 4, 4, 0.05, 0);
  assert.ok(zero.loss === 0 && zero.dStudent.every((x) => x === 0));
});

test('diffu-GRPO: advantages r - mean per group; clipped tokens have no gradient; gradient vs finite differences', () => {
  groupMeanAdvantages([1, 0, 0, 1, 1, 1], 3).forEach((a, i) => assert.ok(Math.abs(a - [2 / 3, -1 / 3, -1 / 3, 0, 0, 0][i]) < 1e-12));
  assert.throws(() => groupMeanAdvantages([1, 0, 1], 2), /groups of 2/);
  const V = 3, logits = Float32Array.from([1, 0, -1, 0.2, 0.1, 0]);
  const tokens = Int32Array.from([0, 2]);
  const lp0 = [1 - lse([1, 0, -1]), 0 - lse([0.2, 0.1, 0])];
  // rho = 1 (old = current): loss = -mean(A); with beta and ref = current the KL term is 0.
  const r = grpoTokenLoss(logits, 2, V, tokens, Float32Array.from(lp0), Float32Array.from(lp0), Float32Array.from([1, -0.5]), 0.2, 0.04, 2);
  assert.ok(Math.abs(r.loss - -(1 - 0.5) / 2) < 1e-6);
  // A > 0 and rho far above 1 + eps: the clipped term is the min, the token has no gradient.
  const c = grpoTokenLoss(logits, 1, V, tokens.subarray(0, 1), Float32Array.from([lp0[0] - 2]), null, Float32Array.from([1]), 0.2, 0, 1);
  assert.equal(c.clipFrac, 1);
  assert.ok(c.dLogits.every((x) => x === 0));
  const f = (l: Float32Array) => grpoTokenLoss(l, 2, V, tokens, Float32Array.from([lp0[0] - 0.1, lp0[1] + 0.05]), Float32Array.from([lp0[0] + 0.3, lp0[1] - 0.2]), Float32Array.from([0.7, -0.4]), 0.5, 0.04, 2);
  const g = f(logits).dLogits;
  for (let i = 0; i < logits.length; i++) {
    const up = Float32Array.from(logits), dn = Float32Array.from(logits);
    up[i] += 1e-3;
    dn[i] -= 1e-3;
    const fd = (f(up).loss - f(dn).loss) / 2e-3;
    assert.ok(Math.abs(fd - g[i]) < 1e-3, `d[${i}]: ${g[i]} vs fd ${fd}`);
  }
});
