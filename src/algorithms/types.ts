/**
 * An algorithm turns one step's scored rollouts into a training batch and a LossSpec. It
 * declares what the trainer must prepare (samples, teacher scores, reference log-probs) and
 * never touches tensors: the backend computes the loss terms.
 */
import type { LossSpec, ScoredTokens, TrainBatch } from '../backends/types.ts';
import type { Outcome, Task } from '../envs/types.ts';
import type { JudgeSpec } from '../judges/make.ts';
import type { StepJudgements } from '../judges/types.ts';

export interface Rollout {
  task: Task;
  /** Index of the prompt within the step: the G samples of one prompt share it. */
  group: number;
  /** Student prompt tokens. */
  prompt: number[];
  /** Completion tokens, as sampled (including a final end-of-sequence token, if any). */
  tokens: number[];
  text: string;
  /** Sampler log-probs of `tokens` (logp_old). */
  logprobs: Float32Array;
  /** Sampler's largest next-token log-prob at each position, when known. */
  maxLogprobs?: Float32Array;
  /** Sampler's self-certainty at each position, KL(uniform || p), when known. */
  selfCertainty?: Float32Array;
  outcome: Outcome;
  /** The sampler stopped at the length limit (no end of sequence or stop string). */
  truncated?: boolean;
  /**
   * When the sampler stopped at a stop string: index of the first token after the one that began
   * it. The tokens from here on spell the rest of the stop string, and losses toward a teacher's
   * distribution skip them: a teacher shown feedback ends its answer its own way (end of
   * sequence, in the pretraining corpus), so what it predicts inside the student's stop string is
   * not about the answer, and training on it breaks the stop string (measured: DistIL turned
   * `\nFeedback:` into `\nFeedbacted`, the sampler no longer stopped, and greedy accuracy fell
   * from 28% to 0). The token that began the stop string stays: it is the decision to stop.
   */
  stopTail?: number;
}

export interface TeacherScores {
  context: string;
  contextTokens: number[];
  scored: ScoredTokens;
}

export interface StepData {
  rollouts: Rollout[];
  /** The step's seed, for algorithms that draw (e.g. Clip-Cov's rows). */
  seed?: number;
  /** Teacher scores aligned with `rollouts` (when the algorithm asked for a teacher). */
  teacher?: TeacherScores[];
  /** Log-probs of each rollout's tokens under the initial policy (when asked: KL anchors). */
  refLogprobs?: Float32Array[];
  /** Token index where the feedback's first flagged location starts, per rollout (Infinity: nowhere). */
  feedbackStarts?: number[];
  /** When the algorithm asked for `hidden`: per rollout, the student's hidden states [T * dim] and log-probs [T] of its tokens. */
  hidden?: { dim: number; states: Float32Array[]; logprobs: Float32Array[] };
  /** When the algorithm asked for a judge: its scores of each rollout (or of each segment). */
  judged?: StepJudgements;
}

export type TeacherKind = 'live' | 'frozen' | 'ema' | 'external' | 'expert';

export interface AlgorithmNeeds {
  /** Sample from the student (false: offline, e.g. SFT on references). */
  sampling: boolean;
  teacher?: { context: string; topK: number; kind: TeacherKind; emaRate: number };
  refLogprobs?: boolean;
  /** DAgger aggregation: keep up to `size` past rollouts and add `sample` of them, relabelled by the current teacher, to each step. */
  dagger?: { size: number; sample: number };
  /** DAgger roll-in: sample each token from the teacher (shown `context`) with probability beta. */
  rollIn?: { beta: number; context: string };
  /** The student's final-norm hidden state and log-prob of every sampled token, from a scoring pass before the update (DelTA). */
  hidden?: boolean;
  /** The sampler's per-token self-certainty (Rollout.selfCertainty); only the local sampler reports it. */
  selfCertainty?: boolean;
  /** The env must give Outcome.answer (answer voting); checked on a reference solution before training. */
  answers?: boolean;
  /** Why the algorithm has no effect with one update per sampled batch (e.g. KL-Cov): the config must ask for more. */
  severalUpdates?: string;
  /** A judge that scores each rollout (or each of its segments) against the task's hidden reference (ExpRL). */
  judge?: JudgeSpec;
}

export interface BuiltLoss {
  batch: TrainBatch;
  loss: LossSpec;
  metrics: Record<string, number>;
}

export interface Algorithm {
  readonly name: string;
  readonly needs: AlgorithmNeeds;
  /** null when the step carries no learning signal (e.g. every group all-correct for GRPO). */
  build(step: StepData): BuiltLoss | null;
  /** What the algorithm learns across steps (e.g. RND's predictor), as JSON for checkpoints. */
  state?(): unknown;
  /** Restores state() on resume, exactly. */
  loadState?(state: unknown): void;
}
