/**
 * The primitives: the one seam between algorithms and compute. Algorithms build requests and
 * LossSpecs from plain arrays; a backend (a local model, or a remote server) does the
 * sampling, scoring and gradient work. Algorithms never touch tensors.
 *
 * The request and result types live with the code below the seam that defines them: sampling
 * and scoring in src/inference/types.ts, the loss spec in src/losses/spec.ts. They are
 * re-exported here so that a backend's whole contract reads from one import.
 */
export type {
  SamplingParams, SampleRequest, TextSampler, StopReason, Completion, ScoreRequest, ScoredTokens,
} from '../inference/types.ts';
export type { PerToken, Aggregation, LossTerm, FutureCreditSpec, LossSpec } from '../losses/spec.ts';
import type { Completion, SampleRequest, ScoreRequest, ScoredTokens } from '../inference/types.ts';
import type { LossSpec } from '../losses/spec.ts';

/** One sequence to train on: the loss covers completion positions only. */
export interface TrainSequence {
  prompt: number[];
  completion: number[];
}

export interface TrainBatch {
  sequences: TrainSequence[];
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
