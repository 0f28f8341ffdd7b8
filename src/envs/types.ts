/**
 * Environments: they make tasks, check a completion, and say precisely what went wrong.
 * Nothing here knows about models or tokens: an env sees prompts and completions as text.
 */
/**
 * 'val' is for choosing settings (a learning rate): disjoint from 'test', and drawn from the
 * part of the train space next to it (so val prompts can also occur in training, but never in test).
 */
export type Split = 'train' | 'val' | 'test';
export const SPLITS: readonly Split[] = ['train', 'val', 'test'];

export interface Task {
  /** Stable id, unique within an env and split, e.g. "math/test/3/0042". */
  id: string;
  env: string;
  /** What the student is shown (already formatted; the model continues it). */
  prompt: string;
  /** A correct completion in the env's solution format, when the env can make one. */
  reference?: string;
  /** Difficulty level (env-specific meaning, e.g. number of operations). */
  level: number;
  /** Env-private data needed to check an answer (expected answer, hidden tests...). JSON-serialisable. */
  meta: Record<string, unknown>;
}

/** Where a piece of feedback applies inside the completion. */
export interface FeedbackLocation {
  /** 0-based index of the solution step (line of work) the feedback concerns. */
  step?: number;
  /** 1-based line number in the completion (or in candidate code). */
  line?: number;
  /** 0-based index of the (hidden) test case. */
  testCase?: number;
  /** Chemical element or unit symbol. */
  element?: string;
  /** Character span [start, end) in the completion, when known. */
  span?: [number, number];
}

export interface FeedbackItem {
  /** Machine-readable category, e.g. 'wrong_step', 'wrong_answer', 'format', 'test_failed',
   * 'exception', 'timeout', 'memory_limit', 'element_imbalance', 'wrong_unit', 'wrong_factor'. */
  kind: string;
  /** One human-readable sentence. */
  text: string;
  where?: FeedbackLocation;
  /** What it should have been / what it was, as text, when the env knows. */
  expected?: string;
  actual?: string;
}

export interface Feedback {
  /** Short overall verdict shown in reports and the default templates. */
  summary: string;
  /** Most important first; empty when the completion is correct. */
  items: FeedbackItem[];
}

export interface Outcome {
  /** In [0, 1]. */
  reward: number;
  correct: boolean;
  feedback: Feedback;
  /**
   * The completion's final answer in canonical form (equal strings = equivalent answers), for
   * label-free rewards such as answer voting; absent when no answer can be read.
   */
  answer?: string;
  /** Named reward channels in [0, 1] that make up `reward`, where the env has several. */
  components?: Record<string, number>;
}

export interface TaskOptions {
  /** Levels to draw from (uniformly); default: the env's default RL levels. */
  levels?: number[];
}

export interface Env {
  readonly name: string;
  readonly description: string;
  /** All levels this env can generate, easiest first. */
  readonly levels: readonly number[];
  /**
   * Deterministic given (split, n, seed, options). The test split is a fixed set that the
   * train split never produces (same seed space cannot collide).
   */
  tasks(split: Split, n: number, seed: number, options?: TaskOptions): Task[];
  evaluate(task: Task, completion: string): Promise<Outcome>;
  /** Releases resources (sandbox processes). */
  close?(): Promise<void>;
}
