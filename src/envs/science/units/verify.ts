/**
 * Checks a unit conversion by dimensional analysis, line by line. Any valid chain of factors
 * is accepted, not only the reference's: each line must start from the previous result,
 * multiply by a true identity (`1000 m/km`), carry the unit through, and get the number
 * right within a relative tolerance. The first problem is reported as 'wrong_factor',
 * 'wrong_unit' or 'wrong_step'; then the answer line is checked (value and unit).
 */
import type { FeedbackItem, FeedbackLocation, Outcome, Task } from '../../types.ts';
import { answerOf, completionLines, type Line } from '../../math/lines.ts';
import { factorFor, formatFactor } from './generate.ts';
import {
  UnitError, close, formatNumber, formatUnit, multiply, parseUnit, sameDimension, sameUnit, scale, type KnownScales, type Unit,
} from './units.ts';

interface UnitsMeta {
  /** The hidden unit's size in this task's world (levels 6-7). */
  hidden?: { unit: string; scale: number };
  value: number;
  from: string;
  to: string;
  answer: number;
  steps: string[];
}

const NUM = String.raw`-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?`;
const QTY_RE = new RegExp(`^(${NUM})\\s*(\\S.*)$`);
const FACTOR_RE = new RegExp(`^(${NUM})\\s*([^/\\s]+)\\s*/\\s*(?:(${NUM})\\s*)?(\\S+)$`);

interface Quantity {
  v: number;
  u: Unit;
  unitText: string;
}

function parseQuantity(text: string): Quantity {
  const m = QTY_RE.exec(text.trim().replace(/\.$/, ''));
  if (!m) throw new UnitError(`'${text.trim()}' is not a number with a unit`);
  return { v: Number(m[1]), u: parseUnit(m[2]), unitText: m[2].trim() };
}

/** The correct factor for a pair of units the student chose, written the reference's way. */
function fixedFactor(a: string, b: string, known: KnownScales): string {
  if (/^[A-Za-z]+(\^\d+)?$/.test(a) && /^[A-Za-z]+(\^\d+)?$/.test(b)) return formatFactor(factorFor(b, a, known));
  return `${formatNumber(scale(parseUnit(b), known) / scale(parseUnit(a), known))} ${a}/${b}`;
}

