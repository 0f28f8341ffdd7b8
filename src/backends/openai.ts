/**
 * PolicyBackend for a model behind an OpenAI-compatible server (`distil serve`, vLLM): a
 * remote teacher, or a remote sampler. It samples and scores; it cannot train.
 *
 * Token ids are the whole point (a teacher's top-k must be over the student's ids), so:
 *  - prompts always go out as token ids, never as text the server would re-tokenise;
 *  - ids come back through vLLM's `return_tokens_as_token_ids` ("token_id:123" in logprobs)
 *    and `prompt_logprobs` (dicts keyed by id). Only if the server refuses the former are
 *    token strings mapped back with the shared tokenizer (a string that is not exactly one
 *    token's text is an error naming it: two ids with the same text cannot be told apart);
 *  - score() uses `prompt_logprobs` when the server has it (exact ranks, keyed by id) and
 *    falls back to the legacy `echo` + `logprobs` + `max_tokens: 0`; `scoreVia` forces one;
 *  - checkTokenizer() compares the server's tokenizer with the student's (vocabulary from
 *    GET /v1/tokenizer when offered, encodings of probe texts through POST /tokenize) and
 *    refuses, listing the disagreeing tokens, when they differ.
 * Requests are retried with exponential backoff on connection errors, timeouts, 429 and 5xx.
 */
import { compareTokenizers, type TokenizerComparison } from '../models/compare-tokenizers.ts';
import type { Tokenizer } from '../models/tokenizer.ts';
import type {
  Completion, LossReport, OptimOptions, PolicyBackend, SampleRequest, ScoreRequest, ScoredTokens, StepReport,
} from './types.ts';

export interface OpenAIBackendOptions {
  /** The server, with or without the trailing /v1 (http://127.0.0.1:8000/v1). */
  baseURL: string;
  /** Served model name (connect() picks the only one when omitted). */
  model: string;
  /** The tokenizer shared with the student: maps token strings when the server sends no ids. */
  tokenizer: Tokenizer;
  /** Model vocabulary (default: the tokenizer's). */
  vocabSize?: number;
  apiKey?: string;
  /** Per HTTP attempt (default 120000). */
  timeoutMs?: number;
  /** Retries after the first attempt (default 4). */
  maxRetries?: number;
  /** First backoff; doubled per retry, capped at 30 s (default 500). */
  retryDelayMs?: number;
  /** How score() asks for teacher-forced log-probs (default 'auto': prompt_logprobs, else echo). */
  scoreVia?: 'auto' | 'prompt_logprobs' | 'echo';
  /** HTTP requests in flight at once (default 8; the server batches them). */
  concurrency?: number;
  /** Score requests sent per HTTP request, as a list of prompts (default 16). */
  scoreBatch?: number;
}

/** A 4xx (or a 5xx after the last retry) with the server's error message. */
export class OpenAIServerError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly param: string | null = null,
    readonly code: string | null = null,
  ) {
    super(message);
  }
}

/**
 * vLLM refuses more top log-probs than its --max-logprobs (20 by default) with a 400 such as
 * "Requested prompt logprobs of 30, which is greater than max allowed: 20": say what to change.
 */
function logprobCapError(e: unknown, topK: number): Error | null {
  if (!(e instanceof OpenAIServerError) || e.status !== 400) return null;
  const m = /max(?:imum)?[ _]?(?:allowed|logprobs)\D{0,20}(\d+)/i.exec(e.message);
  if (!m || topK <= Number(m[1])) return null;
  const cap = Number(m[1]);
  return new Error(`the teacher server returns at most ${cap} top log-probs per position (vLLM: --max-logprobs, default 20) but topK is ${topK}: set the algorithm's topK to ${cap} or less, or restart the server with --max-logprobs ${topK} (server said: ${e.message})`);
}

const TRAIN_REFUSAL = 'a remote OpenAI-compatible server cannot train; use it as a teacher (externalTeacher) or to sample';

