/**
 * What `distil serve` does for Tinker clients, without HTTP: sessions, LoRA training models
 * (each a LocalBackend over a copy of the served weights), sampling sessions, saved states
 * (kept in memory for the life of the server), and the operations themselves. Training
 * requests of one model run strictly in seq_id order (futures.ts); this file only computes.
 *
 * forward / forward_backward: a datum's model_input is the sequence minus its last token and
 * row r predicts target_tokens[r] (shape (N,) or (N, K)). Every row is a training row here:
 * the datum becomes the TrainSequence (prompt = first token, completion = the rest + the last
 * row's first target), the forward pass gives the target log-probs (LocalBackend
 * .targetLogprobs), the named loss (loss-fns.ts) turns them into dL/dl, and the backward pass
 * trains weighted target log-probs with weights -dL/dl: the same parameter gradient.
 */
import { LocalBackend } from '../../backends/local.ts';
import type { SampleRequest as DistilSample } from '../../backends/types.ts';
import { tinkerLoss } from '../../backends/tinker/loss-fns.ts';
import { tokenizerFingerprint } from '../../backends/tinker/fingerprint.ts';
import { denseOf, LOSS_FNS, type AdamParams, type Datum, type ForwardBackwardOutput, type ForwardBackwardRequest, type SampleRequest, type SampleResponse, type TensorData } from '../../backends/tinker/wire.ts';
import { attachLora, type LoraModel } from '../../nn/lora.ts';
import type { LoraTarget } from '../../nn/lora.ts';
import type { AdamWState } from '../../nn/optim.ts';
import { Transformer } from '../../nn/transformer.ts';
import { Rng } from '../../util/rng.ts';
import type { ServedModel } from '../engine.ts';
import { TinkerError } from './errors.ts';

export interface TinkerServiceOptions {
  /** LoRA scale numerator (scale = alpha / rank); the protocol carries only the rank. Default 16, as `distil train`. */
  loraAlpha?: number;
  /** Seeds sample requests that carry no seed. */
  seed?: number;
}

interface TrainingModel {
  id: string;
  session: string;
  backend: LocalBackend;
  lora: LoraModel;
  rank: number;
  /** Optimiser state loaded with a checkpoint, restored at the next optim_step (which brings the Adam settings). */
  pendingOptimizer?: AdamWState;
}

interface SavedState {
  modelId: string;
  rank: number;
  targets: readonly LoraTarget[];
  adapters: Map<string, Float32Array>;
  optimizer: AdamWState | null;
}

const ATTN: LoraTarget[] = ['q_proj', 'k_proj', 'v_proj', 'o_proj'];
const MLP: LoraTarget[] = ['gate_proj', 'up_proj', 'down_proj'];

export class TinkerService {
  readonly sessions = new Map<string, { heartbeats: number; tags: string[] }>();
  readonly models = new Map<string, TrainingModel>();
  readonly samplers = new Map<string, { backend: LocalBackend; basePath: string | null }>();
  private readonly saved = new Map<string, SavedState>();
  private readonly samplerPaths = new Map<string, LocalBackend>();
  private base: LocalBackend | null = null;
  private sessionCount = 0;
  private readonly rng: Rng;
  readonly fingerprint: string;

  constructor(
    readonly model: ServedModel,
    readonly opts: TinkerServiceOptions = {},
  ) {
    this.rng = new Rng(opts.seed ?? 0);
    this.fingerprint = tokenizerFingerprint(model.tokenizer);
  }

  /** A fresh Transformer holding the served weights. */
  private transformer(): Transformer {
    const t = new Transformer(this.model.config);
    for (const [name, data] of this.model.weights) t.load(name, data);
    return t;
  }

  /** The base weights, for sampling clients of the base model (frozen teachers). */
  private baseBackend(): LocalBackend {
    if (!this.base) {
      const t = this.transformer();
      for (const p of t.params.values()) p.requiresGrad = false;
      this.base = new LocalBackend(t, { tokenizer: this.model.tokenizer, rng: this.rng.fork(), warn: () => {} });
    }
    return this.base;
  }

  checkBaseModel(name: unknown): void {
    if (name !== this.model.name) throw new TinkerError(400, `unknown base model '${String(name)}'; this server serves '${this.model.name}'`);
  }

