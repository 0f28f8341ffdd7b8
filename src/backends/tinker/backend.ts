/**
 * PolicyBackend over the Tinker protocol (the hosted service, a SkyRL server, `distil serve`):
 * a session with heartbeats, one LoRA training model, and sampling sessions for the current
 * weights (refreshed after each optimiser step) or for fixed weights (teachers).
 *
 * - forwardBackward: a LossSpec of crossEntropy terms only is one cross_entropy pass with
 *   (N,) targets; anything else is the exact two-pass path of two-pass.ts (forward_only over
 *   the planned columns, distil's loss on those log-probs, cross_entropy with weights -dL/dl).
 *   The reported loss is distil's. A non-finite loss sends no backward pass and the next
 *   optimStep is skipped, as LocalBackend does.
 * - score: the sampler's prompt log-probs and top-k prompt log-probs over prompt + completion.
 * - sample: one asample per request (num_samples 1, its seed), text decoded locally.
 * Datum layout: model_input = (prompt ++ completion) minus the last token; completion token t
 * is predicted at row P - 1 + t; earlier rows carry weight 0.
 */
import type { Tokenizer } from '../../models/tokenizer.ts';
import type {
  Completion, LossReport, LossSpec, OptimOptions, PolicyBackend, SampleRequest, ScoreRequest, ScoredTokens, StepReport, TrainBatch, TrainSequence,
} from '../types.ts';
import { termRowWeights } from '../../losses/terms.ts';
import { tokenizerFingerprint } from './fingerprint.ts';
import { TinkerHttp, type TinkerHttpOptions, type WireStats } from './http.ts';
import { encodeForwardBackwardRequest } from './proto.ts';
import { checkRemoteSpec, planColumns, twoPassLoss } from './two-pass.ts';
import { tensorOf, type Datum, type ForwardBackwardOutput, type ForwardBackwardRequest, type SampleResponse } from './wire.ts';

export const SDK_VERSION = 'distil-tinker-client/0.25-compatible';

export interface TinkerConnectOptions {
  baseUrl: string;
  /** Default: the TINKER_API_KEY environment variable. */
  apiKey?: string;
  baseModel: string;
  tokenizer: Tokenizer;
  loraRank: number;
  /** LoRA initialisation seed. */
  seed?: number;
  trainAttn?: boolean;
  trainMlp?: boolean;
  /** A saved state (tinker:// path from save()) to load, with its optimiser state (resume). */
  resumeFrom?: string;
  /** Heartbeat period in ms (default 10 s, as the official SDK). */
  heartbeatMs?: number;
  http?: Partial<TinkerHttpOptions>;
  log?: (msg: string) => void;
}

/** The session shared by a training model and the samplers made from it. */
class Session {
  nextModelSeq = 1;
  nextSamplerSeq = 1;
  private timer: NodeJS.Timeout | null = null;
  heartbeats = 0;
  constructor(
    readonly http: TinkerHttp,
    readonly id: string,
    heartbeatMs: number,
    log: (m: string) => void,
  ) {
    this.timer = setInterval(() => {
      this.http.json('POST', '/api/v1/session_heartbeat', { session_id: this.id, type: 'session_heartbeat' }).then(
        () => this.heartbeats++,
        (e) => log(`tinker: heartbeat failed (${(e as Error).message})`),
      );
    }, heartbeatMs);
    this.timer.unref();
  }
  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

/** Sampling and scoring through one sampling session (fixed weights: teachers, the reference). */
export class TinkerSampler implements PolicyBackend {
  protected sampleSeq = 1;
  constructor(
    protected readonly session: Session,
    public samplingSessionId: string,
    readonly tokenizer: Tokenizer,
    readonly vocabSize: number,
    readonly label: string,
    /** The saved sampler weights behind this session (frozen snapshots), if any. */
    public samplerPath: string | null = null,
  ) {}

  get stats(): WireStats {
    return this.session.http.stats;
  }

  wireStats(): Record<string, number> {
    return { ...this.session.http.stats };
  }