type Json = Record<string, any>; // response JSON, checked field by field where read

export class OpenAICompatibleBackend implements PolicyBackend {
  readonly vocabSize: number;
  readonly root: string;
  private scoreMode: 'prompt_logprobs' | 'echo' | null;
  /** null until the server has accepted or refused return_tokens_as_token_ids. */
  private idsSupported: boolean | null = null;
  private textToId: Map<string, number | number[]> | null = null;
  private plMaxTokens = 0;

  constructor(readonly opts: OpenAIBackendOptions) {
    this.root = opts.baseURL.replace(/\/+$/, '').replace(/\/v1$/, '');
    this.vocabSize = opts.vocabSize ?? opts.tokenizer.vocabSize;
    this.scoreMode = !opts.scoreVia || opts.scoreVia === 'auto' ? null : opts.scoreVia;
  }

  /** The shared tokenizer (as LocalBackend.tokenizer). */
  get tokenizer(): Tokenizer {
    return this.opts.tokenizer;
  }

  /** Lists the served models (choosing the only one when no model is named) and reads the vocabulary size. */
  static async connect(opts: Omit<OpenAIBackendOptions, 'model'> & { model?: string }): Promise<OpenAICompatibleBackend> {
    const probe = new OpenAICompatibleBackend({ ...opts, model: opts.model ?? '' });
    const list = await probe.request('GET', '/v1/models');
    const ids: string[] = Array.isArray(list?.data) ? list.data.map((m: Json) => String(m.id)) : [];
    let model = opts.model;
    if (model === undefined) {
      if (ids.length !== 1) throw new Error(`${probe.root} serves ${ids.length} models (${ids.join(', ')}); name one with the model option`);
      model = ids[0];
    } else if (!ids.includes(model)) {
      throw new Error(`${probe.root} does not serve the model "${model}"; it serves: ${ids.join(', ') || 'nothing'}`);
    }
    const info = await probe.tokenizerInfo(model);
    const vocabSize = opts.vocabSize ?? (typeof info?.model_vocab_size === 'number' ? info.model_vocab_size : undefined);
    return new OpenAICompatibleBackend({ ...opts, model, vocabSize });
  }

  // --- sampling -------------------------------------------------------------------------

  async sample(reqs: SampleRequest[]): Promise<Completion[]> {
    return this.mapLimit(reqs, (r, i) => this.sampleOne(r, i));
  }

  private async sampleOne(r: SampleRequest, i: number): Promise<Completion> {
    if (!Array.isArray(r.prompt) || r.prompt.length === 0) throw new Error(`sample request ${i}: prompt must be a non-empty array of token ids`);
    const body: Json = {
      model: this.opts.model,
      prompt: r.prompt,
      max_tokens: r.maxTokens,
      temperature: r.temperature ?? 1,
      top_p: r.topP ?? 1,
      logprobs: 0,
    };
    if (r.topK) body.top_k = r.topK;
    if (r.seed !== undefined) body.seed = r.seed;
    // Always explicit: a server applies its model's own stop strings to a request that names
    // none (distil serve does), and the seam's request says exactly what it wants.
    body.stop = r.stop ?? [];
    // The seam's stopTokenIds replace the eos default; vLLM's stop_token_ids add to it.
    if (r.stopTokenIds) Object.assign(body, { stop_token_ids: r.stopTokenIds, ignore_eos: true });
    const res = await this.completion(body);
    const c = res.choices?.[0];
    if (!c) throw new Error(`sample request ${i}: the server returned no choice`);
    const tokens = this.choiceTokenIds(c, `sample request ${i}`);
    const lp: unknown[] = c.logprobs?.token_logprobs ?? [];
    if (lp.length !== tokens.length) throw new Error(`sample request ${i}: the server returned ${tokens.length} tokens but ${lp.length} log-probs`);
    if (c.finish_reason !== 'stop' && c.finish_reason !== 'length') throw new Error(`sample request ${i}: unexpected finish_reason ${JSON.stringify(c.finish_reason)}`);
    return { tokens, text: String(c.text ?? ''), logprobs: Float32Array.from(lp as number[]), stopReason: c.finish_reason };
  }

