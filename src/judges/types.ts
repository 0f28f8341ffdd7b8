/**
 * The Judge seam: something that sees a task's hidden reference (never shown to the policy)
 * and scores a student's work on a 1-5 scale (5 = matches the reference's path to a right
 * answer, 1 = wrong or misleading). What it is shown is one of three views of a completion:
 * the whole of it, a prefix (its first segments), or one segment alone.
 */
import type { Task } from '../envs/types.ts';

export type JudgeView = 'completion' | 'prefix' | 'segment';

export interface JudgeRequest {
  task: Task;
  /** The text judged: the completion, its first `segment + 1` segments, or segment `segment` alone. */
  text: string;
  view: JudgeView;
  /** 0-based index of the (last) segment shown, and how many segments the completion has. */
  segment: number;
  segments: number;
}

export interface Verdict {
  /** 1-5, or null when the judge's answer could not be read (the caller scores it lowest and counts it). */
  score: number | null;
  /** What the judge said, kept for the log when it could not be read. */
  raw?: string;
}

export interface Judge {
  readonly name: string;
  judge(reqs: JudgeRequest[]): Promise<Verdict[]>;
  close?(): void;
}

export const LOWEST_SCORE = 1;
export const HIGHEST_SCORE = 5;

/** A rollout's judgement: 1-5 per segment (process views) or one (outcome). */
export interface JudgedRollout {
  scores: number[];
  /** Process views: the segment of each token. */
  segmentOfToken?: Int32Array;
}

/** One step's judgements, aligned with its rollouts. */
export interface StepJudgements {
  view: JudgeView;
  rollouts: JudgedRollout[];
  /** Verdicts asked for, and how many of them could not be read (scored lowest). */
  requests: number;
  unreadable: number;
  /** The first unreadable answer, for the log. */
  example?: string;
}
