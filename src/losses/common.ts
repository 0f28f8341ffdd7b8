/**
 * Shared plumbing for the loss functions: argument validation with errors that name the
 * argument, a float64 log-sum-exp over one logits row, and a metric accumulator.
 *
 * Every loss works row by row: one row of the [N, V] logits block is one trained position.
 * Accumulation is in float64 (JS numbers) and only the outputs are float32, so a loss over a
 * 150k vocabulary does not lose the small probabilities that the tail and the gradients need.
 */
import type { LogitsBlock } from './types.ts';

export type Weights = ArrayLike<number>;

export function fail(fn: string, msg: string): never {
  throw new Error(`${fn}: ${msg}`);
}

/** Checks N, V and the logits length; returns nothing, throws naming `logits`. */
export function checkBlock(fn: string, block: LogitsBlock): void {
  const { N, V, logits } = block;
  if (!Number.isInteger(N) || N < 0) fail(fn, `logits.N must be a non-negative integer, got ${N}`);
  if (!Number.isInteger(V) || V < 1) fail(fn, `logits.V must be a positive integer, got ${V}`);
  if (!logits || logits.length !== N * V) {
    fail(fn, `logits.logits has length ${logits?.length}, expected N * V = ${N} * ${V} = ${N * V}`);
  }
}

/** Checks that `arr` has exactly `n` entries (one per row, or `per` per row). */
export function checkLength(fn: string, name: string, arr: ArrayLike<number> | undefined, n: number, per = 1): void {
  if (!arr) fail(fn, `${name} is required`);
  if (arr.length !== n * per) {
    const what = per === 1 ? `${n} (one per row)` : `${n * per} (${n} rows x ${per})`;
    fail(fn, `${name} has length ${arr.length}, expected ${what}`);
  }
}

/** Row weights must be finite and non-negative: a negative weight would silently flip a loss. */
export function checkWeights(fn: string, name: string, w: Weights, n: number): void {
  checkLength(fn, name, w, n);
  for (let i = 0; i < n; i++) {
    const x = w[i];
    if (!(x >= 0) || !Number.isFinite(x)) fail(fn, `${name}[${i}] = ${x}; weights must be finite and >= 0`);
  }
}

/** Token ids must be integers in [0, V). `allowNegative` lets -1 mean "ignore this row". */
export function checkIds(fn: string, name: string, ids: ArrayLike<number>, V: number, allowNegative = false): void {
  for (let i = 0; i < ids.length; i++) {
    const t = ids[i];
    if (!Number.isInteger(t) || t >= V || (t < 0 && !allowNegative)) {
      fail(fn, `${name}[${i}] = ${t} is not a token id in [0, ${V})${allowNegative ? ' (or < 0 to ignore)' : ''}`);
    }
  }
}

/** Max and log-sum-exp of logits[off .. off+V). */
export function rowLse(z: Float32Array, off: number, V: number): number {
  let mx = -Infinity;
  for (let v = 0; v < V; v++) if (z[off + v] > mx) mx = z[off + v];
  if (mx === -Infinity) return -Infinity;
  if (!Number.isFinite(mx)) return mx; // +Inf or NaN propagates: the caller sees a non-finite loss
  let s = 0;
  for (let v = 0; v < V; v++) s += Math.exp(z[off + v] - mx);
  return mx + Math.log(s);
}

/** log(exp(a) + exp(b)) without overflow; -Infinity inputs are fine. */
export function logAddExp(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  const m = a > b ? a : b;
  return m + Math.log1p(Math.exp(-Math.abs(a - b)));
}

/**
 * Means over the rows that count (weight > 0), as LossResult.metrics documents. Add a value per
 * counted row with `add(name, x)`, then `means()` divides by the row count.
 */
export class MetricMeans {
  private sums = new Map<string, number>();
  rows = 0;
  add(name: string, x: number): void {
    this.sums.set(name, (this.sums.get(name) ?? 0) + x);
  }
  means(extra: Record<string, number> = {}): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [k, s] of this.sums) out[k] = this.rows > 0 ? s / this.rows : 0;
    out.rows = this.rows;
    return { ...out, ...extra };
  }
}

/** log p(y) under the softmax of logits row r: z_y - LSE(z). */
export function tokenLogp(z: Float32Array, r: number, V: number, y: number): { logp: number; lse: number } {
  const lse = rowLse(z, r * V, V);
  return { logp: z[r * V + y] - lse, lse };
}

/**
 * grad[row r] += scale * d log p(y) / dz  =  scale * (onehot(y) - softmax(z)).
 * Every sampled-token loss (policy gradient, hard cross-entropy) ends in this.
 */
export function addLogpGrad(z: Float32Array, r: number, V: number, y: number, lse: number, scale: number, grad: Float32Array): void {
  const off = r * V;
  for (let v = 0; v < V; v++) {
    const p = Math.exp(z[off + v] - lse);
    grad[off + v] += v === y ? scale * (1 - p) : -scale * p;
  }
}
