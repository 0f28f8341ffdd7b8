/**
 * PolicyBackend for a model held in this process: sampling and scoring run on the inference
 * decoder (KV cache, no tape) over the very buffers the optimiser updates, and
 * forwardBackward runs the autograd transformer, evaluates the LossSpec's terms with the pure
 * functions of src/losses on the completion rows of the logits, and back-propagates their
 * gradient. A non-finite loss or gradient poisons the step: optimStep then skips it, so it
 * never reaches the weights.
 */
import { kernels } from '../engine/kernels/index.ts';
import { Decoder } from '../inference/decoder.ts';
import { sample } from '../inference/sampler.ts';
import { score } from '../inference/scorer.ts';
import { lossSpecLoss, termRowWeights } from '../losses/terms.ts';
import { flattenPerToken } from '../losses/aggregation.ts';
import { futureCredit } from '../losses/future-credit.ts';
import { rowCrossEntropies } from '../losses/soft-cross-entropy.ts';
import { logprobsAt } from '../losses/target-logprobs.ts';
import { noGrad, tidy } from '../engine/tensor.ts';
import type { Tokenizer } from '../models/tokenizer.ts';
import { saveModelFolder } from '../models/folder.ts';
import { loadWeights, saveWeights } from '../models/checkpoint.ts';
import type { GenerationDefaults } from '../models/generation-config.ts';
import { weightsOfTransformer } from '../models/transformer-io.ts';
import { AdamW, type AdamWState } from '../nn/optim.ts';
import { clipGradNorm } from '../nn/params.ts';
import { Transformer } from '../nn/transformer.ts';
import type { LoraModel } from '../nn/lora.ts';
import { savePeftAdapter } from '../models/peft.ts';
import type { Tensor } from '../engine/tensor.ts';
import { join } from 'node:path';
import { Rng } from '../util/rng.ts';
import type {
  Completion, LossReport, LossSpec, LossTerm, OptimOptions, PolicyBackend, SampleRequest,
  ScoreRequest, ScoredTokens, StepReport, TrainBatch, TrainSequence,
} from './types.ts';

export interface LocalBackendOptions {
  tokenizer: Tokenizer;
  /** Draws for sample requests that carry no seed. */
  rng?: Rng;
  /** Padded tokens per forward/backward pass; larger batches are split (default 8192). */
  maxTokensPerPass?: number;
  /** Called with a message when a step is skipped (default: console.warn). */
  warn?: (msg: string) => void;
  /** LoRA adapters attached to `model`: only they train; sampling runs on merged weights. */
  lora?: LoraModel;
  /** generation_config.json of saved folders (eos ids, stop strings): the starting model's, so checkpoints keep them. */
  generation?: GenerationDefaults;
}

export class LocalBackend implements PolicyBackend {
  readonly vocabSize: number;
  /** Inference view of the same weights (KV-cache sampling and scoring). */
  readonly decoder: Decoder;
  private optimizer: AdamW | null = null;
  private poisoned: string | null = null;
  private rng: Rng;

  constructor(
    readonly model: Transformer,
    readonly opts: LocalBackendOptions,
  ) {
    this.vocabSize = model.config.vocabSize;
    if (opts.tokenizer.vocabSize > model.config.vocabSize) {
      throw new Error(`LocalBackend: the tokenizer has ${opts.tokenizer.vocabSize} ids but the model's vocabulary is ${model.config.vocabSize}`);
    }
    // The decoder reads the parameters' own buffers, so it always samples the current weights.
    this.decoder = new Decoder(model.config, new Map([...model.params].map(([n, p]) => [n, p.data])), kernels());
    this.rng = opts.rng ?? new Rng(0);
  }

  get tokenizer(): Tokenizer {
    return this.opts.tokenizer;
  }

  /** The parameters the optimiser updates: the adapters under LoRA, else every parameter. */
  private trainable(): Map<string, Tensor> {
    return this.opts.lora ? this.opts.lora.parameters() : this.model.params;
  }

  private zeroGrad(): void {
    this.model.zeroGrad();
    this.opts.lora?.zeroGrad();
  }

  /**
   * Run fn on the effective weights. The decoder reads the base buffers, so LoRA adapters are
   * merged in for inference and taken out again (exactly) afterwards.
   */
  private withMerged<T>(fn: () => T): T {
    const lora = this.opts.lora;
    if (!lora || lora.merged) return fn();
    lora.merge();
    try {
      return fn();
    } finally {
      lora.unmerge();
    }
  }

