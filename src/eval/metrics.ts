/**
 * Accuracy metrics over n samples per prompt: avg@k (mean correctness) and the unbiased
 * pass@k estimator of Chen et al. 2021, 1 - C(n-c, k) / C(n, k), computed as a running
 * product so large n does not overflow; and greedy accuracy (one decoding at temperature 0
 * per prompt), which says what the model knows rather than how peaked its sampling is.
 */

/** Probability that at least one of k draws (without replacement) from n samples with c correct is correct. */
export function passAtK(n: number, c: number, k: number): number {
  if (!Number.isInteger(n) || !Number.isInteger(c) || !Number.isInteger(k)) throw new Error(`passAtK: n, c, k must be whole numbers (got ${n}, ${c}, ${k})`);
  if (c < 0 || c > n) throw new Error(`passAtK: c must be in [0, n], got c=${c}, n=${n}`);
  if (k < 1 || k > n) throw new Error(`passAtK: k must be in [1, n], got k=${k}, n=${n}`);
  if (n - c < k) return 1;
  // C(n-c, k) / C(n, k) = prod_{i=n-c+1}^{n} (1 - k / i)
  let ratio = 1;
  for (let i = n - c + 1; i <= n; i++) ratio *= 1 - k / i;
  return 1 - ratio;
}

export interface PromptResult {
  taskId: string;
  level: number;
  /** Correctness of each of the n samples. */
  correct: boolean[];
  /** Reward of each sample, in [0, 1]. */
  rewards: number[];
  /** Correctness of the greedy (temperature 0) decoding, when it was made. */
  greedy?: boolean;
}

export interface EvalSummary {
  /** Prompts evaluated. */
  n: number;
  /** Samples per prompt. */
  samples: number;
  /** Mean correctness over all samples (avg@k with k = samples). */
  accuracy: number;
  /** Share of prompts whose greedy decoding is correct; absent when no greedy decoding was made. */
  greedy?: number;
  meanReward: number;
  /** pass@k for k = 1, 2, 4, ... up to samples. */
  passAtK: Record<string, number>;
  byLevel: Record<string, { n: number; accuracy: number; greedy?: number; passAtK: Record<string, number> }>;
}

function summarise(results: PromptResult[]): Omit<EvalSummary, 'byLevel'> {
  const samples = results.length ? results[0].correct.length : 0;
  for (const r of results) {
    if (r.correct.length !== samples) throw new Error(`eval: task ${r.taskId} has ${r.correct.length} samples, others ${samples}`);
  }
  let correct = 0, reward = 0;
  const ks: number[] = [];
  for (let k = 1; k <= samples; k *= 2) ks.push(k);
  if (samples > 0 && ks[ks.length - 1] !== samples) ks.push(samples);
  const pass: Record<string, number> = {};
  for (const k of ks) pass[k] = 0;
  for (const r of results) {
    const c = r.correct.filter(Boolean).length;
    correct += c;
    reward += r.rewards.reduce((a, b) => a + b, 0);
    for (const k of ks) pass[k] += passAtK(samples, c, k);
  }
  const n = results.length;
  for (const k of ks) pass[k] = n ? pass[k] / n : 0;
  // Greedy accuracy only when every prompt has its greedy decoding: a partial share would mislead.
  const withGreedy = results.filter((r) => r.greedy !== undefined);
  if (withGreedy.length && withGreedy.length !== n) throw new Error(`eval: ${n - withGreedy.length} of ${n} tasks lack a greedy decoding`);
  const greedy = n && withGreedy.length === n ? withGreedy.filter((r) => r.greedy).length / n : undefined;
  return {
    n,
    samples,
    accuracy: n && samples ? correct / (n * samples) : 0,
    ...(greedy !== undefined ? { greedy } : {}),
    meanReward: n && samples ? reward / (n * samples) : 0,
    passAtK: pass,
  };
}

export function summariseEval(results: PromptResult[]): EvalSummary {
  const byLevel: EvalSummary['byLevel'] = {};
  const levels = [...new Set(results.map((r) => r.level))].sort((a, b) => a - b);
  for (const level of levels) {
    const s = summarise(results.filter((r) => r.level === level));
    byLevel[level] = { n: s.n, accuracy: s.accuracy, ...(s.greedy !== undefined ? { greedy: s.greedy } : {}), passAtK: s.passAtK };
  }
  return { ...summarise(results), byLevel };
}
