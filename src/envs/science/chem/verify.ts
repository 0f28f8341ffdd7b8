/**
 * Checks a balanced equation written by the student: same species in the same order as the
 * prompt, every element and the charge balanced, coefficients minimal. The answer is the
 * `A:`/`answer:` line if there is one, else the last non-empty line.
 */
import type { FeedbackItem, Outcome, Task } from '../../types.ts';
import { answerOf, completionLines } from '../../math/lines.ts';
import { compositionMatrix } from './balance.ts';
import { parseEquation, renderEquation, type Species } from './equation.ts';
import { FormulaError } from './formula.ts';

function sameFormula(a: Species, b: Species): boolean {
  if (a.formula.charge !== b.formula.charge || a.formula.counts.size !== b.formula.counts.size) return false;
  for (const [el, n] of a.formula.counts) if (b.formula.counts.get(el) !== n) return false;
  return true;
}

const signed = (q: number) => (q > 0 ? `+${q}` : String(q));

export function verifyChem(task: Task, completion: string): Outcome {
  const meta = task.meta as { equation: string; coefficients: number[] };
  const want = parseEquation(meta.equation);
  const fail = (item: FeedbackItem, answer?: string): Outcome => ({ reward: 0, correct: false, feedback: { summary: 'malformed equation', items: [item] }, ...(answer ? { answer } : {}) });
  const lines = completionLines(completion);
  const line = lines.find((l) => answerOf(l.text) !== null) ?? lines[lines.length - 1];
  const example = renderEquation(want.reactants.map((s) => s.text), want.products.map((s) => s.text), meta.coefficients.map(() => 1), want.spaced);
  if (!line) return fail({ kind: 'format', text: 'empty answer: write the equation with coefficients', expected: example });
  const text = answerOf(line.text) ?? line.text;
  const where = { line: line.line, span: line.span };
  let got;
  try {
    got = parseEquation(text);
  } catch (err) {
    if (!(err instanceof FormulaError)) throw err;
    return fail({ kind: 'format', text: `cannot read the equation: ${err.message}`, where, actual: text });
  }
  const gotSpecies = [...got.reactants, ...got.products];
  const wantSpecies = [...want.reactants, ...want.products];
  if (got.reactants.length !== want.reactants.length || got.products.length !== want.products.length ||
      gotSpecies.some((s, i) => !sameFormula(s, wantSpecies[i]))) {
    return fail({ kind: 'format', text: `keep the species of ${example} in order and only add coefficients`, where, expected: example, actual: text }, text.replace(/\s+/g, ''));
  }

  const coefs = gotSpecies.map((s) => s.coef ?? 1);
  const { rows, m } = compositionMatrix(got.reactants.map((s) => s.formula), got.products.map((s) => s.formula));
  const items: FeedbackItem[] = [];
  rows.forEach((row, r) => {
    let left = 0, right = 0;
    m[r].forEach((a, j) => (j < got.reactants.length ? (left += a * coefs[j]) : (right -= a * coefs[j])));
    if (left === right) return;
    if (row === 'charge') {
      items.push({ kind: 'charge_imbalance', text: `charge: ${signed(left)} left, ${signed(right)} right`, where, expected: signed(left), actual: signed(right) });
    } else {
      // expected/actual carry the left/right counts: the two sides must agree.
      items.push({ kind: 'element_imbalance', text: `${row}: ${left} left, ${right} right`, where: { ...where, element: row }, expected: String(left), actual: String(right) });
    }
  });
  if (items.length === 0) {
    const g = coefs.reduce((a, b) => gcdInt(a, b));
    if (g > 1) {
      const minimal = renderEquation(want.reactants.map((s) => s.text), want.products.map((s) => s.text), coefs.map((c) => c / g), want.spaced);
      items.push({ kind: 'not_minimal', text: `balanced, but all coefficients divide by ${g}`, where, expected: minimal, actual: text });
    }
  }
  const correct = items.length === 0;
  const summary = correct ? 'correct' : items[0].kind === 'not_minimal' ? 'balanced but not minimal' : `unbalanced: ${items.map((i) => i.where?.element ?? 'charge').join(', ')}`;
  // The species are the prompt's, in order: the coefficients are the answer.
  return { reward: correct ? 1 : 0, correct, feedback: { summary, items }, answer: coefs.join(' ') };
}

function gcdInt(a: number, b: number): number {
  return b ? gcdInt(b, a % b) : a;
}