  async sample(reqs: SampleRequest[]): Promise<Completion[]> {
    const t = this.opts.tokenizer;
    return this.withMerged(() => sample(this.decoder, reqs, {
      decode: (ids) => this.decodeText(ids),
      eosIds: [t.eosId],
      padId: t.padId,
      rng: this.rng,
    }));
  }

  /** DAgger roll-in: each token comes from `teacher` (shown its own prompt) with probability beta. */
  async sampleWithRollIn(reqs: SampleRequest[], teacher: PolicyBackend, teacherPrompts: number[][], beta: number): Promise<Completion[]> {
    if (!(teacher instanceof LocalBackend)) throw new Error('roll-in: the teacher must be a model held in this process (live, frozen or ema), token by token');
    const t = this.opts.tokenizer;
    return this.withMerged(() => sample(this.decoder, reqs, {
      decode: (ids) => this.decodeText(ids), eosIds: [t.eosId], padId: t.padId, rng: this.rng,
      rollIn: { decoder: teacher.decoder, prompts: teacherPrompts, beta },
    }));
  }

  /** Text of sampled ids; ids past the tokenizer (models often pad their vocabulary) have no text. */
  private decodeText(ids: number[]): string {
    const t = this.opts.tokenizer;
    return t.decode(ids.filter((id) => id < t.vocabSize));
  }

  async score(reqs: ScoreRequest[]): Promise<ScoredTokens[]> {
    return this.withMerged(() => score(this.decoder, reqs, { padId: this.opts.tokenizer.padId }));
  }

  /**
   * log p(ids[t, c]) at every completion position of every sequence (m ids per position, an id
   * < 0 gives NaN), from the same forward pass that forwardBackward differentiates: the first
   * pass of a Tinker-style "forward", exactly as training sees the weights.
   */
  async targetLogprobs(batch: TrainBatch, ids: Int32Array[], m: number): Promise<Float32Array[]> {
    const seqs = batch.sequences;
    if (ids.length !== seqs.length) throw new Error(`targetLogprobs: ${ids.length} id arrays for ${seqs.length} sequences`);
    const out: Float32Array[] = [];
    for (const [start, end] of this.passes(seqs.map(fedLength))) {
      const mb = seqs.slice(start, end);
      if (mb.every((s) => s.completion.length === 0)) {
        out.push(...mb.map(() => new Float32Array(0)));
        continue;
      }
      tidy(() => noGrad(() => {
        const { block, N } = this.completionLogits(mb);
        const lp = logprobsAt({ logits: block, N, V: this.vocabSize }, flattenPerToken(ids.slice(start, end)), m);
        let o = 0;
        for (const s of mb) {
          out.push(lp.slice(o * m, (o + s.completion.length) * m));
          o += s.completion.length;
        }
      }));
    }
    return out;
  }

  async forwardBackward(batch: TrainBatch, spec: LossSpec): Promise<LossReport> {
    const seqs = batch.sequences;
    seqs.forEach((s, i) => {
      if (!s.prompt.length) throw new Error(`forwardBackward: sequence ${i} has an empty prompt (the first completion token needs a context)`);
    });
    if (!spec.terms.length) throw new Error('forwardBackward: the LossSpec has no terms');
    const passes = this.passes(seqs.map(fedLength));
    // Future credit sums cross-entropies over whole sequences and baselines over groups, so
    // when the batch is split it is computed for the whole batch first.
    const loss = passes.length > 1 ? this.withCredits(seqs, spec, passes) : spec;
    const lengths = seqs.map((s) => s.completion.length);
    // Row weights over the whole batch (token_mean must not become a per-pass mean).
    const weights = loss.terms.map((term) => termRowWeights(term, lengths));
    const V = this.vocabSize;
    const metrics: Record<string, number> = {};
    const addMetric = (k: string, v: number, n: number) => {
      if (Number.isFinite(v)) metrics[k] = (metrics[k] ?? 0) + v * n;
    };
    let total = 0, tokens = 0, rowOffset = 0;

    for (const [start, end] of passes) {
      const mb = seqs.slice(start, end);
      if (mb.every((s) => s.completion.length === 0)) continue; // nothing to train on here
      const { logits, block, N } = this.completionLogits(mb);
      const pass = lossSpecLoss(
        { terms: loss.terms.map((term) => sliceTerm(term, start, end, seqs.length)) },
        { logits: block, N, V }, mb.map((s) => s.completion), weights.map((w) => w.subarray(rowOffset, rowOffset + N)),
      );
      const passLoss = pass.loss, grad = pass.grad;
      // Per-term losses add up over passes; per-token metrics are averaged over tokens below.
      for (const [k, v] of Object.entries(pass.metrics)) addMetric(k, v, k.startsWith('loss/') ? 1 : N);
      if (!Number.isFinite(passLoss) || !allFinite(grad)) {
        this.poisoned = `non-finite loss (${passLoss}) in sequences ${start}..${end - 1}`;
        grad.fill(0); // still run backward so the graph's memory goes back to the pool
      }
      const dLogits = grad;
      logits.backward(dLogits);
      total += passLoss;
      tokens += N;
      rowOffset += N;
    }
    for (const k of Object.keys(metrics)) if (!k.startsWith('loss/')) metrics[k] /= Math.max(tokens, 1);
    return { loss: total, metrics, tokens };
  }

