/**
 * Renders an env's structured feedback as compact text for the slots `{feedback}`,
 * `{critique}` and `{reward}`. Compact on purpose: the same text is what the tiny
 * character models see in their pretraining corpus.
 */
import type { FeedbackItem, Outcome } from '../envs/types.ts';

/** One line: the items' sentences joined by '; ', or the summary when there are none. */
export function renderFeedback(outcome: Outcome): string {
  const items = outcome.feedback.items;
  if (items.length === 0) return outcome.feedback.summary || (outcome.correct ? 'correct' : 'wrong');
  return items.map((i) => i.text.trim()).join('; ');
}

export function renderReward(outcome: Outcome): string {
  return String(Math.round(outcome.reward * 100) / 100);
}

/** The first feedback item that names a step and says what it should have been. */
export function firstWrongStep(outcome: Outcome): FeedbackItem | undefined {
  return outcome.feedback.items.find((i) => i.where?.step !== undefined && i.expected !== undefined && (i.where.line !== undefined || i.where.span));
}

/** Non-empty lines of the completion with their 1-based line numbers. */
function lines(completion: string): { no: number; text: string }[] {
  return completion.split('\n').flatMap((t, i) => (t.trim() ? [{ no: i + 1, text: t.trim() }] : []));
}

/**
 * Step-aligned critique: the student's lines before the first wrong step, each marked ok,
 * then the wrong line with its correction. Without a located wrong step it is the plain
 * feedback; a correct attempt gets 'all correct'.
 */
export function renderCritique(completion: string, outcome: Outcome): string {
  const wrong = firstWrongStep(outcome);
  if (!wrong) return outcome.correct && outcome.feedback.items.length === 0 ? 'all correct' : renderFeedback(outcome);
  const ls = lines(completion);
  const at = wrong.where!.line ?? lineOfSpan(completion, wrong.where!.span!);
  const ok = ls.filter((l) => l.no < at).map((l) => `${l.text} ok`);
  const bad = wrong.actual !== undefined ? `${wrong.actual} wrong, should be ${wrong.expected}` : `missing: ${wrong.expected}`;
  return [...ok, bad].join('\n');
}

function lineOfSpan(completion: string, span: [number, number]): number {
  return completion.slice(0, span[0]).split('\n').length;
}