  /** A frozen snapshot in a checkpoint is the tinker:// path of its weights (they stay on the service). */
  async saveSnapshot(dir: string): Promise<void> {
    if (!this.samplerPath) throw new Error(`tinker: ${this.label} has no saved weights to record`);
    const { mkdirSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { writeJsonAtomic } = await import('../../util/atomic.ts');
    mkdirSync(dir, { recursive: true });
    writeJsonAtomic(join(dir, REMOTE_STATE_FILE), { kind: 'tinker-sampler', sampler_path: this.samplerPath });
  }

  /** Points this client at the sampler weights a checkpoint recorded (a new sampling session). */
  async loadSnapshot(dir: string): Promise<void> {
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const rec = JSON.parse(readFileSync(join(dir, REMOTE_STATE_FILE), 'utf8')) as { sampler_path?: string };
    if (!rec.sampler_path) throw new Error(`tinker: ${join(dir, REMOTE_STATE_FILE)} names no sampler_path`);
    const r = await this.session.http.json<{ sampling_session_id: string }>('POST', '/api/v1/create_sampling_session', { session_id: this.session.id, sampling_session_seq_id: this.session.nextSamplerSeq++, model_path: rec.sampler_path, type: 'create_sampling_session' });
    this.samplingSessionId = r.sampling_session_id;
    this.samplerPath = rec.sampler_path;
    this.sampleSeq = 1;
  }

  close(): void {
    this.session.close();
  }

  protected async samplerId(): Promise<string> {
    return this.samplingSessionId;
  }

  async sample(reqs: SampleRequest[]): Promise<Completion[]> {
    const id = await this.samplerId();
    return mapLimit(reqs, 64, async (r) => {
      const stop = r.stop?.length ? r.stop : r.stopTokenIds;
      const res = await this.session.http.result<SampleResponse>('/api/v1/asample', {
        num_samples: 1, prompt: modelInput(r.prompt), sampling_session_id: id, seq_id: this.sampleSeq++, topk_prompt_logprobs: 0, type: 'sample',
        sampling_params: { max_tokens: r.maxTokens, seed: r.seed, temperature: r.temperature ?? 1, top_k: r.topK ? r.topK : -1, top_p: r.topP ?? 1, ...(stop?.length ? { stop } : {}) },
      }, 'sample');
      const s = res.sequences[0];
      if (!s) throw new Error(`tinker: asample returned no sequence (${this.label})`);
      // The sampler's confidence (log of the top next-token probability at T = 1, which token
      // selection reads) is not in a Tinker sample: one teacher-forced top-1 pass gives it.
      let maxLogprobs: Float32Array | undefined;
      if (s.tokens.length) {
        const [top] = await this.score([{ prompt: r.prompt, completion: s.tokens, topK: 1 }]);
        maxLogprobs = Float32Array.from(top.topProbs!, (p) => Math.log(p));
      }
      return { tokens: s.tokens, logprobs: Float32Array.from(s.logprobs ?? []), maxLogprobs, stopReason: s.stop_reason, text: this.textOf(s.tokens, r) };
    });
  }

  /** The completion's text as the local sampler makes it: stop ids and ids past the tokenizer dropped, cut before the first stop string. */
  private textOf(tokens: number[], r: SampleRequest): string {
    const stopIds = new Set(r.stopTokenIds ?? [this.tokenizer.eosId]);
    let text = this.tokenizer.decode(tokens.filter((id) => !stopIds.has(id) && id < this.tokenizer.vocabSize));
    for (const s of r.stop ?? []) {
      const at = s ? text.indexOf(s) : -1;
      if (at >= 0) {
        text = text.slice(0, at);
        break;
      }
    }
    return text;
  }

  async score(reqs: ScoreRequest[]): Promise<ScoredTokens[]> {
    reqs.forEach((r, i) => {
      if (r.hidden) throw new Error(`score request ${i}: hidden states were requested, but a remote (Tinker) backend cannot return them; use an algorithm that does not need them (e.g. grpo instead of delta) or a local model`);
    });
    const id = await this.samplerId();
    return mapLimit(reqs, 64, async (r) => {
      const k = r.topK ?? 0;
      const full = [...r.prompt, ...r.completion];
      const res = await this.session.http.result<SampleResponse>('/api/v1/asample', {
        num_samples: 1, prompt: modelInput(full), sampling_session_id: id, seq_id: this.sampleSeq++, type: 'sample',
        sampling_params: { max_tokens: 1, temperature: 1, top_k: -1, top_p: 1, seed: 0 }, prompt_logprobs: true, topk_prompt_logprobs: k,
      }, 'sample');
      const P = r.prompt.length, T = r.completion.length;
      const lp = res.prompt_logprobs ?? [];
      if (lp.length !== full.length) throw new Error(`tinker: ${this.label} returned ${lp.length} prompt log-probs for ${full.length} tokens`);
      const out: ScoredTokens = { logprobs: Float32Array.from({ length: T }, (_, t) => lp[P + t] as number) };
      if (k > 0) {
        const rows = res.topk_prompt_logprobs ?? [];
        out.k = k;
        out.topIds = new Int32Array(T * k);
        out.topProbs = new Float32Array(T * k);
        for (let t = 0; t < T; t++) {
          const pairs = (rows[P + t] ?? []).filter(([tid]) => tid >= 0 && tid < this.vocabSize).slice(0, k);
          const used = new Set(pairs.map(([tid]) => tid));
          for (let j = 0, filler = 0; j < k; j++) {
            if (j < pairs.length) {
              out.topIds[t * k + j] = pairs[j][0];
              out.topProbs[t * k + j] = Math.exp(pairs[j][1]);
            } else {
              while (used.has(filler)) filler++; // a missing entry: a distinct id with probability 0
              used.add(filler);
              out.topIds[t * k + j] = filler;
            }
          }
        }
      }
      return out;
    });
  }

  async forwardBackward(_batch: TrainBatch, _spec: LossSpec): Promise<LossReport> {
    throw new Error(`tinker: ${this.label} is a sampling client; it cannot train`);
  }

  async optimStep(_o: OptimOptions): Promise<StepReport> {
    throw new Error(`tinker: ${this.label} is a sampling client; it cannot train`);
  }

  async snapshot(kind: 'frozen' | 'ema'): Promise<PolicyBackend> {
    if (kind === 'ema') throw new Error('tinker: an EMA teacher needs weight arithmetic, which a Tinker service does not offer; use teacher frozen or live');
    return this;
  }

  async save(_dir: string): Promise<void> {
    throw new Error(`tinker: ${this.label} has no weights of its own to save`);
  }
}

export class TinkerBackend extends TinkerSampler {
  private seq = 1;
  private currentSampler: string | null = null;
  private poisoned: string | null = null;
  private snapshots = 0;
  private maxDatums = 1024;