  /**
   * Logits of the completion rows of a group of sequences (right-padded), [N, V]: the LM head
   * runs on those rows only, which matters when the vocabulary is large.
   */
  private completionLogits(mb: TrainSequence[]) {
    const B = mb.length;
    const T = Math.max(...mb.map(fedLength));
    const ids = new Int32Array(B * T).fill(this.opts.tokenizer.padId);
    const rows: number[] = [];
    mb.forEach((s, b) => {
      ids.set([...s.prompt, ...s.completion.slice(0, -1)], b * T);
      for (let t = 0; t < s.completion.length; t++) rows.push(b * T + s.prompt.length - 1 + t);
    });
    const N = rows.length;
    const logits = this.model.forward(ids, B, T, { outputRows: Int32Array.from(rows) });
    return { logits, block: logits.data, N };
  }

  /** The spec with every future-credit term's d_t = C_t - b_t precomputed over the whole batch. */
  private withCredits(seqs: TrainSequence[], spec: LossSpec, passes: [number, number][]): LossSpec {
    const fcTerms = spec.terms.filter((t) => t.kind === 'softCrossEntropy' && t.futureCredit && !t.futureCredit.credits);
    if (!fcTerms.length) return spec;
    const V = this.vocabSize;
    const H = new Map<LossTerm, Float64Array[]>(fcTerms.map((t) => [t, []]));
    for (const [start, end] of passes) {
      // tidy: a no-grad forward's intermediates have no graph to release them.
      const mb = seqs.slice(start, end);
      if (mb.every((s) => s.completion.length === 0)) {
        for (const term of fcTerms) H.get(term)!.push(...mb.map(() => new Float64Array(0)));
        continue;
      }
      tidy(() => noGrad(() => {
        const { block, N } = this.completionLogits(mb);
        for (const term of fcTerms) {
          if (term.kind !== 'softCrossEntropy') continue;
          const part = sliceTerm(term, start, end, seqs.length) as typeof term;
          const targets = { k: part.k, ids: Int32Array.from(flattenPerToken(part.targetIds)), probs: flattenPerToken(part.targetProbs) };
          const { ce } = rowCrossEntropies({ logits: block, N, V }, targets, part.support);
          let o = 0;
          for (const s of mb) {
            H.get(term)!.push(ce.subarray(o, o + s.completion.length));
            o += s.completion.length;
          }
        }
      }));
    }
    return {
      terms: spec.terms.map((term) => {
        if (term.kind !== 'softCrossEntropy' || !H.has(term)) return term;
        const fc = term.futureCredit!;
        const { centered } = futureCredit(H.get(term)!, { gamma: fc.gamma, baseline: fc.baseline, groups: fc.groups, standardize: fc.standardize });
        return { ...term, futureCredit: { ...fc, credits: centered.map((c) => Float32Array.from(c)) } };
      }),
    };
  }

  async optimStep(o: OptimOptions): Promise<StepReport> {
    if (!(o.lr >= 0) || !Number.isFinite(o.lr)) throw new Error(`optimStep: lr must be a finite number >= 0, got ${o.lr}`);
    if (!this.optimizer) {
      this.optimizer = new AdamW(this.trainable(), {
        lr: o.lr, beta1: o.beta1, beta2: o.beta2, eps: o.eps, weightDecay: o.weightDecay ?? 0,
      });
    }
    const clip = clipGradNorm(this.trainable().values(), o.maxGradNorm && o.maxGradNorm > 0 ? o.maxGradNorm : Infinity);
    if (this.poisoned || !clip.finite) {
      const why = this.poisoned ?? `non-finite gradient norm (${clip.norm})`;
      (this.opts.warn ?? console.warn)(`[distil] step skipped: ${why}; the weights are unchanged`);
      this.poisoned = null;
      this.zeroGrad();
      return { gradNorm: clip.norm, skipped: true, lr: o.lr };
    }
    this.optimizer.step(o.lr);
    this.zeroGrad();
    return { gradNorm: clip.norm, skipped: false, lr: o.lr };
  }