  /** Generated ids: vLLM's token_ids when present, else the logprobs tokens. */
  private choiceTokenIds(c: Json, where: string): number[] {
    if (Array.isArray(c.token_ids)) return c.token_ids as number[];
    const toks: unknown[] | undefined = c.logprobs?.tokens;
    if (!Array.isArray(toks)) throw new Error(`${where}: the server returned no logprobs.tokens, so the sampled token ids are unknown`);
    return toks.map((t) => this.tokenId(t, where));
  }

  // --- scoring --------------------------------------------------------------------------

  /**
   * Requests with the same topK go out several to an HTTP request (a list of token-id
   * prompts, `scoreBatch` per call), so that the server can batch them and the HTTP and JSON
   * overhead is paid once per group.
   */
  async score(reqs: ScoreRequest[]): Promise<ScoredTokens[]> {
    const out: ScoredTokens[] = new Array(reqs.length);
    const groups = new Map<number, number[]>();
    reqs.forEach((r, i) => {
      const where = `score request ${i}`;
      if (!Array.isArray(r.prompt) || r.prompt.length === 0) throw new Error(`${where}: prompt must be a non-empty array of token ids`);
      if (!Array.isArray(r.completion)) throw new Error(`${where}: completion must be an array of token ids`);
      if (r.hidden) throw new Error(`${where}: hidden states were requested, but a remote (OpenAI-compatible) backend cannot return them; use an algorithm that does not need them (e.g. grpo instead of delta) or a local model`);
      const k = r.topK ?? 0;
      if (!Number.isInteger(k) || k < 0 || k > this.vocabSize) throw new Error(`${where}: topK must be a whole number in [0, ${this.vocabSize}], got ${r.topK}`);
      const T = r.completion.length;
      out[i] = { logprobs: new Float32Array(T), topIds: k ? new Int32Array(T * k) : undefined, topProbs: k ? new Float32Array(T * k) : undefined, k: k || undefined };
      if (T === 0) return; // nothing to ask the server
      groups.set(k, [...(groups.get(k) ?? []), i]);
    });
    const size = this.opts.scoreBatch ?? 16;
    const chunks: { k: number; idx: number[] }[] = [];
    for (const [k, idx] of groups) for (let at = 0; at < idx.length; at += size) chunks.push({ k, idx: idx.slice(at, at + size) });
    try {
      await this.mapLimit(chunks, (c) => this.scoreChunk(reqs, c.idx, c.k, out));
    } catch (e) {
      throw logprobCapError(e, Math.max(0, ...groups.keys())) ?? e;
    }
    return out;
  }

  private async scoreChunk(reqs: ScoreRequest[], idx: number[], k: number, out: ScoredTokens[]): Promise<void> {
    const seqs = idx.map((i) => [...reqs[i].prompt, ...reqs[i].completion]);
    const whereOf = (j: number) => `score request ${idx[j]}`;
    // One prompt is sent as a flat list, so that a server without batch prompts still works.
    const prompt = seqs.length === 1 ? seqs[0] : seqs;

    if (this.scoreMode !== 'echo') {
      // Captured before the await: concurrent requests may settle the mode meanwhile.
      const detecting = this.scoreMode === null;
      let res: Json | null = null;
      try {
        res = await this.promptLogprobsCall(prompt, k);
      } catch (e) {
        // Only an auto-detecting client falls back, and only when the server refused the field.
        if (!(detecting && e instanceof OpenAIServerError && e.status === 400 && (e.param === 'prompt_logprobs' || /prompt_logprobs/.test(e.message)))) throw e;
      }
      const choices = res ? this.choicesByPrompt(res, seqs.length) : null;
      if (choices && choices.every((c) => Array.isArray(c.prompt_logprobs))) {
        this.scoreMode = 'prompt_logprobs';
        choices.forEach((c, j) => this.readPromptLogprobs(c.prompt_logprobs, seqs[j], reqs[idx[j]].prompt.length, k, out[idx[j]], whereOf(j)));
        return;
      }
      if (!detecting) throw new Error(`${whereOf(0)}: the server ignored prompt_logprobs (use scoreVia 'echo' or 'auto')`);
      this.scoreMode = 'echo';
    }

    const res = await this.completion({ model: this.opts.model, prompt, max_tokens: 0, echo: true, logprobs: k, temperature: 0 });
    this.choicesByPrompt(res, seqs.length).forEach((c, j) => this.readEcho(c.logprobs, seqs[j], reqs[idx[j]].prompt.length, k, out[idx[j]], whereOf(j)));
  }

