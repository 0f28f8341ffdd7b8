import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clipCovRows, klCovRows, tokenCovariance } from '../../src/losses/covariance.ts';
import { clippedPolicyGradient } from '../../src/losses/policy-gradient.ts';
import { checkGrad, near, nearArray, randomLogits } from './helpers.ts';

const all = () => true;

test('covariance and KL-Cov selection: confident-and-rewarded and unlikely-and-punished tokens come first', () => {
  const cov = tokenCovariance([1, 1, -1, -1], [-0.1, -2, -0.1, -2], all);
  nearArray(cov, [0.95, -0.95, -0.95, 0.95]);
  assert.deepEqual([...klCovRows(cov, 0.5)].sort(), [0, 3]);
  assert.deepEqual([...klCovRows(cov, 0.01)], [0], 'at least one row, ties to the earlier');
  assert.equal(klCovRows(cov, 0).size, 0);
  assert.ok(Number.isNaN(tokenCovariance([1, 2], [0, 0], (r) => r === 0)[1]), 'inactive rows have no covariance');
});

test('Clip-Cov draws only among rows inside (lb, ub) that the clip does not already stop, reproducibly', () => {
  const cov = Float64Array.of(0.5, 2, 3, 4, 6, 1.5);
  const rows = clipCovRows(cov, 0.5, 1, 5, 7, (r) => r === 2);
  assert.equal(rows.size, 3);
  for (const r of rows) assert.ok([1, 3, 5].includes(r));
  assert.deepEqual(clipCovRows(cov, 0.5, 1, 5, 7, (r) => r === 2), rows);
  assert.equal(clipCovRows(cov, 0.2, 10, 11, 7, () => false).size, 0);
});

const V = 5, N = 4;
const tokens = [1, 3, 0, 2];
const A = [1, 1, -1, -1];

test('KL-Cov with logp = logp_old: loss and gradient equal the plain policy gradient (the penalty needs a moved policy)', () => {
  const logits = randomLogits(N * V, 3);
  const logp = tokens.map((y, r) => {
    const row = Array.from(logits.subarray(r * V, (r + 1) * V));
    const m = Math.max(...row);
    return row[y] - m - Math.log(row.reduce((a, z) => a + Math.exp(z - m), 0));
  });
  const plain = clippedPolicyGradient({ logits, N, V }, tokens, A, logp, [0.25, 0.25, 0.25, 0.25]);
  const kl = clippedPolicyGradient({ logits, N, V }, tokens, A, logp, [0.25, 0.25, 0.25, 0.25], { klCov: { ratio: 0.5, coef: 1 } });
  near(kl.loss, plain.loss, 1e-6);
  nearArray(kl.grad, plain.grad, 1e-6);
  near(kl.metrics.covSelected, 0.5);
});

test('KL-Cov on a moved policy: hand value of the penalty, no clipping, and a finite-difference gradient check', () => {
  const logits = randomLogits(N * V, 5);
  // logp_old far from logp: rho far outside [0.8, 1.28], which KL-Cov does not clip.
  const logpOld = [-3, -0.5, -3, -0.5];
  const w = [0.25, 0.25, 0.25, 0.25];
  const f = (z: Float32Array) => clippedPolicyGradient({ logits: z, N, V }, tokens, A, logpOld, w, { klCov: { ratio: 0.5, coef: 1 } });
  const r = f(logits);
  const logp = tokens.map((y, i) => {
    const row = Array.from(logits.subarray(i * V, (i + 1) * V));
    const m = Math.max(...row);
    return row[y] - m - Math.log(row.reduce((a, z) => a + Math.exp(z - m), 0));
  });
  const cov = tokenCovariance(A, logp, all);
  const sel = klCovRows(cov, 0.5);
  const want = logp.map((lp, i) => -Math.exp(lp - logpOld[i]) * A[i] + (sel.has(i) ? Math.abs(lp - logpOld[i]) : 0));
  nearArray(r.perRow!, want, 1e-5);
  assert.equal(r.metrics.clipFrac, 0);
  checkGrad(f, logits);
  const g = (z: Float32Array) => clippedPolicyGradient({ logits: z, N, V }, tokens, A, logpOld, w, { clipCov: { ratio: 0.5, lb: -10, ub: 10, seed: 1 } });
  checkGrad(g, logits);
  // Clip-Cov rows contribute nothing.
  const c = g(logits);
  assert.ok(c.perRow!.some((x) => x === 0));
  assert.throws(() => clippedPolicyGradient({ logits, N, V }, tokens, A, logpOld, w, { klCov: { ratio: 0.1, coef: 1 }, clipCov: { ratio: 0.1, lb: 1, ub: 5, seed: 0 } }), /alternatives/);
});