  createSession(tags: string[]): string {
    const id = `session-${++this.sessionCount}`;
    this.sessions.set(id, { heartbeats: 0, tags });
    return id;
  }

  session(id: unknown) {
    const s = this.sessions.get(String(id));
    if (!s) throw new TinkerError(404, `unknown session_id '${String(id)}'; call create_session first`);
    return s;
  }

  createModel(session: string, modelSeqId: number, baseModel: string, lora: { rank?: number; seed?: number | null; train_attn?: boolean; train_mlp?: boolean } | undefined): { model_id: string; type: 'create_model' } {
    this.session(session);
    this.checkBaseModel(baseModel);
    const rank = lora?.rank;
    if (!Number.isInteger(rank) || (rank as number) < 1) throw new TinkerError(400, `lora_config.rank must be a whole number >= 1, got ${String(rank)} (this server trains LoRA adapters only)`);
    const targets = [...(lora?.train_attn !== false ? ATTN : []), ...(lora?.train_mlp !== false ? MLP : [])];
    if (!targets.length) throw new TinkerError(400, 'lora_config: train_attn and train_mlp are both false; nothing would train');
    const id = `${session}:train:${modelSeqId}`;
    if (this.models.has(id)) throw new TinkerError(409, `model ${id} already exists (model_seq_id ${modelSeqId} was used)`);
    const t = this.transformer();
    const loraModel = attachLora(t, { r: rank as number, alpha: this.opts.loraAlpha ?? 16, targetModules: targets }, new Rng(lora?.seed ?? 0));
    const backend = new LocalBackend(t, { tokenizer: this.model.tokenizer, lora: loraModel, rng: this.rng.fork(), warn: () => {} });
    this.models.set(id, { id, session, backend, lora: loraModel, rank: rank as number });
    return { model_id: id, type: 'create_model' };
  }

  trainingModel(id: unknown): TrainingModel {
    const m = this.models.get(String(id));
    if (!m) throw new TinkerError(404, `unknown model_id '${String(id)}'; create_model first`);
    return m;
  }

  info(id: unknown) {
    const m = this.trainingModel(id);
    return {
      type: 'get_info', model_id: m.id, is_lora: true, lora_rank: m.rank, model_name: this.model.name,
      model_data: { arch: this.model.config.architecture, model_name: this.model.name, tokenizer_id: this.model.name, tokenizer_sha256: this.fingerprint, vocab_size: this.model.config.vocabSize },
    };
  }

  /** Checks a forward_backward request before it is queued (errors name the datum and input). */
  validate(req: ForwardBackwardRequest): void {
    const fb = req.forward_backward_input;
    if (!fb || !Array.isArray(fb.data)) throw new TinkerError(400, 'forward_backward_input.data must be a list of datums');
    if (!LOSS_FNS.includes(fb.loss_fn)) throw new TinkerError(400, `loss_fn '${fb.loss_fn}' is not supported; this server supports ${LOSS_FNS.join(', ')}`);
    fb.data.forEach((d, i) => parseDatum(d, i, this.model.config.vocabSize));
  }

  async forwardBackward(req: ForwardBackwardRequest, forwardOnly: boolean): Promise<ForwardBackwardOutput> {
    const m = this.trainingModel(req.model_id);
    const fb = req.forward_backward_input;
    const parsed = fb.data.map((d, i) => parseDatum(d, i, this.model.config.vocabSize));
    const outputs: Record<string, TensorData>[] = [];
    let total = 0;
    // Datums with the same number of targets per row share one forward and one backward pass.
    const byK = new Map<number, number[]>();
    parsed.forEach((p, i) => byK.set(p.K, [...(byK.get(p.K) ?? []), i]));
    for (const [K, idx] of byK) {
      const seqs = idx.map((i) => parsed[i].sequence);
      const ids = idx.map((i) => parsed[i].targets);
      const lps = await m.backend.targetLogprobs({ sequences: seqs }, ids, K);
      const weights: Float32Array[] = [];
      idx.forEach((i, j) => {
        const p = parsed[i];
        const res = tinkerLoss(fb.loss_fn, lps[j], p.inputs, fb.loss_fn_config ?? {});
        total += res.loss;
        weights.push(Float32Array.from(res.grad, (g) => -g));
        outputs[i] = { logprobs: { data: Array.from(lps[j]), dtype: 'float32', shape: p.shape } };
      });
      if (!forwardOnly) {
        await m.backend.forwardBackward({ sequences: seqs }, { terms: [{ kind: 'targetLogprobs', weight: 1, m: K, targetIds: ids, targetWeights: weights }] });
      }
    }
    if (!Number.isFinite(total)) throw new TinkerError(400, `the loss is not finite (${total})`);
    return { loss_fn_output_type: 'ArrayRecord', loss_fn_outputs: outputs, metrics: { 'loss:sum': total } };
  }