  /**
   * prompt_logprobs with max_tokens 0 (nothing sampled; distil serve), or 1 on servers that
   * refuse 0 (the one sampled token is ignored).
   */
  private async promptLogprobsCall(prompt: number[] | number[][], k: number): Promise<Json> {
    const body = { model: this.opts.model, prompt, max_tokens: this.plMaxTokens, temperature: 0, prompt_logprobs: k };
    try {
      return await this.completion(body);
    } catch (e) {
      const refusedZero = body.max_tokens === 0 && e instanceof OpenAIServerError && e.status === 400 && e.code !== 'context_length_exceeded' && (e.param === 'max_tokens' || /max_tokens/.test(e.message));
      if (!refusedZero) throw e;
      this.plMaxTokens = 1;
      return this.completion({ ...body, max_tokens: 1 });
    }
  }

  /** The first choice of each prompt, by index (n = 1, so index = prompt number). */
  private choicesByPrompt(res: Json, n: number): Json[] {
    const choices: Json[] = Array.isArray(res.choices) ? res.choices : [];
    const byIndex = new Map(choices.map((c, j) => [typeof c.index === 'number' ? c.index : j, c]));
    return Array.from({ length: n }, (_, j) => {
      const c = byIndex.get(j);
      if (!c) throw new Error(`the server returned ${choices.length} choices for ${n} prompts`);
      return c;
    });
  }

  private readPromptLogprobs(pl: unknown[], seq: number[], P: number, k: number, out: ScoredTokens, where: string): void {
    if (pl.length < seq.length) throw new Error(`${where}: the server returned prompt_logprobs for ${pl.length} of ${seq.length} prompt tokens`);
    for (let t = 0; t < seq.length - P; t++) {
      const d = pl[P + t] as Record<string, { logprob: number; rank?: number }> | null;
      const id = seq[P + t];
      const own = d?.[String(id)];
      if (!own) throw new Error(`${where}: prompt_logprobs at completion position ${t} does not list the token ${id}`);
      out.logprobs[t] = own.logprob;
      if (k) {
        const ranked = Object.entries(d!).map(([key, v]) => ({ id: Number(key), logprob: v.logprob, rank: v.rank ?? Infinity }));
        ranked.sort((a, b) => a.rank - b.rank || b.logprob - a.logprob || a.id - b.id);
        this.fillTop(out, t, k, ranked, where);
      }
    }
  }

