/**
 * The primitives: the one seam between algorithms and compute (DESIGN.md). Algorithms build
 * requests and LossSpecs from plain arrays; a backend (a local model, or a remote server)
 * does the sampling, scoring and gradient work. Algorithms never touch tensors.
 */
import type { Support } from '../engine/kernels/types.ts';

export interface SamplingParams {
  maxTokens: number;
  temperature?: number; // default 1; 0 = greedy
  topP?: number; // default 1
  topK?: number; // default 0 = off
  /** Stop when the decoded text ends with one of these (the stop string is kept out of `text`). */
  stop?: string[];
  /** Stop at these token ids (default: the tokenizer's end-of-sequence id). */
  stopTokenIds?: number[];
  seed?: number;
}

export interface SampleRequest extends SamplingParams {
  /** Prompt as token ids. */
  prompt: number[];
}

/** Anything that samples and returns the texts (a LocalBackend; a stub in tests). */
export interface TextSampler {
  sample(reqs: SampleRequest[]): Promise<{ text: string }[]>;
}

export type StopReason = 'stop' | 'length';

export interface Completion {
  tokens: number[];
  text: string;
  /** Sampler's log-prob of each generated token (under the sampling distribution's model, T=1). */
  logprobs: Float32Array;
  /** Per generated token, the log of the largest next-token probability (the sampler's confidence), when the backend knows it. */
  maxLogprobs?: Float32Array;
  stopReason: StopReason;
}

export interface ScoreRequest {
  prompt: number[];
  completion: number[];
  /** Also return the top-k ids and probabilities at each completion position (0 = no). */
  topK?: number;
}

export interface ScoredTokens {
  /** log p(completion[t] | prompt, completion[<t]) for each t. */
  logprobs: Float32Array;
  /** [T, k] when requested. */
  topIds?: Int32Array;
  topProbs?: Float32Array;
  k?: number;
}

/** One sequence to train on: the loss covers completion positions only. */
export interface TrainSequence {
  prompt: number[];
  completion: number[];
}

export interface TrainBatch {
  sequences: TrainSequence[];
}

/** Per-sequence arrays, each aligned with that sequence's completion tokens. */
export type PerToken<T = Float32Array> = T[];

export type Aggregation = 'token_mean' | 'seq_mean' | 'fixed_len';

export type LossTerm =
  | {
      /** Forward cross-entropy toward teacher top-k targets (DistIL's local term, SFT on soft labels). */
      kind: 'softCrossEntropy';
      weight: number;
      support: Support;
      k: number;
      targetIds: PerToken<Int32Array>; // [T_i * k]
      targetProbs: PerToken<Float32Array>; // [T_i * k]
      tokenWeights: PerToken; // [T_i]; 0 masks a token
      /** DistIL's future-credit term, computed from this term's own per-token cross-entropies. */
      futureCredit?: FutureCreditSpec;
    }
  | {
      /** Clipped importance-sampled policy gradient with optional k3 KL penalty (GRPO, OPD, future credit). */
      kind: 'policyGradient';
      weight: number;
      advantages: PerToken;
      logpOld: PerToken;
      clipLow: number; // eps_low, e.g. 0.2
      clipHigh: number; // eps_high, e.g. 0.28
      aggregation: Aggregation;
      klBeta?: number;
      logpRef?: PerToken;
      tokenWeights?: PerToken;
    }
  | {
      /** Generalised JSD(beta) toward teacher top-k (beta 0 = forward KL, 1 = reverse KL): OPSD, SDPO. */
      kind: 'divergence';
      weight: number;
      beta: number;
      support: Support;
      k: number;
      targetIds: PerToken<Int32Array>;
      targetProbs: PerToken<Float32Array>;
      tokenWeights: PerToken;
      /** SDPO: per-token importance weight p/p_old clipped at this value (omit: no weighting). */
      isClip?: number;
      logpOld?: PerToken;
    }
  | {
      /** Hard-target token cross-entropy on the completion (SFT, RFT). */
      kind: 'crossEntropy';
      weight: number;
      tokenWeights: PerToken;
    };

/**
 * DistIL's future credit (METHODS.md): C_t = sum_{i>t} gamma^(i-t-1) H_i from the current
 * student's cross-entropies toward the teacher, minus a baseline, optionally standardised,
 * trained as lambdaFc * log p(y_t) * sg(C_t - b_t) (with ratio/clip when logpOld is given).
 */
export interface FutureCreditSpec {
  lambdaFc: number;
  gamma: number;
  baseline: 'none' | 'group_position' | 'batch';
  standardize: boolean;
  /** Group label of each sequence (the G samples of one prompt share a label). */
  groups: number[];
  logpOld?: PerToken;
  clip?: { epsLow: number; epsHigh: number };
  /** Precomputed d_t = C_t - b_t per token (backends fill this when they split a batch). */
  credits?: PerToken;
}

export interface LossSpec {
  terms: LossTerm[];
}

export interface LossReport {
  loss: number;
  /** Per term (by index and kind) and anything else measured during the pass. */
  metrics: Record<string, number>;
  tokens: number;
}

export interface OptimOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  /** Clip the global gradient norm to this (0 = off). */
  maxGradNorm?: number;
}

export interface StepReport {
  gradNorm: number;
  /** True when the step was skipped (non-finite loss or gradient): weights untouched. */
  skipped: boolean;
  lr: number;
}

export interface PolicyBackend {
  readonly vocabSize: number;
  sample(reqs: SampleRequest[]): Promise<Completion[]>;
  score(reqs: ScoreRequest[]): Promise<ScoredTokens[]>;
  forwardBackward(batch: TrainBatch, loss: LossSpec): Promise<LossReport>;
  optimStep(opts: OptimOptions): Promise<StepReport>;
  snapshot(kind: 'frozen' | 'ema'): Promise<PolicyBackend>;
  save(dir: string): Promise<void>;
}