  private constructor(
    session: Session,
    readonly modelId: string,
    tokenizer: Tokenizer,
    vocabSize: number,
    readonly baseModel: string,
    readonly loraRank: number,
    private readonly log: (m: string) => void,
  ) {
    super(session, '', tokenizer, vocabSize, `model ${modelId}`);
  }

  /** Connects: client config, session, LoRA model (and a saved state on resume), checks the tokenizer. */
  static async connect(o: TinkerConnectOptions): Promise<TinkerBackend> {
    const log = o.log ?? ((m: string) => process.stderr.write(m + '\n'));
    const apiKey = o.apiKey ?? process.env.TINKER_API_KEY;
    const http = new TinkerHttp({ baseUrl: o.baseUrl, apiKey, onRetry: log, ...o.http });
    if (!Number.isInteger(o.loraRank) || o.loraRank < 1) throw new Error(`tinker: a Tinker service trains LoRA adapters; set loraRank to a whole number >= 1 (got ${o.loraRank})`);
    const config = await http.json<{ fwdbwd_max_chunk_len?: number; pjwt_auth_enabled?: boolean }>('POST', '/api/v1/client/config', { sdk_version: SDK_VERSION });
    const caps = await http.json<{ supported_models?: { model_name: string }[] }>('GET', '/api/v1/get_server_capabilities');
    const names = (caps.supported_models ?? []).map((m) => m.model_name);
    if (names.length && !names.includes(o.baseModel)) throw new Error(`tinker: the server does not offer base model '${o.baseModel}'; it offers: ${names.join(', ')}`);
    const { session_id } = await http.json<{ session_id: string }>('POST', '/api/v1/create_session', { tags: ['distil'], sdk_version: SDK_VERSION, type: 'create_session' });
    const session = new Session(http, session_id, o.heartbeatMs ?? 10_000, log);
    try {
      const created = await http.result<{ model_id: string }>('/api/v1/create_model', {
        session_id, model_seq_id: session.nextModelSeq++, base_model: o.baseModel, type: 'create_model',
        lora_config: { rank: o.loraRank, ...(o.seed === undefined ? {} : { seed: o.seed }), train_unembed: false, train_mlp: o.trainMlp ?? true, train_attn: o.trainAttn ?? true },
      });
      const info = await http.json<{ model_data?: { tokenizer_sha256?: string; tokenizer_id?: string; vocab_size?: number } }>('POST', '/api/v1/get_info', { model_id: created.model_id, type: 'get_info' });
      const md = info.model_data ?? {};
      if (md.tokenizer_sha256 && md.tokenizer_sha256 !== tokenizerFingerprint(o.tokenizer)) {
        throw new Error(`tinker: the server's model '${o.baseModel}' uses a different tokenizer than the local model folder (fingerprints differ); point the run's model at a folder with the same tokenizer as the served model`);
      }
      if (!md.tokenizer_sha256) log(`tinker: the server names tokenizer '${md.tokenizer_id ?? '?'}' but cannot prove it equals the local one; make sure the local model folder holds exactly that tokenizer`);
      const vocab = Math.max(md.vocab_size ?? 0, o.tokenizer.vocabSize);
      const be = new TinkerBackend(session, created.model_id, o.tokenizer, vocab, o.baseModel, o.loraRank, log);
      be.maxDatums = config.fwdbwd_max_chunk_len ?? 1024;
      if (o.resumeFrom) await http.result('/api/v1/load_weights', { model_id: created.model_id, seq_id: be.seq++, path: o.resumeFrom, optimizer: true, type: 'load_weights' });
      return be;
    } catch (e) {
      session.close();
      throw e;
    }
  }