  async optimStep(modelId: unknown, adam: Partial<AdamParams> | undefined) {
    const m = this.trainingModel(modelId);
    const a = { learning_rate: 1e-4, beta1: 0.9, beta2: 0.95, eps: 1e-12, weight_decay: 0, grad_clip_norm: 0, ...(adam ?? {}) };
    for (const [k, v] of Object.entries(a)) if (typeof v !== 'number' || !Number.isFinite(v)) throw new TinkerError(400, `adam_params.${k} must be a finite number, got ${String(v)}`);
    const o = { lr: a.learning_rate, beta1: a.beta1, beta2: a.beta2, eps: a.eps, weightDecay: a.weight_decay, maxGradNorm: a.grad_clip_norm };
    if (m.pendingOptimizer) {
      m.backend.loadOptimizerState(m.pendingOptimizer, o);
      m.pendingOptimizer = undefined;
    }
    const st = await m.backend.optimStep(o);
    const metrics: Record<string, number> = { 'skipped:sum': st.skipped ? 1 : 0 };
    if (Number.isFinite(st.gradNorm)) metrics['grad_norm:mean'] = st.gradNorm;
    return { type: 'optim_step', metrics };
  }

  saveWeights(modelId: unknown, name: string): { path: string; type: 'save_weights' } {
    const m = this.trainingModel(modelId);
    const path = `tinker://${m.id}/weights/${name}`;
    const adapters = new Map([...m.lora.parameters()].map(([n, p]) => [n, Float32Array.from(p.data)]));
    const opt = m.pendingOptimizer ?? m.backend.optimizerState();
    this.saved.set(path, { modelId: m.id, rank: m.rank, targets: m.lora.config.targetModules, adapters, optimizer: opt ? structuredClone(opt) : null });
    return { path, type: 'save_weights' };
  }

  loadWeights(modelId: unknown, path: unknown, optimizer: boolean) {
    const m = this.trainingModel(modelId);
    const s = this.saved.get(String(path));
    if (!s) throw new TinkerError(404, `no saved state at '${String(path)}' on this server (states live as long as the server process)`);
    if (s.rank !== m.rank) throw new TinkerError(400, `the state at ${String(path)} has LoRA rank ${s.rank}, model ${m.id} has rank ${m.rank}`);
    for (const [n, p] of m.lora.parameters()) {
      const src = s.adapters.get(n);
      if (!src || src.length !== p.data.length) throw new TinkerError(400, `the state at ${String(path)} has no adapter ${n} of ${p.data.length} values`);
      p.data.set(src);
    }
    if (optimizer) {
      if (!s.optimizer) throw new TinkerError(400, `the state at ${String(path)} was saved before any optim_step; it has no optimizer state`);
      m.pendingOptimizer = structuredClone(s.optimizer);
    }
    return { type: 'load_weights', path: String(path), model_id: m.id };
  }

  async saveForSampler(modelId: unknown, name: string | undefined, samplingSeq: number | undefined) {
    const m = this.trainingModel(modelId);
    const snap = await m.backend.snapshot('frozen');
    const out: { type: 'save_weights_for_sampler'; path?: string; sampling_session_id?: string } = { type: 'save_weights_for_sampler' };
    if (name !== undefined) {
      out.path = `tinker://${m.id}/sampler_weights/${name}`;
      this.samplerPaths.set(out.path, snap);
    }
    if (samplingSeq !== undefined) {
      out.sampling_session_id = `${m.session}:sample:${samplingSeq}`;
      this.samplers.set(out.sampling_session_id, { backend: snap, basePath: out.path ?? null });
    }
    if (!out.path && !out.sampling_session_id) throw new TinkerError(400, 'save_weights_for_sampler needs a path or a sampling_session_seq_id');
    return out;
  }

