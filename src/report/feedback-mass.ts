/**
 * Where a teacher's per-token signal sits (the step-aligned critique analysis): with the
 * per-token advantage A_t = log q(y_t) - log p(y_t) (samples.jsonl `teacher_minus_student`),
 * the share of sum_t |A_t| on tokens at and after the first flagged token (`feedback_start`)
 * of wrong attempts, and the mean |A_t| on correct attempts (where nothing should need fixing).
 * A context that points at the mistake puts its mass after the failing token; one that shows a
 * different full solution spreads it over every token.
 */
import type { Group } from './runs.ts';

/** Share of sum |A_t| on t >= start (NaN when every A_t is 0). */
export function massAfter(diffs: ArrayLike<number>, start: number): number {
  let all = 0, after = 0;
  for (let t = 0; t < diffs.length; t++) {
    const a = Math.abs(diffs[t]);
    all += a;
    if (t >= start) after += a;
  }
  return all > 0 ? after / all : NaN;
}

export interface FeedbackMass {
  label: string;
  /** Wrong attempts scored by a teacher whose first flagged token is not the first token. */
  wrong: number;
  /** Mean over those of the share of |A_t| at and after the first flagged token. */
  shareAfter: number;
  /** Mean |A_t| over the tokens of correct attempts (NaN if none). */
  correctMeanAbs: number;
  correct: number;
}

export function feedbackMass(groups: readonly Group[]): Map<string, FeedbackMass[]> {
  const byEnv = new Map<string, FeedbackMass[]>();
  for (const g of groups) {
    const shares: number[] = [];
    let absSum = 0, absN = 0, correct = 0;
    for (const run of g.runs) {
      for (const s of run.samples) {
        const d = s.teacher_minus_student;
        if (!Array.isArray(d)) continue;
        if (s.correct === true) {
          correct++;
          for (const x of d) if (typeof x === 'number') (absSum += Math.abs(x)), absN++;
        } else if (typeof s.feedback_start === 'number' && s.feedback_start > 0) {
          // Start 0 is also what an attempt whose mistake has no location gets: no prefix to compare.
          const m = massAfter(d as number[], s.feedback_start);
          if (Number.isFinite(m)) shares.push(m);
        }
      }
    }
    if (!shares.length && !correct) continue;
    const row: FeedbackMass = {
      label: g.label, wrong: shares.length, shareAfter: shares.length ? shares.reduce((a, b) => a + b, 0) / shares.length : NaN,
      correctMeanAbs: absN ? absSum / absN : NaN, correct,
    };
    byEnv.set(g.env, [...(byEnv.get(g.env) ?? []), row]);
  }
  return byEnv;
}
