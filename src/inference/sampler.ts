/**
 * Batched sampling with a KV cache. Prompts of different lengths are left-padded into one
 * batch (the cache masks the padding), prefilled in one pass, then decoded one token per
 * sequence per step. Each request draws from its own Rng (from its seed, or forked from the
 * caller's), so a request's tokens do not depend on what else is in the batch.
 */
import type { Completion, SampleRequest } from './types.ts';
import { Rng } from '../util/rng.ts';
import type { Decoder } from './decoder.ts';
import { chooseToken, isPlainDraw, logSumExp, selfCertainty, selfCertaintyOf, tokenChoice, validateTruncation, type Truncation } from './sampling.ts';

export interface SamplerOptions {
  /** Turns token ids into text (for stop strings and Completion.text). */
  decode: (ids: number[]) => string;
  /** Default stop ids when a request gives none (e.g. the tokenizer's end-of-sequence). */
  eosIds: number[];
  /** Token used to fill padding slots (any valid id; it is masked out). */
  padId: number;
  /** Source of per-request generators for requests without a seed. */
  rng?: Rng;
  /**
   * DAgger roll-in: with probability beta, each token is drawn from a teacher (its own model
   * and prompt per request, run in lockstep) instead of the student. Log-probs stay the
   * student's, since they are what the learner's importance ratios compare against.
   */
  rollIn?: { decoder: Decoder; prompts: number[][]; beta: number };
}

interface RowState {
  req: SampleRequest;
  tr: Truncation;
  rng: Rng;
  stopIds: Set<number>;
  tokens: number[];
  logprobs: number[];
  maxLogprobs: number[];
  selfCertainty: number[];
  done: boolean;
  stopReason: 'stop' | 'length';
  text: string;
  /** True once `text` was cut at a stop string (otherwise it is decoded at the end). */
  textFinal: boolean;
}

export function sample(decoder: Decoder, reqs: SampleRequest[], opts: SamplerOptions): Completion[] {
  if (reqs.length === 0) return [];
  const run = () => {
    const steps = sampleSteps(decoder, reqs, opts);
    for (;;) {
      const r = steps.next();
      if (r.done) return r.value;
    }
  };
  // Decode steps reuse the weights every step: pack them once.
  return decoder.withPackedWeights(run);
}

/** What a caller of sampleSteps sees of one request between steps. */
export interface SampleRow {
  readonly tokens: readonly number[];
  readonly done: boolean;
  readonly stopReason: 'stop' | 'length';
}

export interface StepOptions extends SamplerOptions {
  /** Checked before each step: a request that was given up on (its client left) stops there. */
  cancelled?: (row: number) => boolean;
}

/**
 * sample(), one decoding step at a time: yields the rows after the prefill's first token and
 * after every step, and returns the completions. A server drives it with pauses between steps,
 * so it can stream tokens as they come, keep answering other requests, and drop rows whose
 * client went away. `rowText` gives a row's text so far.
 */