  createSamplingSession(session: unknown, seq: unknown, baseModel: unknown, modelPath: unknown): { type: 'create_sampling_session'; sampling_session_id: string } {
    this.session(session);
    const backend = this.samplerFor(baseModel, modelPath);
    const id = `${String(session)}:sample:${Number(seq)}`;
    this.samplers.set(id, { backend, basePath: modelPath ? String(modelPath) : null });
    return { type: 'create_sampling_session', sampling_session_id: id };
  }

  private samplerFor(baseModel: unknown, modelPath: unknown): LocalBackend {
    if (modelPath) {
      const b = this.samplerPaths.get(String(modelPath));
      if (!b) throw new TinkerError(404, `no sampler weights at '${String(modelPath)}' on this server`);
      return b;
    }
    this.checkBaseModel(baseModel);
    return this.baseBackend();
  }

  samplerOf(req: SampleRequest): LocalBackend {
    if (req.sampling_session_id) {
      const s = this.samplers.get(req.sampling_session_id);
      if (!s) throw new TinkerError(404, `unknown sampling_session_id '${req.sampling_session_id}'`);
      return s.backend;
    }
    return this.samplerFor(req.base_model, req.model_path);
  }

  /** Checks a sample request before it is queued. */
  validateSample(req: SampleRequest): { prompt: number[]; n: number } {
    const prompt = (req.prompt?.chunks ?? []).flatMap((c) => c.tokens ?? []);
    if (!prompt.length) throw new TinkerError(400, 'prompt must hold at least one encoded_text token');
    checkIds('prompt', prompt, this.model.config.vocabSize);
    const n = req.num_samples ?? 1;
    if (!Number.isInteger(n) || n < 1) throw new TinkerError(400, `num_samples must be a whole number >= 1, got ${n}`);
    const k = req.topk_prompt_logprobs ?? 0;
    if (!Number.isInteger(k) || k < 0 || k > this.model.config.vocabSize) throw new TinkerError(400, `topk_prompt_logprobs must be a whole number in 0..${this.model.config.vocabSize}, got ${k}`);
    const mt = req.sampling_params?.max_tokens;
    if (mt !== undefined && mt !== null && (!Number.isInteger(mt) || mt < 1)) throw new TinkerError(400, `sampling_params.max_tokens must be a whole number >= 1, got ${mt}`);
    if (prompt.length + (mt ?? 1) > this.model.config.maxPositions) throw new TinkerError(400, `prompt (${prompt.length} tokens) + max_tokens exceeds the model's context of ${this.model.config.maxPositions}`);
    return { prompt, n };
  }

  /**
   * num_samples draws of the same prompt; draw i uses seed + i (a request without a seed draws
   * from the server's generator). Prompt log-probs come from a teacher-forced pass.
   */
  async sample(req: SampleRequest): Promise<SampleResponse> {
    const { prompt, n } = this.validateSample(req);
    const backend = this.samplerOf(req);
    const sp = req.sampling_params ?? {};
    const stop = sp.stop;
    const base: Omit<DistilSample, 'seed'> = {
      prompt,
      maxTokens: sp.max_tokens ?? Math.max(1, this.model.config.maxPositions - prompt.length),
      temperature: sp.temperature ?? 1,
      topP: sp.top_p ?? 1,
      topK: sp.top_k === undefined || sp.top_k < 0 ? 0 : sp.top_k,
      ...(Array.isArray(stop) && stop.length && typeof stop[0] === 'string' ? { stop: stop as string[] } : {}),
      ...(Array.isArray(stop) && stop.length && typeof stop[0] === 'number' ? { stopTokenIds: stop as number[] } : {}),
      ...(typeof stop === 'string' ? { stop: [stop] } : {}),
    };
    const reqs: DistilSample[] = Array.from({ length: n }, (_, i) => (sp.seed === undefined || sp.seed === null ? { ...base } : { ...base, seed: sp.seed + i }));
    const done = await backend.sample(reqs);
    const out: SampleResponse = { sequences: done.map((c) => ({ stop_reason: c.stopReason, tokens: c.tokens, logprobs: Array.from(c.logprobs) })) };
    const k = req.topk_prompt_logprobs ?? 0;
    if (req.prompt_logprobs || k > 0) {
      const [scored] = await backend.score([{ prompt: prompt.slice(0, 1), completion: prompt.slice(1), topK: k || undefined }]);
      if (req.prompt_logprobs) out.prompt_logprobs = [null, ...Array.from(scored.logprobs)];
      if (k > 0) {
        const rows: ([number, number][] | null)[] = [null];
        for (let t = 0; t < prompt.length - 1; t++) {
          const row: [number, number][] = [];
          for (let j = 0; j < k; j++) row.push([scored.topIds![t * k + j], Math.log(scored.topProbs![t * k + j])]);
          rows.push(row);
        }
        out.topk_prompt_logprobs = rows;
      }
    }
    return out;
  }

