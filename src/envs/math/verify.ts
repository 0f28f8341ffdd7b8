/**
 * Checks a math completion line by line against the reference solution.
 *
 * The format is one step per line, then an answer line (`A: 4` / `answer: 42`). Steps are
 * deterministic (the next operation applied to the previous value), so as long as every
 * earlier step was right, the first wrong step is the first line that does not match the
 * reference step. Reported: that first wrong step (or a format problem at that point) and
 * the final-answer check. Reward = 1 iff the final answer is right.
 */
import type { FeedbackItem, Outcome, Task } from '../types.ts';
import { answerOf, completionLines, type Line } from './lines.ts';
import { normaliseEquation } from './linear.ts';

type Kind = 'chain' | 'arith' | 'linear';

interface MathMeta {
  kind: Kind;
  steps: string[];
  answer: string;
  answerLine: string;
}

const STEP_RE = /^(-?\d+)([+\-*#])(-?\d+)=(-?\d+)$/;

/** A step line parsed as `a op b = r`, or null when it is not of that shape. */
function parseOpStep(text: string): { a: number; op: string; b: number; r: number } | null {
  const m = STEP_RE.exec(text.replace(/\s+/g, '').replace(/[x×]/g, '*'));
  return m ? { a: Number(m[1]), op: m[2], b: Number(m[3]), r: Number(m[4]) } : null;
}

/** 'ok', 'wrong' (right shape, wrong content) or 'malformed' (not a step of this kind). */
function checkStep(kind: Kind, got: string, want: string): 'ok' | 'wrong' | 'malformed' {
  if (kind === 'linear') {
    const g = normaliseEquation(got);
    if (!/^[-+\dx()]+=[-+\dx()]+$/.test(g)) return 'malformed';
    return g === normaliseEquation(want) ? 'ok' : 'wrong';
  }
  const g = parseOpStep(got);
  if (!g) return 'malformed';
  const w = parseOpStep(want)!;
  const sameOperands = (g.a === w.a && g.b === w.b) || ((w.op === '+' || w.op === '*' || w.op === '#') && g.a === w.b && g.b === w.a);
  return g.op === w.op && sameOperands && g.r === w.r ? 'ok' : 'wrong';
}

/** Numeric answers compare as numbers (`05` = `5`); `x=5` is accepted for equations. */
function sameAnswer(got: string, want: string): boolean {
  const g = got.replace(/\s+/g, '').replace(/^x=/, '').replace(/\.$/, '');
  return g === want || (g !== '' && Number.isFinite(Number(g)) && Number(g) === Number(want));
}

/** The answer as sameAnswer reads it: spaces, `x=` and a final period dropped, numbers in one spelling. */
export function canonicalMathAnswer(got: string): string {
  const g = got.replace(/\s+/g, '').replace(/^x=/, '').replace(/\.$/, '');
  return g !== '' && Number.isFinite(Number(g)) ? String(Number(g)) : g;
}

function at(l: Line, step?: number) {
  return step === undefined ? { line: l.line, span: l.span } : { step, line: l.line, span: l.span };
}

export function verifyMath(task: Task, completion: string): Outcome {
  const meta = task.meta as unknown as MathMeta;
  const lines = completionLines(completion);
  const answerIdx = lines.findIndex((l) => answerOf(l.text) !== null);
  // Lines after the answer line are not part of the solution (the sampler stops there).
  const work = answerIdx >= 0 ? lines.slice(0, answerIdx) : lines;
  const items: FeedbackItem[] = [];
  const n = meta.steps.length;

  for (let i = 0; i <= n; i++) {
    const l = work[i];
    if (i === n) {
      if (l) {
        items.push({ kind: 'extra_step', text: `line ${l.line} should be ${meta.answerLine}`, where: at(l, i), expected: meta.answerLine, actual: l.text });
      }
      break;
    }
    if (!l) {
      const next = answerIdx >= 0 ? lines[answerIdx] : undefined;
      const text = next
        ? `line ${next.line} should be ${meta.steps[i]}`
        : `no step ${i + 1}: expected ${meta.steps[i]}`;
      items.push({ kind: answerIdx >= 0 ? 'missing_step' : 'format', text, where: next ? at(next, i) : { step: i }, expected: meta.steps[i] });
      break;
    }
    const verdict = checkStep(meta.kind, l.text, meta.steps[i]);
    if (verdict === 'ok') continue;
    items.push({
      kind: verdict === 'wrong' ? 'wrong_step' : 'format',
      text: `line ${l.line} should be ${meta.steps[i]}`,
      where: at(l, i),
      expected: meta.steps[i],
      actual: l.text,
    });
    break;
  }

  let correct = false;
  if (answerIdx < 0) {
    items.push({ kind: 'format', text: `no answer line; end with ${meta.answerLine.replace(/:.*/, ': <value>')}`, expected: meta.answerLine.replace(/:.*/, ': <value>') });
  } else {
    const l = lines[answerIdx];
    const got = answerOf(l.text)!;
    correct = sameAnswer(got, meta.answer);
    if (!correct) {
      items.push({ kind: 'wrong_answer', text: `final answer ${got || '(empty)'} is wrong`, where: at(l), expected: meta.answer, actual: got });
    }
  }

  const summary = correct
    ? items.length ? 'final answer correct, but the work has a mistake' : 'correct'
    : items[0].kind === 'wrong_answer' ? 'wrong final answer' : `${items[0].kind.replace('_', ' ')} at line ${items[0].where?.line ?? '?'}`;
  const answer = answerIdx >= 0 ? canonicalMathAnswer(answerOf(lines[answerIdx].text)!) : '';
  // Channels: the final answer, and the work (every step right, nothing missing or extra).
  const workOk = items.some((it) => it.kind !== 'wrong_answer' && (it.kind !== 'format' || it.where?.step !== undefined)) ? 0 : 1;
  return { reward: correct ? 1 : 0, correct, feedback: { summary, items }, ...(answer ? { answer } : {}), components: { answer: correct ? 1 : 0, work: workOk } };
}