  private readEcho(lp: Json | null | undefined, seq: number[], P: number, k: number, out: ScoredTokens, where: string): void {
    if (!lp || !Array.isArray(lp.tokens) || lp.tokens.length < seq.length) throw new Error(`${where}: the server's echo returned ${lp?.tokens?.length ?? 'no'} tokens for a prompt of ${seq.length}`);
    const echoed = (lp.tokens as unknown[]).slice(0, seq.length).map((s) => this.tokenId(s, where));
    const at = echoed.findIndex((id, j) => id !== seq[j]);
    if (at >= 0) throw new Error(`${where}: the server echoed token ${echoed[at]} at position ${at} where ${seq[at]} was sent (it re-tokenised the prompt?)`);
    for (let t = 0; t < seq.length - P; t++) {
      out.logprobs[t] = lp.token_logprobs[P + t];
      if (k) {
        const dict = (lp.top_logprobs?.[P + t] ?? {}) as Record<string, number>;
        const ranked = Object.entries(dict).map(([s, v]) => ({ id: this.tokenId(s, where), logprob: v }));
        ranked.sort((a, b) => b.logprob - a.logprob || a.id - b.id);
        this.fillTop(out, t, k, ranked, where);
      }
    }
  }

  private fillTop(out: ScoredTokens, t: number, k: number, ranked: { id: number; logprob: number }[], where: string): void {
    if (ranked.length < k) {
      throw new Error(`${where}: the server listed ${ranked.length} alternatives at completion position ${t}, fewer than the ${k} asked for (its logprobs limit, or token strings that collide)`);
    }
    for (let j = 0; j < k; j++) {
      out.topIds![t * k + j] = ranked[j].id;
      out.topProbs![t * k + j] = Math.exp(ranked[j].logprob);
    }
  }

  // --- token ids ------------------------------------------------------------------------

  /** POST /v1/completions, asking for token ids in logprobs unless the server refused that. */
  private async completion(body: Json): Promise<Json> {
    if (this.idsSupported !== false) {
      const known = this.idsSupported;
      try {
        const res = await this.request('POST', '/v1/completions', { ...body, return_tokens_as_token_ids: true });
        this.idsSupported = true;
        return res;
      } catch (e) {
        const refused = e instanceof OpenAIServerError && e.status === 400 && (e.param === 'return_tokens_as_token_ids' || /return_tokens_as_token_ids/.test(e.message));
        if (!refused || known === true) throw e;
        this.idsSupported = false;
      }
    }
    return this.request('POST', '/v1/completions', body);
  }

  /** "token_id:123" -> 123; otherwise the one id whose text (or raw vocabulary entry) is the string. */
  tokenId(s: unknown, where = 'response'): number {
    if (typeof s !== 'string') throw new Error(`${where}: expected a token string, got ${JSON.stringify(s)}`);
    const m = /^token_id:(\d+)$/.exec(s);
    if (m) {
      const id = Number(m[1]);
      if (id >= this.vocabSize) throw new Error(`${where}: the server returned token id ${id}, outside the vocabulary [0, ${this.vocabSize})`);
      return id;
    }
    const tok = this.opts.tokenizer;
    if (!this.textToId) {
      this.textToId = new Map();
      for (let id = 0; id < tok.vocabSize; id++) {
        const text = tok.decode([id]);
        const seen = this.textToId.get(text);
        this.textToId.set(text, seen === undefined ? id : [...(Array.isArray(seen) ? seen : [seen]), id]);
      }
    }
    const hit = this.textToId.get(s);
    if (typeof hit === 'number') return hit;
    const raw = tok.tokenToId(s);
    if (raw !== undefined) return raw;
    throw new Error(
      `${where}: the server returned the token ${JSON.stringify(s)}, which ` +
        (Array.isArray(hit) ? `is the text of several ids (${hit.slice(0, 8).join(', ')})` : 'is not the text of any id of the local tokenizer') +
        ', so its id is unknown; use a server that returns token ids (vLLM or distil serve: return_tokens_as_token_ids)',
    );
  }

  // --- tokenizer alignment --------------------------------------------------------------

  /** GET /v1/tokenizer (distil serve's vocabulary), or null when the server has no such endpoint. */
  async tokenizerInfo(model = this.opts.model): Promise<Json | null> {
    try {
      const info = await this.request('GET', '/v1/tokenizer');
      return info && (!model || info.model === undefined || info.model === model) ? info : null;
    } catch (e) {
      if (e instanceof OpenAIServerError && (e.status === 404 || e.status === 405)) return null;
      throw e;
    }
  }