  savedStateInfo(path: unknown) {
    const s = this.saved.get(String(path));
    if (!s) throw new TinkerError(404, `no saved state at '${String(path)}' on this server`);
    return { base_model: this.model.name, is_lora: true, lora_rank: s.rank, model_id: s.modelId };
  }
}

function checkIds(name: string, ids: ArrayLike<number>, V: number): void {
  for (let i = 0; i < ids.length; i++) {
    if (!Number.isInteger(ids[i]) || ids[i] < 0 || ids[i] >= V) throw new TinkerError(400, `${name}[${i}] = ${ids[i]} is not a token id of this model (0..${V - 1})`);
  }
}

/** A datum as a training sequence with (N, K) targets and the loss inputs, checked. */
function parseDatum(d: Datum, i: number, V: number) {
  const where = `datum ${i}`;
  const tokens = (d?.model_input?.chunks ?? []).flatMap((c) => {
    if (c.type !== undefined && c.type !== 'encoded_text') throw new TinkerError(400, `${where}: model_input chunk type '${c.type}' is not supported (encoded_text only)`);
    return c.tokens ?? [];
  });
  const N = tokens.length;
  if (!N) throw new TinkerError(400, `${where}: model_input is empty`);
  checkIds(`${where}.model_input`, tokens, V);
  const inputs = d.loss_fn_inputs ?? {};
  const tt = inputs.target_tokens;
  if (!tt) throw new TinkerError(400, `${where}: loss_fn_inputs.target_tokens is required`);
  const shape = tt.shape ?? [tt.data.length];
  if (shape[0] !== N || shape.length > 2) throw new TinkerError(400, `${where}: target_tokens has shape [${shape.join(', ')}], expected [${N}] or [${N}, K] (one row per model_input token)`);
  const K = shape.length === 2 ? shape[1] : 1;
  if (K < 1) throw new TinkerError(400, `${where}: target_tokens has no columns`);
  const targets = Int32Array.from(denseTensor(tt, `${where}.target_tokens`));
  checkIds(`${where}.target_tokens`, targets, V);
  const values: Record<string, Float64Array> = {};
  for (const [name, t] of Object.entries(inputs)) {
    if (name === 'target_tokens') continue;
    const dense = denseTensor(t, `${where}.${name}`);
    if (dense.length !== targets.length) throw new TinkerError(400, `${where}: ${name} has ${dense.length} values, target_tokens has ${targets.length}`);
    for (let j = 0; j < dense.length; j++) if (!Number.isFinite(dense[j])) throw new TinkerError(400, `${where}: ${name}[${j}] = ${dense[j]} is not finite`);
    values[name] = dense;
  }
  const sequence = { prompt: tokens.slice(0, 1), completion: [...tokens.slice(1), targets[(N - 1) * K]] };
  return { sequence, targets, K, shape, inputs: { weights: values.weights, logprobs: values.logprobs, advantages: values.advantages } };
}

function denseTensor(t: TensorData, where: string): Float64Array {
  try {
    return denseOf(t);
  } catch (e) {
    throw new TinkerError(400, `${where}: ${(e as Error).message}`);
  }
}
