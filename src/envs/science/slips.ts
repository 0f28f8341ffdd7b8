/**
 * Plausible wrong attempts for science tasks, for corpora ("attempt, feedback, corrected
 * solution") and demos. Chemistry: one coefficient off by one. Units: one factor with the
 * wrong power of ten (or an arithmetic slip), every later line carried on from it.
 */
import type { Rng } from '../../util/rng.ts';
import type { Task } from '../types.ts';
import { parseEquation, renderEquation } from './chem/equation.ts';
import { conversionSteps, factorFor, type Factor } from './units/generate.ts';
import { formatNumber } from './units/units.ts';

export function slipScience(task: Task, rng: Rng): string {
  if (task.meta.kind === 'chem') return slipChem(task, rng);
  if (task.meta.kind === 'units') return slipUnits(task, rng);
  throw new Error(`slipScience: only chem and units tasks, got '${String(task.meta.kind)}'`);
}

function slipChem(task: Task, rng: Rng): string {
  const eq = parseEquation(task.meta.equation as string);
  const coefs = [...(task.meta.coefficients as number[])];
  const i = rng.int(coefs.length);
  coefs[i] = coefs[i] === 1 || rng.int(2) ? coefs[i] + 1 : coefs[i] - 1;
  return `A: ${renderEquation(eq.reactants.map((s) => s.text), eq.products.map((s) => s.text), coefs, eq.spaced)}`;
}

/** Rebuilds the reference's factors from its step lines (`... * 1 h/3600 s = ...`). */
function factorsOf(steps: string[]): Factor[] {
  return steps.map((s) => {
    const m = /\*\s*(\S+)\s+([^/\s]+)\/(?:(\S+)\s+)?(\S+)\s*=/.exec(s)!;
    return { n: Number(m[1]), a: m[2], m: m[3] === undefined ? 1 : Number(m[3]), b: m[4] };
  });
}

function slipUnits(task: Task, rng: Rng): string {
  const meta = task.meta as { value: number; from: string; to: string; steps: string[]; hidden?: { unit: string; scale: number; candidates: number[] } };
  const factors = factorsOf(meta.steps);
  if (meta.hidden) {
    // The hidden unit's size is believed, not known: one of the candidates (right or not), as a
    // model that knows only the unit's family would; a right belief gets an ordinary slip below.
    const believed = rng.pick(meta.hidden.candidates);
    if (believed !== meta.hidden.scale) {
      factors[0] = factorFor(meta.hidden.unit, 'm', { [meta.hidden.unit]: believed });
      const { steps, value } = conversionSteps(meta.value, meta.from, factors);
      return [...steps, `A: ${formatNumber(value)} ${meta.to}`].join('\n');
    }
  }
  const k = rng.int(factors.length);
  const f = factors[k];
  if (rng.int(2) === 0 && (f.n >= 10 || f.m >= 10)) {
    // The classic slip: the right units, the wrong power of ten.
    factors[k] = f.n >= 10 ? { ...f, n: f.n / 10 } : { ...f, m: f.m / 10 };
    const { steps, value } = conversionSteps(meta.value, meta.from, factors);
    return [...steps, `A: ${formatNumber(value)} ${meta.to}`].join('\n');
  }
  // An arithmetic slip on line k, carried on.
  const { steps } = conversionSteps(meta.value, meta.from, factors.slice(0, k + 1));
  const wrong = steps[k].replace(/= (\S+)/, (_, v) => `= ${formatNumber(Number(v) * 2)}`);
  const carried = Number(/= (\S+)/.exec(wrong)![1]);
  const unit = wrong.slice(wrong.lastIndexOf(' ') + 1);
  const rest = conversionSteps(carried, unit, factors.slice(k + 1));
  return [...steps.slice(0, k), wrong, ...rest.steps, `A: ${formatNumber(rest.value)} ${meta.to}`].join('\n');
}
