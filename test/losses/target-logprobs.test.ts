import { test } from 'node:test';
import assert from 'node:assert/strict';
import { logprobsAt, weightedTargetLogprobs } from '../../src/losses/target-logprobs.ts';

const block = { logits: Float32Array.from([0, Math.log(2), Math.log(3), 1, 1, 1]), N: 2, V: 3 };

test('log-probs at given ids, by hand; a padding id gives NaN', () => {
  const lp = logprobsAt(block, [2, 0, -1, 1], 2);
  assert.ok(Math.abs(lp[0] - Math.log(3 / 6)) < 1e-6);
  assert.ok(Math.abs(lp[1] - Math.log(1 / 6)) < 1e-6);
  assert.ok(Number.isNaN(lp[2]));
  assert.ok(Math.abs(lp[3] - Math.log(1 / 3)) < 1e-6);
});

test('weighted target log-probs: loss and gradient by hand, summed and any sign', () => {
  // Row 0: -(0.5 log 1/2 - 2 log 1/6); row 1: -(1.5 log 1/3).
  const r = weightedTargetLogprobs(block, [2, 0, 1, -1], [0.5, -2, 1.5, 9], 2);
  const want = -(0.5 * Math.log(0.5) - 2 * Math.log(1 / 6)) - 1.5 * Math.log(1 / 3);
  assert.ok(Math.abs(r.loss - want) < 1e-6, `${r.loss} vs ${want}`);
  // dL/dz_r = p_r * W_r - sum_c w_rc onehot(t_rc); W_0 = -1.5, W_1 = 1.5 (the padding column is ignored).
  const p0 = [1 / 6, 2 / 6, 3 / 6], p1 = [1 / 3, 1 / 3, 1 / 3];
  const g = [p0[0] * -1.5 + 2, p0[1] * -1.5, p0[2] * -1.5 - 0.5, p1[0] * 1.5, p1[1] * 1.5 - 1.5, p1[2] * 1.5];
  g.forEach((x, i) => assert.ok(Math.abs(r.grad[i] - x) < 1e-6, `grad[${i}] ${r.grad[i]} vs ${x}`));
});

test('weighted target log-probs: gradient matches finite differences; zero weights give zero loss', () => {
  const ids = [1, 2, 0, 0], w = [0.3, -0.7, 1.1, 0.2];
  const r = weightedTargetLogprobs(block, ids, w, 2);
  for (let i = 0; i < 6; i++) {
    const up = Float32Array.from(block.logits), dn = Float32Array.from(block.logits);
    up[i] += 1e-3;
    dn[i] -= 1e-3;
    const fd = (weightedTargetLogprobs({ ...block, logits: up }, ids, w, 2).loss - weightedTargetLogprobs({ ...block, logits: dn }, ids, w, 2).loss) / 2e-3;
    assert.ok(Math.abs(fd - r.grad[i]) < 1e-3, `grad[${i}] ${r.grad[i]} vs ${fd}`);
  }
  const z = weightedTargetLogprobs(block, ids, [0, 0, 0, 0], 2);
  assert.equal(z.loss, 0);
  assert.ok(z.grad.every((x) => x === 0));
});

test('bad input: non-finite weights and ids outside the vocabulary are named', () => {
  assert.throws(() => weightedTargetLogprobs(block, [0, 1, 2, 0], [NaN, 0, 0, 0], 2), /weights\[0\] = NaN/);
  assert.throws(() => weightedTargetLogprobs(block, [0, 3, 2, 0], [1, 0, 0, 0], 2), /ids\[1\] = 3 is not a token id/);
});