  get heartbeats(): number {
    return this.session.heartbeats;
  }

  /** A sampling session of the current weights (a new one after each optimiser step). */
  protected override async samplerId(): Promise<string> {
    if (!this.currentSampler) {
      const r = await this.session.http.result<{ sampling_session_id?: string }>('/api/v1/save_weights_for_sampler', {
        model_id: this.modelId, seq_id: this.seq++, sampling_session_seq_id: this.session.nextSamplerSeq++, type: 'save_weights_for_sampler',
      });
      if (!r.sampling_session_id) throw new Error('tinker: save_weights_for_sampler returned no sampling_session_id');
      this.currentSampler = r.sampling_session_id;
      this.sampleSeq = 1;
    }
    return this.currentSampler;
  }

  override async forwardBackward(batch: TrainBatch, spec: LossSpec): Promise<LossReport> {
    const seqs = batch.sequences;
    seqs.forEach((s, i) => {
      if (!s.prompt.length) throw new Error(`forwardBackward: sequence ${i} has an empty prompt (the first completion token needs a context)`);
    });
    const tokens = seqs.reduce((a, s) => a + s.completion.length, 0);
    if (spec.terms.length && spec.terms.every((t) => t.kind === 'crossEntropy')) return this.singlePassCrossEntropy(batch, spec, tokens);
    checkRemoteSpec(spec, this.vocabSize);
    const plan = planColumns(batch, spec);
    const zeros = seqs.map((s) => new Float32Array(s.completion.length * plan.m));
    const fwd = await this.crossEntropy(seqs, plan.ids, zeros, plan.m, true);
    const lp = seqs.map((s, i) => completionRows(fwd[i], s, plan.m));
    const r = twoPassLoss(batch, spec, plan, lp, this.vocabSize);
    const metrics: Record<string, number> = { ...r.metrics };
    if (r.tailClamps) metrics['remote/tail_clamps'] = r.tailClamps;
    if (!Number.isFinite(r.loss) || r.weights.some((w) => !w.every(Number.isFinite))) {
      this.poisoned = `non-finite loss (${r.loss})`;
      return { loss: r.loss, metrics, tokens };
    }
    await this.crossEntropy(seqs, plan.ids, r.weights, plan.m, false);
    return { loss: r.loss, metrics, tokens };
  }

