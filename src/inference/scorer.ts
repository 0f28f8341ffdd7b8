/**
 * Teacher-forced scoring: the log-probability of each given completion token after its
 * prompt, and optionally the model's top-k next-token distribution at each of those
 * positions (what a teacher hands to distillation losses), and optionally the final-norm
 * hidden state at each of those positions (DelTA's token features). One forward pass per chunk of
 * requests; sequences of different lengths are left-padded and masked.
 */
import type { ScoreRequest, ScoredTokens } from './types.ts';
import type { Decoder } from './decoder.ts';
import { logSumExp } from './sampling.ts';

export interface ScorerOptions {
  padId: number;
  /** Upper bound on padded tokens per forward pass (memory of the cache and activations). */
  maxTokensPerPass?: number;
}

export function score(decoder: Decoder, reqs: ScoreRequest[], opts: ScorerOptions): ScoredTokens[] {
  reqs.forEach((r, i) => {
    if (!Array.isArray(r.prompt) || r.prompt.length === 0) throw new Error(`score request ${i}: prompt must be a non-empty array of token ids`);
    if (!Array.isArray(r.completion)) throw new Error(`score request ${i}: completion must be an array of token ids`);
    const k = r.topK ?? 0;
    if (!Number.isInteger(k) || k < 0 || k > decoder.config.vocabSize) {
      throw new Error(`score request ${i}: topK must be a whole number in [0, ${decoder.config.vocabSize}], got ${r.topK}`);
    }
  });
  const budget = opts.maxTokensPerPass ?? 16384;
  const out: ScoredTokens[] = new Array(reqs.length);
  // Group by length so padding stays small, then cut into chunks within the budget.
  const order = reqs.map((_, i) => i).sort((a, b) => seqLen(reqs[a]) - seqLen(reqs[b]));
  let chunk: number[] = [];
  const flush = () => {
    if (chunk.length) scoreChunk(decoder, reqs, chunk, opts.padId, out);
    chunk = [];
  };
  for (const i of order) {
    const L = Math.max(seqLen(reqs[i]), ...chunk.map((j) => seqLen(reqs[j])));
    if (chunk.length && L * (chunk.length + 1) > budget) flush();
    chunk.push(i);
  }
  flush();
  return out;
}

/** Tokens fed to the model: the prompt and every completion token but the last. */
function seqLen(r: ScoreRequest): number {
  return r.prompt.length + Math.max(0, r.completion.length - 1);
}

function scoreChunk(decoder: Decoder, reqs: ScoreRequest[], idx: number[], padId: number, out: ScoredTokens[]): void {
  const V = decoder.config.vocabSize;
  const B = idx.length;
  const L = Math.max(...idx.map((i) => seqLen(reqs[i])));
  const cache = decoder.newCache(B, L);
  const ids = new Int32Array(B * L).fill(padId);
  const outRows: number[] = [];
  idx.forEach((i, b) => {
    const r = reqs[i];
    const seq = [...r.prompt, ...r.completion.slice(0, -1)];
    cache.kvStart[b] = L - seq.length;
    ids.set(seq, b * L + cache.kvStart[b]);
    // The row predicting completion[t] is the one holding token prompt.length - 1 + t.
    for (let t = 0; t < r.completion.length; t++) outRows.push(b * L + cache.kvStart[b] + r.prompt.length - 1 + t);
  });
  const D = decoder.config.hiddenSize;
  const hidden = idx.some((i) => reqs[i].hidden) ? new Float32Array(outRows.length * D) : undefined;
  const logits = decoder.forward(ids, L, cache, outRows, undefined, hidden);
  decoder.releaseCache(cache);
  let row = 0;
  for (const i of idx) {
    const r = reqs[i];
    const T = r.completion.length, k = r.topK ?? 0;
    const logprobs = new Float32Array(T);
    const topIds = k ? new Int32Array(T * k) : undefined;
    const topProbs = k ? new Float32Array(T * k) : undefined;
    const h = r.hidden && hidden ? hidden.slice(row * D, (row + T) * D) : undefined;
    for (let t = 0; t < T; t++, row++) {
      const l = logits.subarray(row * V, (row + 1) * V);
      const lse = logSumExp(l);
      const target = r.completion[t];
      if (target < 0 || target >= V) throw new Error(`score request ${i}: completion token ${target} outside the vocabulary [0, ${V})`);
      logprobs[t] = l[target] - lse;
      if (k && topIds && topProbs) {
        decoder.k.topk(l, 1, V, k, topIds.subarray(t * k, (t + 1) * k), topProbs.subarray(t * k, (t + 1) * k));
        for (let j = t * k; j < (t + 1) * k; j++) topProbs[j] = Math.exp(topProbs[j] - lse);
      }
    }
    out[i] = { logprobs, topIds, topProbs, k: k || undefined, ...(h ? { hidden: h } : {}) };
  }
}