  /**
   * Compares the server's tokenizer with `student`: the vocabulary and special ids when the
   * server lists them, and the encodings of probe texts (the student's special tokens and
   * DEFAULT_PROBES that the student can encode, unless `probes` are given).
   */
  async compareTokenizer(student: Tokenizer, opts: { probes?: string[]; limit?: number } = {}): Promise<TokenizerComparison & { vocabularyChecked: boolean; probesChecked: number }> {
    const info = await this.tokenizerInfo();
    const specials = [...student.specialIds].map((id) => student.idToToken(id)).filter((s): s is string => !!s);
    const probes = (opts.probes ?? [...DEFAULT_PROBES, ...specials, specials.join('')]).filter((p) => {
      try {
        student.encode(p);
        return p.length > 0;
      } catch {
        return false;
      }
    });
    const encoded = new Map<string, number[]>();
    for (const p of probes) {
      try {
        const r = await this.request('POST', '/tokenize', { model: this.opts.model, prompt: p });
        encoded.set(p, r.tokens);
      } catch (e) {
        if (e instanceof OpenAIServerError && e.status === 404 && !info) {
          throw new Error(`${this.root} has neither GET /v1/tokenizer nor POST /tokenize, so its tokenizer cannot be compared with the student's`);
        }
        if (!(e instanceof OpenAIServerError && e.status === 400)) throw e;
        // The server cannot encode this text: the comparison reports it as a disagreement.
      }
    }
    const tokens: (string | null)[] | undefined = Array.isArray(info?.tokens) ? info!.tokens : undefined;
    const id = (v: unknown) => (typeof v === 'number' ? v : undefined);
    const remote: Tokenizer = {
      kind: 'hf',
      vocabSize: tokens ? tokens.length : student.vocabSize,
      eosId: info ? id(info.eos_token_id)! : student.eosId,
      bosId: info ? id(info.bos_token_id) : student.bosId,
      padId: info ? id(info.pad_token_id)! : student.padId,
      specialIds: new Set(info?.special_token_ids ?? student.specialIds),
      encode: (text) => {
        const ids = encoded.get(text);
        if (!ids) throw new Error('the server could not tokenize this text');
        return ids;
      },
      decode: () => {
        throw new Error('not available remotely');
      },
      tokenBytes: () => {
        throw new Error('not available remotely');
      },
      // Without the server's vocabulary only the probes can disagree.
      idToToken: (i) => (tokens ? (tokens[i] ?? undefined) : student.idToToken(i)),
      tokenToId: () => undefined,
    };
    return { ...compareTokenizers(student, remote, { probes, limit: opts.limit }), vocabularyChecked: !!tokens, probesChecked: probes.length };
  }

  /** Throws, listing what differs, unless the server's tokenizer is the student's. */
  async checkTokenizer(student: Tokenizer, opts: { probes?: string[] } = {}): Promise<void> {
    const cmp = await this.compareTokenizer(student, { ...opts, limit: 40 });
    if (cmp.same) return;
    const lines = cmp.disagreements.slice(0, 20).map((d) => {
      switch (d.kind) {
        case 'token': return `  id ${d.id}: student ${JSON.stringify(d.a ?? null)}, server ${JSON.stringify(d.b ?? null)}`;
        case 'vocabSize': return `  vocabulary size: student ${d.a}, server ${d.b}`;
        case 'special': return `  ${d.which}: student ${d.a ?? 'none'}, server ${d.b ?? 'none'}`;
        case 'encode': return `  ${JSON.stringify(d.text)}: student ${JSON.stringify(d.a)}, server ${JSON.stringify(d.b)}`;
      }
    });
    throw new Error(
      `the teacher at ${this.root} (model ${this.opts.model}) does not share the student's tokenizer, so its token ids would name other tokens; ` +
        `use a teacher served with the student's tokenizer. ${cmp.summary}\n${lines.join('\n')}${cmp.disagreements.length > 20 ? '\n  ...' : ''}`,
    );
  }