  private async singlePassCrossEntropy(batch: TrainBatch, spec: LossSpec, tokens: number): Promise<LossReport> {
    const seqs = batch.sequences;
    const lengths = seqs.map((s) => s.completion.length);
    const w = new Float32Array(tokens);
    const metrics: Record<string, number> = {};
    spec.terms.forEach((t) => {
      const tw = termRowWeights(t, lengths);
      for (let i = 0; i < tokens; i++) w[i] += tw[i];
    });
    let o = 0;
    const weights = seqs.map((s) => w.slice(o, (o += s.completion.length)));
    const ids = seqs.map((s) => Int32Array.from(s.completion));
    const out = await this.crossEntropy(seqs, ids, weights, 1, false);
    let loss = 0;
    spec.terms.forEach((t, j) => {
      const tw = termRowWeights(t, lengths);
      let l = 0, r = 0;
      seqs.forEach((s, i) => completionRows(out[i], s, 1).forEach((lp) => (l -= tw[r++] * lp)));
      metrics[`loss/${j}:crossEntropy`] = l;
      loss += l;
    });
    return { loss, metrics, tokens };
  }

  /**
   * One cross_entropy forward(_backward) over the batch: (N, m) targets and weights per datum,
   * completion rows filled from `ids`/`weights` ([T * m] per sequence; -1 ids become the
   * sampled token with weight 0). Returns each datum's logprobs ([N * m]).
   */
  private async crossEntropy(seqs: TrainSequence[], ids: Int32Array[], weights: Float32Array[], m: number, forwardOnly: boolean): Promise<Float32Array[]> {
    const data: Datum[] = seqs.map((s, i) => {
      const full = [...s.prompt, ...s.completion];
      const N = full.length - 1;
      const tt = new Float64Array(N * m), ww = new Float64Array(N * m);
      for (let t = 0; t < s.completion.length; t++) {
        const row = s.prompt.length - 1 + t;
        for (let c = 0; c < m; c++) {
          const id = ids[i][t * m + c];
          tt[row * m + c] = id < 0 ? s.completion[t] : id;
          ww[row * m + c] = id < 0 ? 0 : weights[i][t * m + c];
        }
      }
      const shape = m === 1 ? [N] : [N, m];
      return {
        model_input: modelInput(full.slice(0, -1)),
        loss_fn_inputs: { target_tokens: tensorOf(tt, 'int64', shape, true), weights: tensorOf(ww, 'float32', shape, true) },
      };
    });
    const out: Float32Array[] = [];
    for (let start = 0; start < data.length; start += this.maxDatums) {
      const chunk = data.slice(start, start + this.maxDatums);
      const req: ForwardBackwardRequest = { model_id: this.modelId, seq_id: this.seq++, forward_backward_input: { data: chunk, loss_fn: 'cross_entropy' }, forward_only: forwardOnly };
      const res = await this.session.http.result<ForwardBackwardOutput>('/api/v1/forward_backward', encodeForwardBackwardRequest(req), 'forward_backward');
      if (res.loss_fn_outputs.length !== chunk.length) throw new Error(`tinker: forward_backward returned ${res.loss_fn_outputs.length} outputs for ${chunk.length} datums`);
      for (const o of res.loss_fn_outputs) out.push(Float32Array.from(o.logprobs.data));
    }
    return out;
  }

  override async optimStep(o: OptimOptions): Promise<StepReport> {
    if (!(o.lr >= 0) || !Number.isFinite(o.lr)) throw new Error(`optimStep: lr must be a finite number >= 0, got ${o.lr}`);
    if (this.poisoned) {
      this.log(`[distil] step skipped: ${this.poisoned}; the weights are unchanged`);
      this.poisoned = null;
      return { gradNorm: NaN, skipped: true, lr: o.lr };
    }
    const r = await this.session.http.result<{ metrics?: Record<string, number> }>('/api/v1/optim_step', {
      model_id: this.modelId, seq_id: this.seq++, type: 'optim_step',
      adam_params: { learning_rate: o.lr, beta1: o.beta1 ?? 0.9, beta2: o.beta2 ?? 0.999, eps: o.eps ?? 1e-8, weight_decay: o.weightDecay ?? 0, grad_clip_norm: o.maxGradNorm ?? 0 },
    });
    this.currentSampler = null;
    const m = r.metrics ?? {};
    return { gradNorm: m['grad_norm:mean'] ?? NaN, skipped: (m['skipped:sum'] ?? 0) > 0, lr: o.lr };
  }

