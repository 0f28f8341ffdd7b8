import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  choose, leaveOneOutBaseline, maxAtKEstimate, maxAtKWeights, pkpoBinaryWeights, setObjectiveEstimate, setObjectiveRewards,
} from '../../src/losses/set-objective.ts';
import { passAtK } from '../../src/eval/metrics.ts';

const close = (a: ArrayLike<number>, b: number[], tol = 1e-12, what = '') =>
  b.forEach((x, i) => assert.ok(Math.abs(a[i] - x) <= tol, `${what}[${i}] = ${a[i]}, expected ${x}`));

test('choose: small binomials, zero outside the triangle', () => {
  assert.deepEqual([choose(4, 2), choose(5, 0), choose(6, 6), choose(3, 4), choose(2, -1), choose(10, 3)], [6, 1, 1, 0, 0, 120]);
});

test('binary PKPO: n = 4, c = 1, k = 2 gives 1/2 for the correct sample and 1/6 for the others', () => {
  const s = pkpoBinaryWeights([0, 1, 0, 0], 2);
  close(s, [1 / 6, 0.5, 1 / 6, 1 / 6]);
  // The general subset-average weights agree on binary rewards.
  close(maxAtKWeights([0, 1, 0, 0], 2), [1 / 6, 0.5, 1 / 6, 1 / 6]);
  // pass@2 estimate rho(4, 1, 2) = 1/2 and sum_i s_i = k * estimate = 1.
  assert.equal(maxAtKEstimate([0, 1, 0, 0], 2), 0.5);
  assert.equal(passAtK(4, 1, 2), 0.5);
  close([s.reduce((a, b) => a + b, 0)], [1]);
});

test('continuous max@k: g = [0, 1, 2, 3], k = 2 gives s = [1, 1, 7/6, 3/2] and the estimate 14/6', () => {
  close(maxAtKWeights([0, 1, 2, 3], 2), [1, 1, 7 / 6, 1.5]);
  // Order of the samples does not matter: the weights follow the samples.
  close(maxAtKWeights([2, 0, 3, 1], 2), [7 / 6, 1, 1.5, 1]);
  // The 6 pairs' maxima: 1+2+3+2+3+3 = 14.
  close([maxAtKEstimate([0, 1, 2, 3], 2)], [14 / 6]);
  const s = maxAtKWeights([0, 1, 2, 3], 2);
  close([s.reduce((a, b) => a + b, 0)], [2 * 14 / 6]);
});

test('limits: k = 1 is the mean reward per sample (vanilla PG); one function is PKPO; k = n is the group max', () => {
  close(setObjectiveRewards([[0, 1, 2, 3], [1, 1, 0, 0]], 1), [0.5, 1, 1, 1.5]);
  close(setObjectiveRewards([[0, 1, 0, 0]], 2), Array.from(pkpoBinaryWeights([0, 1, 0, 0], 2), (x) => (x * 4) / 2));
  // k = n: only the arg-max sample carries the (single) subset's maximum.
  close(maxAtKWeights([0, 2, 1], 3), [2, 2, 2]);
  close([maxAtKEstimate([0, 2, 1], 3)], [2]);
});

test('two reward functions: weights average the per-function weights (hand values)', () => {
  // f1 = [1, 0, 0, 0] -> s = [1/2, 1/6, 1/6, 1/6]; f2 = [0, 0, 1, 1] (c = 2) -> correct k/n = 1/2,
  // incorrect (k/n) rho(3, 2, 1) = 1/2 * 2/3 = 1/3 (n = 4, k = 2)
  close(maxAtKWeights([0, 0, 1, 1], 2), [1 / 3, 1 / 3, 0.5, 0.5]);
  const r = setObjectiveRewards([[1, 0, 0, 0], [0, 0, 1, 1]], 2, [3, 1]);
  // r = (n/k) (0.75 s1 + 0.25 s2) = 2 (0.75 [1/2,1/6,1/6,1/6] + 0.25 [1/3,1/3,1/2,1/2])
  close(r, [2 * (0.375 + 1 / 12), 2 * (0.125 + 1 / 12), 2 * (0.125 + 0.125), 2 * (0.125 + 0.125)]);
  close([setObjectiveEstimate([[1, 0, 0, 0], [0, 0, 1, 1]], 2, [3, 1])], [0.75 * 0.5 + 0.25 * (5 / 6)]);
});

test('leave-one-out baseline: the estimate from the other samples (k = 1: RLOO)', () => {
  close(leaveOneOutBaseline([[0, 1, 2, 3]], 1), [2, 5 / 3, 4 / 3, 1]);
  // Without sample 0: [1, 0, 0] -> rho(3, 1, 2) = 1 - C(2,2)/C(3,2) = 2/3; without sample 1: all 0.
  close(leaveOneOutBaseline([[0, 1, 0, 0]], 2), [2 / 3, 0, 2 / 3, 2 / 3]);
});