  // --- training: refused ----------------------------------------------------------------

  async forwardBackward(): Promise<LossReport> {
    throw new Error(`forwardBackward: ${TRAIN_REFUSAL}`);
  }

  async optimStep(_o: OptimOptions): Promise<StepReport> {
    throw new Error(`optimStep: ${TRAIN_REFUSAL}`);
  }

  async snapshot(): Promise<PolicyBackend> {
    throw new Error(`snapshot: ${TRAIN_REFUSAL} (a frozen or EMA copy needs the weights)`);
  }

  async save(): Promise<void> {
    throw new Error(`save: ${TRAIN_REFUSAL} (the weights stay on the server)`);
  }

  // --- HTTP -----------------------------------------------------------------------------

  /** One JSON request with retries on connection errors, timeouts, 429 and 5xx. */
  async request(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Json> {
    const url = this.root + path;
    const retries = this.opts.maxRetries ?? 4;
    let delay = this.opts.retryDelayMs ?? 500;
    for (let attempt = 0; ; attempt++) {
      let failure: string;
      let status = 0;
      let retryAfterMs: number | undefined;
      try {
        const res = await fetch(url, {
          method,
          headers: { 'content-type': 'application/json', ...(this.opts.apiKey ? { authorization: `Bearer ${this.opts.apiKey}` } : {}) },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(this.opts.timeoutMs ?? 120_000),
        });
        const text = await res.text();
        let json: Json | undefined;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        if (res.ok) {
          if (json === undefined) throw new OpenAIServerError(`${method} ${url}: the response is not JSON: ${text.slice(0, 200)}`, res.status);
          return json;
        }
        const err = json?.error ?? {};
        const msg = typeof err.message === 'string' ? err.message : typeof json?.detail === 'string' ? json.detail : text.slice(0, 300);
        status = res.status;
        failure = `${method} ${url}: ${res.status} ${msg}`;
        if (res.status !== 429 && res.status < 500) throw new OpenAIServerError(failure, res.status, err.param ?? null, err.code ?? null);
        const ra = Number(res.headers.get('retry-after'));
        if (Number.isFinite(ra) && ra > 0) retryAfterMs = ra * 1000;
      } catch (e) {
        if (e instanceof OpenAIServerError) throw e;
        const err = e as Error & { cause?: { code?: string; message?: string } };
        failure = err.name === 'TimeoutError' ? `${method} ${url}: no response within ${this.opts.timeoutMs ?? 120_000} ms` : `${method} ${url}: ${err.cause?.code ?? err.cause?.message ?? err.message}`;
      }
      if (attempt >= retries) throw new OpenAIServerError(`${failure} (gave up after ${attempt + 1} attempts)`, status);
      await new Promise((r) => setTimeout(r, Math.min(retryAfterMs ?? delay, 30_000)));
      delay *= 2;
    }
  }

  /** fn over items with at most `concurrency` in flight, results in order. */
  private async mapLimit<T, R>(items: T[], fn: (x: T, i: number) => Promise<R>): Promise<R[]> {
    const out: R[] = new Array(items.length);
    let next = 0;
    const worker = async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i], i);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.opts.concurrency ?? 8, items.length) }, worker));
    return out;
  }
}

/** Texts whose encodings tell tokenizers apart: spaces, digits, code, punctuation, non-ASCII. */
export const DEFAULT_PROBES = [
  'The quick brown fox jumps over the lazy dog.',
  '  leading and trailing spaces  ',
  'x = 12345 + 678.9 * (a - b) / 10',
  'def f(n):\n    return n * 2\n\n\tif n > 0: pass',
  'Hello, World! "quoted" it\'s e.g. (ok) [yes] {no}',
  'naïve café — 日本語 🙂',
  'A: 42\nStep 1: 3 + 4 = 7',
];
