/**
 * Set objectives under reward uncertainty (docs/set-objectives.md): per-sample weights whose
 * policy gradient is unbiased for
 *
 *   J_k = E_{R~P} E_{a_1..a_k ~ pi} [ max_j R(a_j) ]
 *
 * from n >= k samples of one prompt and a distribution P over reward functions (weights w_m,
 * each function giving one reward per sample). For one function with rewards g sorted ascending
 * (g_(1) <= ... <= g_(n)), averaging max over all C(n, k) subsets of size k gives (PKPO's
 * subset average):
 *
 *   s_(i) = [ C(i-1, k-1) g_(i) + sum_{j>i} C(j-2, k-2) g_(j) ] / C(n, k)
 *
 * (the subsets containing i whose maximum is g_(i), then those whose maximum is a larger g_(j)),
 * and sum_i s_i grad log pi(a_i) has expectation grad J_k. Over P: s_i = sum_m w_m s_i^(m).
 * Here the weights are returned as effective rewards r_i = (n / k) s_i, so that k = 1 gives
 * r_i = E_R R(a_i) (vanilla policy gradient on the mean reward) and a binary function gives PKPO's
 * 1 for a correct sample and rho(n-1, c, k-1) for an incorrect one.
 *
 * Baselines keep the gradient unbiased when they do not depend on the sample they are subtracted
 * from: 'loo' subtracts the max@k estimate of the other n-1 samples (needs k <= n-1; k = 1 gives
 * RLOO). Mean-centering over the group (as GRPO) is the other choice; it is applied by the caller.
 */
import { fail } from './common.ts';

/** C(n, r) as a double (0 outside 0 <= r <= n); exact while it fits in 53 bits. */
export function choose(n: number, r: number): number {
  if (r < 0 || r > n || n < 0) return 0;
  r = Math.min(r, n - r);
  let c = 1;
  // Each partial product is C(n - r + i, i), an integer: exact while below 2^53.
  for (let i = 1; i <= r; i++) c = (c * (n - r + i)) / i;
  return c;
}

function checkK(fn: string, n: number, k: number): void {
  if (!Number.isInteger(k) || k < 1) fail(fn, `k must be a whole number >= 1, got ${k}`);
  if (k > n) fail(fn, `k = ${k} is larger than the group of ${n} samples; lower k or raise the group size (groupSize >= k)`);
}

function checkFinite(fn: string, g: ArrayLike<number>, what: string): void {
  for (let i = 0; i < g.length; i++) if (!Number.isFinite(g[i])) fail(fn, `${what}[${i}] = ${g[i]} is not finite`);
}

/** Sample indices in ascending reward order (ties by index, which does not change any max). */
function ascending(g: ArrayLike<number>): number[] {
  return Array.from({ length: g.length }, (_, i) => i).sort((a, b) => g[a] - g[b] || a - b);
}

/** PKPO subset-average weights s_i of one reward function, in the samples' order. */
export function maxAtKWeights(g: ArrayLike<number>, k: number): Float64Array {
  const FN = 'maxAtKWeights';
  const n = g.length;
  checkK(FN, n, k);
  checkFinite(FN, g, 'rewards');
  const order = ascending(g);
  const total = choose(n, k);
  const out = new Float64Array(n);
  // tail[i] = sum_{j>i} C(j-2, k-2) g_(j), with 1-based sorted positions.
  let tail = 0;
  for (let i = n; i >= 1; i--) {
    const gi = g[order[i - 1]];
    out[order[i - 1]] = (choose(i - 1, k - 1) * gi + tail) / total;
    tail += choose(i - 2, k - 2) * gi;
  }
  return out;
}

/** Unbiased estimate of E[max of k samples] from n samples: sum_i C(i-1, k-1) g_(i) / C(n, k). */
export function maxAtKEstimate(g: ArrayLike<number>, k: number): number {
  const FN = 'maxAtKEstimate';
  checkK(FN, g.length, k);
  checkFinite(FN, g, 'rewards');
  const order = ascending(g);
  let s = 0;
  order.forEach((idx, p) => (s += choose(p, k - 1) * g[idx]));
  return s / choose(g.length, k);
}

