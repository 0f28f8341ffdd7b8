import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expandToTokens, grpoAdvantages, opdAdvantages, rftSelect } from '../../src/losses/advantages.ts';
import { clippedPolicyGradient } from '../../src/losses/policy-gradient.ts';
import { logitsOf, near, nearArray } from './helpers.ts';

const ln = Math.log;
// Two groups of 4: [1, 0, 0, 1] (mean 1/2) and [1, 1, 1, 0] (mean 3/4).
const rewards = [1, 0, 0, 1, 1, 1, 1, 0];

test("group scaling: sample std sqrt(1/3) and sqrt(1/4); A = (r - mean) / (std + 1e-4)", () => {
  const s1 = Math.sqrt((4 * 0.25) / 3), s2 = Math.sqrt((3 * 0.0625 + 0.5625) / 3); // = 0.5
  near(s2, 0.5, 1e-12);
  const a = grpoAdvantages(rewards, 4, 'group');
  nearArray(a, [0.5 / (s1 + 1e-4), -0.5 / (s1 + 1e-4), -0.5 / (s1 + 1e-4), 0.5 / (s1 + 1e-4),
    0.25 / 0.5001, 0.25 / 0.5001, 0.25 / 0.5001, -0.75 / 0.5001]);
  // labels instead of a size, groups interleaved: same numbers
  nearArray(grpoAdvantages([1, 1, 0, 1, 0, 1, 1, 0], [0, 1, 0, 1, 0, 1, 0, 1], 'group'),
    [a[0], a[4], a[1], a[5], a[2], a[6], a[3], a[7]]);
});

test('batch scaling: group mean, batch std sqrt(1.875 / 7)', () => {
  // batch mean 5/8: sum sq = 5 (3/8)^2 + 3 (5/8)^2 = 120/64 = 1.875
  const s = Math.sqrt(1.875 / 7);
  nearArray(grpoAdvantages(rewards, 4, 'batch'), [0.5, -0.5, -0.5, 0.5, 0.25, 0.25, 0.25, -0.75].map((x) => x / (s + 1e-4)));
});

test('none (Dr. GRPO): r - mean_g; equal rewards give 0; a group of one gives 0', () => {
  nearArray(grpoAdvantages(rewards, 4, 'none'), [0.5, -0.5, -0.5, 0.5, 0.25, 0.25, 0.25, -0.75]);
  nearArray(grpoAdvantages([1, 1, 1, 0.3], 2, 'group'), [0, 0, 0.35 / (Math.sqrt(2 * 0.35 ** 2) + 1e-4), -0.35 / (Math.sqrt(2 * 0.35 ** 2) + 1e-4)]);
  nearArray(grpoAdvantages([0.7], 1, 'group'), [0]);
  assert.throws(() => grpoAdvantages(rewards, 3), /do not split into groups of 3/);
  assert.throws(() => grpoAdvantages([NaN], 1), /rewards\[0\] = NaN/);
});

test('expandToTokens repeats each sequence advantage', () => {
  const e = expandToTokens([2, -1], [3, 1]);
  nearArray(e[0], [2, 2, 2]);
  nearArray(e[1], [-1]);
});

test('OPD: A = -(logp_s - logp_t); the policy gradient pushes up tokens the teacher prefers', () => {
  const a = opdAdvantages([ln(0.5), ln(0.1)], [ln(0.25), ln(0.4)]);
  nearArray(a, [-ln(2), ln(4)]);
  // V = 3, p = [1/6, 1/3, 1/2]; token 1 with A = ln 4 on-policy: grad = -A (onehot(1) - p)
  const p = [1 / 6, 1 / 3, 1 / 2];
  const r = clippedPolicyGradient({ logits: logitsOf([p.map(ln)]), N: 1, V: 3 }, [1], [a[1]], [ln(1 / 3)], [1]);
  nearArray(r.grad, p.map((pi, v) => -ln(4) * ((v === 1 ? 1 : 0) - pi)));
  assert.ok(r.grad[1] < 0); // descent raises the teacher-preferred token
  assert.throws(() => opdAdvantages([0], [0, 1]), /logpStudent has length 1/);
});

test('RFT selection: correct samples, at most maxPerGroup per group', () => {
  const r = [1, 0, 1, 1, 0, 0, 1, 1];
  assert.deepEqual(rftSelect(r, 4), [0, 2, 3, 6, 7]);
  assert.deepEqual(rftSelect(r, 4, { maxPerGroup: 1 }), [0, 6]);
  assert.deepEqual(rftSelect([0.4, 0.6, 0.9], 3, { threshold: 0.5 }), [1, 2]);
});