  /** frozen: a sampling session on a saved copy of the current weights. EMA is refused. */
  override async snapshot(kind: 'frozen' | 'ema'): Promise<PolicyBackend> {
    if (kind === 'ema') throw new Error('tinker: an EMA teacher needs weight arithmetic, which a Tinker service does not offer; use teacher frozen or live');
    const name = `frozen-${++this.snapshots}`;
    const saved = await this.session.http.result<{ path?: string }>('/api/v1/save_weights_for_sampler', { model_id: this.modelId, seq_id: this.seq++, path: name, type: 'save_weights_for_sampler' });
    if (!saved.path) throw new Error('tinker: save_weights_for_sampler returned no path');
    return this.samplerOfPath(saved.path, `frozen copy ${saved.path}`);
  }

  /** A sampling client of saved sampler weights (a tinker:// path). */
  async samplerOfPath(path: string, label = path): Promise<TinkerSampler> {
    const r = await this.session.http.json<{ sampling_session_id: string }>('POST', '/api/v1/create_sampling_session', { session_id: this.session.id, sampling_session_seq_id: this.session.nextSamplerSeq++, model_path: path, type: 'create_sampling_session' });
    return new TinkerSampler(this.session, r.sampling_session_id, this.tokenizer, this.vocabSize, label, path);
  }

  async baseModelSampler(name: string): Promise<PolicyBackend> {
    return this.samplerOfBase(name);
  }

  /** A sampling client of a base model of the same service (frozen teacher of a fresh run, external teacher). */
  async samplerOfBase(baseModel: string): Promise<TinkerSampler> {
    const r = await this.session.http.json<{ sampling_session_id: string }>('POST', '/api/v1/create_sampling_session', { session_id: this.session.id, sampling_session_seq_id: this.session.nextSamplerSeq++, base_model: baseModel, type: 'create_sampling_session' });
    return new TinkerSampler(this.session, r.sampling_session_id, this.tokenizer, this.vocabSize, `base model ${baseModel}`);
  }

  /** Saves the weights and optimiser state on the service; returns its tinker:// path. */
  async saveState(name: string): Promise<string> {
    const r = await this.session.http.result<{ path: string }>('/api/v1/save_weights', { model_id: this.modelId, path: name, seq_id: this.seq++, overwrite: false, type: 'save_weights' });
    return r.path;
  }

  /** Writes `remote.json` (the state's tinker:// path, never the key) into dir. */
  override async save(dir: string): Promise<void> {
    const { mkdirSync } = await import('node:fs');
    const { join, basename } = await import('node:path');
    const { writeJsonAtomic } = await import('../../util/atomic.ts');
    const path = await this.saveState(basename(dir));
    mkdirSync(dir, { recursive: true });
    writeJsonAtomic(join(dir, REMOTE_STATE_FILE), { kind: 'tinker', base_model: this.baseModel, model_id: this.modelId, lora_rank: this.loraRank, state_path: path });
  }
}

export const REMOTE_STATE_FILE = 'remote.json';

function modelInput(tokens: number[]) {
  return { chunks: [{ type: 'encoded_text' as const, tokens }] };
}

/** The completion rows ([T * m]) of a datum's [N * m] output. */
function completionRows(out: Float32Array, s: TrainSequence, m: number): Float32Array {
  const N = s.prompt.length + s.completion.length - 1;
  if (out.length !== N * m) throw new Error(`tinker: forward_backward returned ${out.length} log-probs for a datum of ${N} rows x ${m}`);
  return out.slice((s.prompt.length - 1) * m, N * m);
}

async function mapLimit<T, R>(xs: T[], limit: number, f: (x: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(xs.length);
  let next = 0;
  const worker = async () => {
    while (next < xs.length) {
      const i = next++;
      out[i] = await f(xs[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, xs.length) }, worker));
  return out;
}