export function verifyUnits(task: Task, completion: string, tolerance = 1e-3): Outcome {
  const meta = task.meta as unknown as UnitsMeta;
  const known: KnownScales = meta.hidden ? { [meta.hidden.unit]: meta.hidden.scale } : {};
  const lines = completionLines(completion);
  const answerIdx = lines.findIndex((l) => answerOf(l.text) !== null);
  const work = answerIdx >= 0 ? lines.slice(0, answerIdx) : lines;
  const items: FeedbackItem[] = [];
  const target = parseUnit(meta.to);
  let prev: { v: number; u: Unit } = { v: meta.value, u: parseUnit(meta.from) };
  const at = (l: Line, step?: number, element?: string): FeedbackLocation => ({
    ...(step === undefined ? {} : { step }), line: l.line, span: l.span, ...(element ? { element } : {}),
  });

  for (const [i, l] of work.entries()) {
    const item = checkStep(l, i);
    if (item) {
      items.push(item);
      break;
    }
  }

  function checkStep(l: Line, i: number): FeedbackItem | undefined {
    const ref = meta.steps[i];
    const format = (why: string): FeedbackItem => ({ kind: 'format', text: `line ${l.line}: ${why}`, where: at(l, i), expected: ref, actual: l.text });
    const m = /^(.*?)\*(.*?)=(.*)$/.exec(l.text);
    if (!m) return format('write `<value> <unit> * <factor> = <value> <unit>`');
    let left: Quantity, right: Quantity;
    try {
      left = parseQuantity(m[1]);
      right = parseQuantity(m[3]);
    } catch (err) {
      if (err instanceof UnitError) return format(err.message);
      throw err;
    }
    const start = `${formatNumber(prev.v)} ${formatUnit(prev.u)}`;
    if (!close(left.v, prev.v, tolerance) || !sameUnit(left.u, prev.u)) {
      // The whole line is expected/actual, so a critique can show the fixed line.
      return { kind: 'wrong_step', text: `line ${l.line} should start from ${start}`, where: at(l, i), expected: ref ?? start, actual: l.text };
    }
    // One or more factors, each `N A/B` or `N A/M B`; all of them must be true identities.
    let unit = prev.u;
    let v = prev.v;
    for (const factorText of m[2].split('*').map((t) => t.trim())) {
      const f = FACTOR_RE.exec(factorText);
      if (!f) return format(`write each factor as '<n> <unit>/<unit>' or '<n> <unit>/<n> <unit>'`);
      const [n, mm] = [Number(f[1]), f[3] === undefined ? 1 : Number(f[3])];
      let a: Unit, b: Unit;
      try {
        [a, b] = [parseUnit(f[2]), parseUnit(f[4])];
      } catch (err) {
        if (err instanceof UnitError) return format(err.message);
        throw err;
      }
      if (!sameDimension(a, b) || !close(n * scale(a, known), mm * scale(b, known), tolerance)) {
        const expected = sameDimension(a, b) ? fixedFactor(f[2], f[4], known) : ref?.split('*')[1]?.split('=')[0]?.trim();
        return {
          kind: 'wrong_factor',
          text: sameDimension(a, b) ? `line ${l.line} factor should be ${expected}` : `line ${l.line}: ${f[2]} and ${f[4]} measure different things`,
          where: at(l, i, f[4]),
          expected,
          actual: factorText,
        };
      }
      unit = multiply(unit, multiply(a, b, -1));
      v = (v * n) / mm;
    }
    if (!sameUnit(right.u, unit)) {
      return { kind: 'wrong_unit', text: `line ${l.line} unit should be ${formatUnit(unit)}`, where: at(l, i, right.unitText), expected: formatUnit(unit), actual: right.unitText };
    }
    if (!close(right.v, v, tolerance)) {
      const fixed = `${start} * ${m[2].trim()} = ${formatNumber(v)} ${formatUnit(unit)}`;
      return { kind: 'wrong_step', text: `line ${l.line} should be ${fixed}`, where: at(l, i), expected: fixed, actual: l.text };
    }
    prev = { v: right.v, u: right.u };
    return undefined;
  }

  let correct = false;
  let answer: string | undefined;
  const want = `${formatNumber(meta.answer)} ${meta.to}`;
  if (answerIdx < 0) {
    items.push({ kind: 'format', text: 'no answer line; end with A: <value> <unit>', expected: 'A: <value> <unit>' });
  } else {
    const l = lines[answerIdx];
    const text = answerOf(l.text)!;
    try {
      const q = parseQuantity(text);
      answer = `${formatNumber(q.v)} ${formatUnit(q.u)}`;
      const unitOk = sameUnit(q.u, target);
      const valueOk = close(q.v, meta.answer, tolerance);
      correct = unitOk && valueOk;
      if (!unitOk) items.push({ kind: 'wrong_unit', text: `answer unit should be ${meta.to}`, where: at(l, undefined, q.unitText), expected: meta.to, actual: q.unitText });
      else if (!valueOk) items.push({ kind: 'wrong_answer', text: `final answer ${text} is wrong`, where: at(l), expected: want, actual: text });
    } catch (err) {
      if (!(err instanceof UnitError)) throw err;
      items.push({ kind: 'format', text: `answer: ${err.message}`, where: at(l), expected: want, actual: text });
    }
  }
  const summary = correct ? (items.length ? 'final answer correct, but the work has a mistake' : 'correct') : `${items[0].kind.replace('_', ' ')}${items[0].where?.line ? ` at line ${items[0].where.line}` : ''}`;
  return { reward: correct ? 1 : 0, correct, feedback: { summary, items }, ...(answer ? { answer } : {}) };
}
