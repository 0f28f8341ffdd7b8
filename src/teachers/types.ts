/**
 * Teachers score the student's completion after a teacher context (feedback, reference, ...)
 * and return, at every completion position, the log-prob of the student's token and the top-k
 * next-token distribution. The trainer builds the context; the teacher only scores.
 */
import type { PolicyBackend, ScoredTokens } from '../backends/types.ts';
import type { Task } from '../envs/types.ts';

export interface TeacherRequest {
  task: Task;
  /** The teacher's prompt (context) as text and as token ids. */
  context: string;
  contextTokens: number[];
  /** The student's completion tokens to score. */
  completion: number[];
  topK: number;
}

export interface Teacher {
  /** e.g. 'live', 'frozen', 'ema(0.05)', 'external', 'expert'. */
  readonly name: string;
  score(reqs: TeacherRequest[]): Promise<ScoredTokens[]>;
  /** Called after every optimiser step of the student (the EMA teacher moves here). */
  afterStep?(student: PolicyBackend): Promise<void>;
  /** The model behind the teacher, when it is one this process holds (roll-in samples from it). */
  readonly backend?: PolicyBackend;
  /** Extra state a checkpoint must keep to resume bit-for-bit (EMA weights). */
  save?(dir: string): Promise<void>;
  load?(dir: string): Promise<void>;
}