  /** A copy of the current weights as an inference-only backend (frozen and EMA teachers). */
  async snapshot(_kind: 'frozen' | 'ema'): Promise<LocalBackend> {
    const copy = new Transformer(this.model.config);
    this.withMerged(() => {
      for (const [name, p] of this.model.params) copy.load(name, p.data);
    });
    for (const p of copy.params.values()) p.requiresGrad = false;
    return new LocalBackend(copy, { ...this.opts, lora: undefined, rng: this.rng.fork() });
  }

  /** this <- (1 - rate) * this + rate * source, parameter by parameter (EMA teachers). */
  emaUpdateFrom(source: PolicyBackend, rate: number): void {
    if (!(rate >= 0 && rate <= 1)) throw new Error(`EMA rate must be in [0, 1], got ${rate}`);
    if (!(source instanceof LocalBackend)) throw new Error('EMA: the source must be a model held in this process');
    const k = kernels();
    source.withMerged(() => {
      for (const [name, p] of this.model.params) {
        const s = source.model.params.get(name);
        if (!s || s.size !== p.size) throw new Error(`EMA: the source model has no parameter ${name} of ${p.size} values`);
        k.scale(p.data, 1 - rate, p.data);
        k.axpy(rate, s.data, p.data);
      }
    });
  }

  /** A model folder of the effective weights; under LoRA also the adapter alone, in PEFT's layout, in `adapter/`. */
  async save(dir: string): Promise<void> {
    this.withMerged(() => saveModelFolder(dir, { config: this.model.config, weights: weightsOfTransformer(this.model), tokenizer: this.opts.tokenizer, generation: this.opts.generation }));
    if (this.opts.lora) savePeftAdapter(join(dir, 'adapter'), this.opts.lora);
  }

  /** The weights alone (a teacher snapshot in a checkpoint). */
  async saveSnapshot(dir: string): Promise<void> {
    saveWeights(dir, weightsOfTransformer(this.model));
  }

  async loadSnapshot(dir: string): Promise<void> {
    const { tensors } = loadWeights(dir);
    for (const [name, t] of tensors) this.model.load(name, t.data);
  }

  optimizerState(): AdamWState | null {
    return this.optimizer ? this.optimizer.stateDict() : null;
  }

  /** Restores the optimiser (resume). Its hyper-parameters come from the next optimStep's options. */
  loadOptimizerState(state: AdamWState, o: OptimOptions): void {
    this.optimizer = new AdamW(this.trainable(), { lr: o.lr, beta1: o.beta1, beta2: o.beta2, eps: o.eps, weightDecay: o.weightDecay ?? 0 });
    this.optimizer.loadStateDict(state);
  }

  rngState() {
    return this.rng.getState();
  }

  setRngState(s: ReturnType<Rng['getState']>): void {
    this.rng.setState(s);
  }

  /** Contiguous ranges of sequences whose padded size stays within the token budget. */
  private passes(lens: number[]): [number, number][] {
    const budget = this.opts.maxTokensPerPass ?? 8192;
    const out: [number, number][] = [];
    let start = 0, maxLen = 0;
    for (let i = 0; i < lens.length; i++) {
      const m = Math.max(maxLen, lens[i]);
      if (i > start && m * (i - start + 1) > budget) {
        out.push([start, i]);
        start = i;
        maxLen = lens[i];
      } else maxLen = m;
    }
    if (lens.length) out.push([start, lens.length]);
    return out;
  }
}

/** Tokens fed to the model for a sequence: the prompt and every completion token but the last. */
function fedLength(s: TrainSequence): number {
  return s.prompt.length + Math.max(0, s.completion.length - 1);
}

function allFinite(a: Float32Array): boolean {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return false;
  return true;
}

/** The part of a term that concerns sequences [start, end): every per-sequence array is sliced (one level of nesting too, for futureCredit). */
function sliceTerm(term: LossTerm, start: number, end: number, nSeq: number): LossTerm {
  if (start === 0 && end === nSeq) return term;
  const slice = (obj: object): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(obj)) {
      if (Array.isArray(v) && v.length === nSeq) out[k] = v.slice(start, end);
      else if (v && typeof v === 'object' && !Array.isArray(v) && !ArrayBuffer.isView(v)) out[k] = slice(v);
      else out[k] = v;
    }
    return out;
  };
  return slice(term) as unknown as LossTerm;
}