/** PKPO's binary case: k/n for a correct sample, (k/n) rho(n-1, c, k-1) otherwise, rho(n, c, k) = 1 - C(n-c, k)/C(n, k). */
export function pkpoBinaryWeights(correct: ArrayLike<number | boolean>, k: number): Float64Array {
  const n = correct.length;
  checkK('pkpoBinaryWeights', n, k);
  let c = 0;
  for (let i = 0; i < n; i++) c += correct[i] ? 1 : 0;
  const rho = (m: number, cc: number, kk: number) => 1 - choose(m - cc, kk) / choose(m, kk);
  return Float64Array.from({ length: n }, (_, i) => (correct[i] ? k / n : (k / n) * rho(n - 1, c, k - 1)));
}

/** The distribution P: non-negative weights, normalised to sum 1. */
function distribution(fn: string, weights: ArrayLike<number> | undefined, m: number): number[] {
  const w = weights ? Array.from(weights) : new Array(m).fill(1);
  if (w.length !== m) fail(fn, `${w.length} weights for ${m} reward functions`);
  w.forEach((x, j) => {
    if (!(x >= 0) || !Number.isFinite(x)) fail(fn, `weight ${j} = ${x} must be a finite number >= 0`);
  });
  const sum = w.reduce((a, b) => a + b, 0);
  if (!(sum > 0)) fail(fn, 'the reward-function weights sum to 0; give at least one function a positive weight');
  return w.map((x) => x / sum);
}

/** Rewards of m functions over the same n samples: each row must have n entries. */
function checkRows(fn: string, rewards: ArrayLike<number>[]): number {
  if (!rewards.length) fail(fn, 'no reward function');
  const n = rewards[0].length;
  rewards.forEach((row, m) => {
    if (row.length !== n) fail(fn, `reward function ${m} has ${row.length} rewards, function 0 has ${n}; every function must score every sample of the group`);
  });
  return n;
}

/**
 * Effective rewards r_i = (n/k) sum_m w_m s_i^(m) of one group (n samples), for rewards[m][i]
 * of function m on sample i and P given by `weights` (default uniform).
 */
export function setObjectiveRewards(rewards: ArrayLike<number>[], k: number, weights?: ArrayLike<number>): Float64Array {
  const FN = 'setObjectiveRewards';
  const n = checkRows(FN, rewards);
  checkK(FN, n, k);
  const w = distribution(FN, weights, rewards.length);
  const out = new Float64Array(n);
  rewards.forEach((g, m) => {
    if (w[m] === 0) return;
    const s = maxAtKWeights(g, k);
    for (let i = 0; i < n; i++) out[i] += (w[m] * n * s[i]) / k;
  });
  return out;
}

/** The set objective's estimate sum_m w_m maxAtKEstimate(rewards[m], k) of one group. */
export function setObjectiveEstimate(rewards: ArrayLike<number>[], k: number, weights?: ArrayLike<number>): number {
  const FN = 'setObjectiveEstimate';
  checkRows(FN, rewards);
  const w = distribution(FN, weights, rewards.length);
  return rewards.reduce((a, g, m) => a + (w[m] ? w[m] * maxAtKEstimate(g, k) : 0), 0);
}

/** Leave-one-out baseline per sample: the set objective's estimate from the other n-1 samples. */
export function leaveOneOutBaseline(rewards: ArrayLike<number>[], k: number, weights?: ArrayLike<number>): Float64Array {
  const FN = 'leaveOneOutBaseline';
  const n = checkRows(FN, rewards);
  if (k > n - 1) fail(FN, `k = ${k} needs at least k + 1 = ${k + 1} samples per group for a leave-one-out baseline, got ${n}; lower k, raise groupSize or use baseline 'mean'`);
  return Float64Array.from({ length: n }, (_, i) =>
    setObjectiveEstimate(rewards.map((g) => Array.from(g).filter((_, j) => j !== i)), k, weights));
}