export function* sampleSteps(decoder: Decoder, reqs: SampleRequest[], opts: StepOptions): Generator<readonly SampleRow[], Completion[], void> {
  if (reqs.length === 0) return [];
  const B = reqs.length;
  const rows: RowState[] = reqs.map((req, i) => {
    const where = `sample request ${i}`;
    if (!Array.isArray(req.prompt) || req.prompt.length === 0) throw new Error(`${where}: prompt must be a non-empty array of token ids`);
    if (!Number.isInteger(req.maxTokens) || req.maxTokens < 1) throw new Error(`${where}: maxTokens must be a whole number >= 1, got ${req.maxTokens}`);
    const rng = req.seed !== undefined ? new Rng(req.seed) : (opts.rng ?? new Rng(0)).fork();
    return {
      req, tr: validateTruncation(req, where), rng,
      stopIds: new Set(req.stopTokenIds ?? opts.eosIds),
      tokens: [], logprobs: [], maxLogprobs: [], selfCertainty: [], done: false, stopReason: 'length', text: '', textFinal: false,
    };
  });
  const P = Math.max(...reqs.map((r) => r.prompt.length));
  const maxNew = Math.max(...reqs.map((r) => r.maxTokens));
  const cache = decoder.newCache(B, P + maxNew);

  const ids = new Int32Array(B * P).fill(opts.padId);
  reqs.forEach((r, b) => {
    cache.kvStart[b] = P - r.prompt.length;
    ids.set(r.prompt, b * P + cache.kvStart[b]);
  });
  const V = decoder.config.vocabSize;
  const logitsBuf = new Float32Array(B * V);
  let logits = decoder.forward(ids, P, cache, rows.map((_, b) => b * P + P - 1), logitsBuf);
  const teacher = opts.rollIn ? startTeacher(opts.rollIn, B, maxNew, opts.padId, V) : null;
  let tLogits = teacher?.logits ?? null;
  const step = new Int32Array(B);
  const allRows = rows.map((_, b) => b);

  // A step's plain draws (greedy, or temperature 1 untruncated: the usual case) go to the kernels
  // in one call, which the native set spreads over its threads; the rest take chooseToken.
  const draws = {
    rows: new Int32Array(B), us: new Float64Array(B), ids: new Int32Array(B),
    rowMax: new Float64Array(B), sumExp: new Float64Array(B), sumLogits: new Float64Array(B),
  };
  const drawAt = new Int32Array(B);

  for (let t = 0; t < maxNew; t++) {
    let n = 0;
    for (let b = 0; b < B; b++) {
      const row = rows[b];
      if (!row.done && opts.cancelled?.(b)) row.done = true;
      drawAt[b] = -1;
      if (row.done || !isPlainDraw(row.tr, V)) continue;
      drawAt[b] = n;
      draws.rows[n] = b;
      // The row's own generator, in its order: this draw first, then any roll-in draws below.
      draws.us[n++] = row.tr.temperature === 0 ? -1 : row.rng.next();
    }
    if (n > 0) {
      decoder.k.sampleRows({
        logits, V, rows: draws.rows.subarray(0, n), us: draws.us, ids: draws.ids,
        rowMax: draws.rowMax, sumExp: draws.sumExp, sumLogits: draws.sumLogits,
      });
    }
    for (let b = 0; b < B; b++) {
      const row = rows[b];
      if (row.done) {
        step[b] = opts.padId;
        continue;
      }
      const sRow = logits.subarray(b * V, (b + 1) * V);
      const j = drawAt[b];
      let choice = j >= 0 ? tokenChoice(sRow, draws.ids[j], draws.rowMax[j], draws.sumExp[j]) : chooseToken(sRow, row.tr, row.rng);
      if (teacher && tLogits && teacher.beta > 0 && row.rng.next() < teacher.beta) {
        const id = chooseToken(tLogits.subarray(b * V, (b + 1) * V), row.tr, row.rng).id;
        choice = { id, logprob: sRow[id] - logSumExp(sRow), maxLogprob: choice.maxLogprob };
      }
      step[b] = choice.id;
      row.maxLogprobs.push(choice.maxLogprob);
      // maxLogprob = max(z) - logsumexp(z): the sampler already paid for logsumexp.
      const lse = (j >= 0 ? draws.rowMax[j] : rowMaxOf(sRow)) - choice.maxLogprob;
      row.selfCertainty.push(j >= 0 ? selfCertaintyOf(draws.sumLogits[j], V, lse) : selfCertainty(sRow, lse));
      finishToken(row, choice.id, choice.logprob, opts);
    }
    if (rows.every((r) => r.done) || t === maxNew - 1) break;
    yield rows;
    logits = decoder.forward(step, 1, cache, allRows, logitsBuf);
    if (teacher) tLogits = teacher.decoder.forward(step, 1, teacher.cache, allRows, teacher.logits);
  }

  decoder.releaseCache(cache);
  if (teacher) teacher.decoder.releaseCache(teacher.cache);
  return rows.map((r) => ({
    tokens: r.tokens,
    text: rowText(r, opts),
    logprobs: Float32Array.from(r.logprobs),
    maxLogprobs: Float32Array.from(r.maxLogprobs),
    selfCertainty: Float32Array.from(r.selfCertainty),
    stopReason: r.stopReason,
  }));
}

/**
 * A row's text so far: cut before a stop string once one appeared, else the decoded tokens
 * (stop tokens left out).
 */
export function rowText(row: SampleRow, opts: Pick<SamplerOptions, 'decode'>): string {
  const r = row as RowState;
  return r.textFinal ? r.text : opts.decode(r.tokens.filter((id) => !r.stopIds.has(id)));
}

function startTeacher(r: NonNullable<SamplerOptions['rollIn']>, B: number, maxNew: number, padId: number, V: number) {
  if (r.prompts.length !== B) throw new Error(`roll-in: ${r.prompts.length} teacher prompts for ${B} requests`);
  if (!(r.beta >= 0 && r.beta <= 1)) throw new Error(`roll-in: beta must be in [0, 1], got ${r.beta}`);
  if (r.decoder.config.vocabSize !== V) throw new Error(`roll-in: the teacher's vocabulary (${r.decoder.config.vocabSize}) differs from the student's (${V})`);
  r.prompts.forEach((p, i) => {
    if (!p.length) throw new Error(`roll-in: teacher prompt ${i} is empty`);
  });
  const P = Math.max(...r.prompts.map((p) => p.length));
  const cache = r.decoder.newCache(B, P + maxNew);
  const ids = new Int32Array(B * P).fill(padId);
  r.prompts.forEach((p, b) => {
    cache.kvStart[b] = P - p.length;
    ids.set(p, b * P + cache.kvStart[b]);
  });
  const logits = r.decoder.forward(ids, P, cache, r.prompts.map((_, b) => b * P + P - 1));
  return { decoder: r.decoder, cache, logits, beta: r.beta };
}

function finishToken(row: RowState, id: number, logprob: number, opts: SamplerOptions): void {
  if (row.stopIds.has(id)) {
    // The stop token is part of what was sampled (RL trains on it), but not of the text.
    row.tokens.push(id);
    row.logprobs.push(logprob);
    row.done = true;
    row.stopReason = 'stop';
    return;
  }
  row.tokens.push(id);
  row.logprobs.push(logprob);
  const stops = row.req.stop ?? [];
  if (stops.length) row.text = opts.decode(row.tokens);
  for (const s of stops) {
    if (s.length === 0) continue;
    const at = row.text.indexOf(s);
    if (at >= 0) {
      // Keep the tokens up to and including the one that completed the stop string, so that
      // training sees exactly what was sampled; the text ends before the stop string.
      row.text = row.text.slice(0, at);
      row.textFinal = true;
      row.done = true;
      row.stopReason = 'stop';
      return;
    }
  }
  if (row.tokens.length >= row.req.maxTokens) {
    row.done = true;
    row.stopReason = 'length';
  }
}

function rowMaxOf(row: Float32Array): number {
  let m = -Infinity;
  for (let i = 0; i < row.length; i++) if (row[i] > m) m = row[i];
  return m;
}
