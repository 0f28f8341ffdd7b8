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
import type { AdamWState } from '../nn/optim.ts';

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

  // Capabilities: what some backends can do beyond the primitives. The training loop asks for
  // a capability, never for a backend's class, and says which one is missing.

  /** Optimiser moments a checkpoint keeps (a remote backend's optimiser state stays remote: its save() records where). */
  optimizerState?(): AdamWState | null;
  /** Restores them on resume; the hyper-parameters come from `o`. */
  loadOptimizerState?(state: AdamWState, o: OptimOptions): void;
  /** Fixed weights (a frozen or EMA snapshot) written into a checkpoint folder and read back on resume. */
  saveSnapshot?(dir: string): Promise<void>;
  loadSnapshot?(dir: string): Promise<void>;
  /** this <- (1 - rate) this + rate source: weight arithmetic, for EMA teachers. */
  emaUpdateFrom?(source: PolicyBackend, rate: number): void;
  /** DAgger roll-in: each token comes from `teacher` (shown its own prompt) with probability beta. */
  sampleWithRollIn?(reqs: SampleRequest[], teacher: PolicyBackend, teacherPrompts: number[][], beta: number): Promise<Completion[]>;
  /** A sampling client of another base model of the same service (an external teacher there). */
  baseModelSampler?(name: string): Promise<PolicyBackend>;
  /** Per-step costs of talking to a remote service (round trips, bytes, seconds waiting). */
  wireStats?(): Record<string, number>;
  /** Releases connections and timers. */
  close?(): void;
}
