/**
 * Choosing one token from a row of logits: temperature, top-k, top-p (nucleus), greedy at
 * temperature 0. Every draw comes from the given Rng, so a seed fixes the result.
 */
import type { Rng } from '../util/rng.ts';
import { sampleRow } from '../engine/kernels/js.ts';

export interface TokenChoice {
  id: number;
  /** log p(id) under the model's own distribution (temperature 1, no truncation). */
  logprob: number;
  /** log of the largest probability in that distribution (how sure the model was). */
  maxLogprob: number;
}

export interface Truncation {
  temperature: number;
  topK: number; // 0 = off
  topP: number; // 1 = off
}

export function validateTruncation(t: Partial<Truncation>, where: string): Truncation {
  const temperature = t.temperature ?? 1, topK = t.topK ?? 0, topP = t.topP ?? 1;
  if (!(temperature >= 0) || !Number.isFinite(temperature)) throw new Error(`${where}: temperature must be >= 0, got ${t.temperature}`);
  if (!Number.isInteger(topK) || topK < 0) throw new Error(`${where}: topK must be a whole number >= 0, got ${t.topK}`);
  if (!(topP > 0 && topP <= 1)) throw new Error(`${where}: topP must be in (0, 1], got ${t.topP}`);
  return { temperature, topK, topP };
}

/** log-sum-exp of a row, in float64. */
export function logSumExp(row: Float32Array): number {
  let m = -Infinity;
  for (let i = 0; i < row.length; i++) if (row[i] > m) m = row[i];
  if (m === -Infinity) return -Infinity;
  let s = 0;
  for (let i = 0; i < row.length; i++) s += Math.exp(row[i] - m);
  return m + Math.log(s);
}

/**
 * Self-certainty of a logit row (Intuitor): KL(U || p) for p = softmax(z) over the V entries,
 * = logsumexp(z) - mean(z) - log V. 0 for a uniform row, larger as p concentrates. A caller
 * that already knows logsumexp(z) passes it (one pass over the row instead of two).
 */
export function selfCertainty(row: Float32Array, lse = logSumExp(row)): number {
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += row[i];
  return selfCertaintyOf(sum, row.length, lse);
}

/** selfCertainty from the row's sum of logits (float64, index order), length and logsumexp. */
export function selfCertaintyOf(sumLogits: number, V: number, lse: number): number {
  return lse - sumLogits / V - Math.log(V);
}

/** True when a draw needs neither truncation nor a temperature: the kernels' `sampleRows` draws it. */
export function isPlainDraw(tr: Truncation, V: number): boolean {
  return tr.temperature === 0 || (tr.temperature === 1 && !(tr.topK > 0 && tr.topK < V) && !(tr.topP < 1));
}

/**
 * The choice for token `id` of `row`, from the row's maximum and sum of exp(x - max) (what
 * `sampleRows` returns). Throws when the row is not finite.
 */
export function tokenChoice(row: Float32Array, id: number, rowMax: number, sumExp: number): TokenChoice {
  const lse = rowMax === -Infinity ? -Infinity : rowMax + Math.log(sumExp);
  if (!Number.isFinite(lse)) throw new Error('sampling: the logits are not finite (the model produced NaN or -inf everywhere)');
  return { id, logprob: row[id] - lse, maxLogprob: rowMax - lse };
}

/** exp(row[i] - max) of the last row, kept so that sampling at temperature 1 needs one pass of exp. */
let expScratch = new Float64Array(0);

export function chooseToken(row: Float32Array, tr: Truncation, rng: Rng): TokenChoice {
  const V = row.length;
  if (expScratch.length < V) expScratch = new Float64Array(V);
  // Plain draws (greedy, or temperature 1 over the whole vocabulary) are the kernels' sampleRows
  // on one row; the general path below needs the row's maximum and logsumexp from it.
  const plain = isPlainDraw(tr, V);
  const d = sampleRow(row, plain && tr.temperature !== 0 ? rng.next() : -1, expScratch);
  const first = tokenChoice(row, d.id, d.max, d.sumExp);
  if (plain) return first;
  const rmax = d.max, lse = rmax + Math.log(d.sumExp);
  // Candidates sorted by logit (descending) only when truncation needs an order.
  let cand: number[] | null = null;
  if (tr.topK > 0 && tr.topK < V) {
    cand = topIndices(row, tr.topK);
  } else if (tr.topP < 1) {
    cand = Array.from({ length: V }, (_, i) => i).sort((a, b) => row[b] - row[a] || a - b);
  }
  const invT = 1 / tr.temperature;
  if (!cand) {
    // Plain sampling over the whole vocabulary: one pass, no sort.
    let m = -Infinity;
    for (let i = 0; i < V; i++) if (row[i] * invT > m) m = row[i] * invT;
    let z = 0;
    for (let i = 0; i < V; i++) z += Math.exp(row[i] * invT - m);
    let u = rng.next() * z;
    for (let i = 0; i < V; i++) {
      u -= Math.exp(row[i] * invT - m);
      if (u < 0) return { id: i, logprob: row[i] - lse, maxLogprob: rmax - lse };
    }
    // Rounding left u >= 0 after the last term: take the most likely token.
    let best = 0;
    for (let i = 1; i < V; i++) if (row[i] > row[best]) best = i;
    return { id: best, logprob: row[best] - lse, maxLogprob: rmax - lse };
  }
  const m = row[cand[0]] * invT;
  const w = cand.map((i) => Math.exp(row[i] * invT - m));
  let z = w.reduce((a, b) => a + b, 0);
  if (tr.topP < 1) {
    let acc = 0, keep = 0;
    while (keep < w.length) {
      acc += w[keep++];
      if (acc >= tr.topP * z) break;
    }
    w.length = keep;
    cand.length = keep;
    z = acc;
  }
  let u = rng.next() * z;
  for (let j = 0; j < w.length; j++) {
    u -= w[j];
    if (u < 0) return { id: cand[j], logprob: row[cand[j]] - lse, maxLogprob: row[cand[0]] - lse };
  }
  return { id: cand[0], logprob: row[cand[0]] - lse, maxLogprob: row[cand[0]] - lse };
}

/** Indices of the k largest values, descending (ties: lower index first). */
export function topIndices(row: Float32Array, k: number): number[] {
  const idx: number[] = [];
  for (let i = 0; i < row.length; i++) {
    if (idx.length < k) {
      idx.push(i);
      if (idx.length === k) idx.sort((a, b) => row[b] - row[a] || a - b);
    } else if (row[i] > row[idx[k - 1]]) {
      let j = k - 1;
      while (j > 0 && row[idx[j - 1]] < row[i]) j--;
      idx.splice(j, 0, i);
      idx.length = k;
    }
  }
  if (idx.length < k) idx.sort((a, b) => row[b] - row[a] || a - b);
  return idx;
}