test('bad input: mismatched reward-function lengths, k larger than the group, bad weights', () => {
  assert.throws(() => setObjectiveRewards([[1, 0, 0], [0, 1]], 2), /reward function 1 has 2 rewards, function 0 has 3/);
  assert.throws(() => setObjectiveRewards([[1, 0]], 3), /k = 3 is larger than the group of 2 samples/);
  assert.throws(() => leaveOneOutBaseline([[1, 0]], 2), /at least k \+ 1 = 3 samples/);
  assert.throws(() => setObjectiveRewards([[1, 0]], 1, [0]), /sum to 0/);
  assert.throws(() => setObjectiveRewards([[1, 0]], 1, [1, 1]), /2 weights for 1 reward functions/);
  assert.throws(() => maxAtKWeights([1, NaN], 1), /rewards\[1\] = NaN/);
  assert.throws(() => maxAtKWeights([1, 0], 0), /k must be a whole number >= 1/);
});

/**
 * A 3-armed softmax bandit with two reward functions: enumerate all n-tuples of arms, and the
 * estimator's expectation sum_tuples p(tuple) sum_i r_i grad log pi(a_i) must equal (n/k) grad J_k,
 * with grad J_k from the closed form J = sum_m w_m sum_v v (F_m(v)^k - F_m(v-)^k).
 */
const THETA = [0.3, -0.2, 0.1];
const R = [[1, 0, 0.5], [0, 1, 0.25]];
const W = [0.6, 0.4];

function softmax(t: number[]): number[] {
  const m = Math.max(...t);
  const e = t.map((x) => Math.exp(x - m));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / z);
}

function analyticGrad(k: number): number[] {
  const pi = softmax(THETA);
  const grad = [0, 0, 0];
  R.forEach((r, m) => {
    const values = [...new Set(r)].sort((a, b) => a - b);
    let prevF = 0, prevDF = [0, 0, 0];
    for (const v of values) {
      let F = 0;
      const dF = [0, 0, 0];
      for (let a = 0; a < 3; a++) {
        if (r[a] > v) continue;
        F += pi[a];
        for (let b = 0; b < 3; b++) dF[b] += pi[a] * ((a === b ? 1 : 0) - pi[b]);
      }
      for (let b = 0; b < 3; b++) grad[b] += W[m] * v * k * (F ** (k - 1) * dF[b] - prevF ** (k - 1) * prevDF[b]);
      prevF = F;
      prevDF = dF;
    }
  });
  return grad;
}

function expectedEstimator(n: number, k: number, baseline: boolean): number[] {
  const pi = softmax(THETA);
  const grad = [0, 0, 0];
  const tuple = new Array(n).fill(0);
  for (let code = 0; code < 3 ** n; code++) {
    let c = code, p = 1;
    for (let i = 0; i < n; i++) {
      tuple[i] = c % 3;
      c = Math.floor(c / 3);
      p *= pi[tuple[i]];
    }
    const rows = R.map((r) => tuple.map((a) => r[a]));
    const r = setObjectiveRewards(rows, k, W);
    const b = baseline ? leaveOneOutBaseline(rows, k, W) : new Float64Array(n);
    for (let i = 0; i < n; i++) for (let j = 0; j < 3; j++) grad[j] += p * (r[i] - b[i]) * ((tuple[i] === j ? 1 : 0) - pi[j]);
  }
  return grad;
}

test('unbiased: on a 3-armed bandit the estimator\'s expectation is (n/k) grad J_k (exact enumeration)', () => {
  for (const [n, k] of [[4, 1], [4, 2], [4, 3], [4, 4], [5, 2]]) {
    const want = analyticGrad(k).map((g) => (n / k) * g);
    assert.ok(want.some((g) => Math.abs(g) > 1e-3), 'the gradient is not trivially zero');
    close(expectedEstimator(n, k, false), want, 1e-12, `n=${n} k=${k}`);
    if (k < n) close(expectedEstimator(n, k, true), want, 1e-12, `n=${n} k=${k} loo`);
  }
});

test('the analytic gradient itself agrees with finite differences of J_k', () => {
  const J = (theta: number[], k: number) => {
    const pi = softmax(theta);
    return R.reduce((acc, r, m) => {
      const values = [...new Set(r)].sort((a, b) => a - b);
      let prev = 0, s = 0;
      for (const v of values) {
        const F = r.reduce((a, x, i) => a + (x <= v ? pi[i] : 0), 0);
        s += v * (F ** k - prev ** k);
        prev = F;
      }
      return acc + W[m] * s;
    }, 0);
  };
  for (const k of [1, 2, 3]) {
    const g = analyticGrad(k);
    for (let j = 0; j < 3; j++) {
      const h = 1e-6, tp = [...THETA], tm = [...THETA];
      tp[j] += h;
      tm[j] -= h;
      assert.ok(Math.abs((J(tp, k) - J(tm, k)) / (2 * h) - g[j]) < 1e-8, `k=${k} j=${j}`);
    }
  }
});
