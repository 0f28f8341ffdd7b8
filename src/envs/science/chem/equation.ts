/**
 * Chemical equations as text: `2H2+O2=2H2O`, `MnO4^- + 5Fe^2+ + 8H^+ = ...`.
 *
 * Sides split on `=`, `->`, `→` or `<=>`. Species split on ` + ` (spaced) when the side has
 * any spaced plus, which is how charged species must be separated; otherwise on every `+`
 * that is not a charge sign (one right after `^`/`^digits`, at the end, or before another
 * `+`), so compact neutral equations like `CH4+2O2=CO2+2H2O` need no spaces.
 */
import { parseFormula, type Formula, FormulaError } from './formula.ts';

export interface Species {
  /** The formula as written, without the coefficient or surrounding spaces. */
  text: string;
  /** Coefficient as written; null when omitted (means 1). */
  coef: number | null;
  formula: Formula;
}

export interface Equation {
  reactants: Species[];
  products: Species[];
  /** True when the species were separated by spaced pluses (kept when rendering). */
  spaced: boolean;
}

function splitSide(side: string, spaced: boolean): string[] {
  if (spaced) return side.split(/\s+\+\s+/);
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < side.length; i++) {
    const c = side[i];
    const isCharge = c === '+' && (/\^\d*$/.test(cur) || i === side.length - 1 || side[i + 1] === '+');
    if (c === '+' && !isCharge) {
      parts.push(cur);
      cur = '';
    } else cur += c;
  }
  parts.push(cur);
  return parts;
}

function parseSpecies(raw: string, where: string): Species {
  const text = raw.trim();
  if (!text) throw new FormulaError(`empty species on the ${where}`);
  const m = /^(\d+)\s*(.*)$/.exec(text);
  const coef = m ? Number(m[1]) : null;
  const body = m ? m[2] : text;
  if (coef === 0) throw new FormulaError(`coefficient 0 for '${body}'`);
  return { text: body, coef, formula: parseFormula(body) };
}

export function parseEquation(input: string): Equation {
  const text = input.trim();
  const sides = text.split(/\s*(?:<=>|->|→|=)\s*/);
  if (sides.length !== 2) {
    throw new FormulaError(sides.length < 2 ? `no '=' in '${text}'` : `more than one '=' in '${text}'`);
  }
  const spaced = /\s\+\s/.test(text);
  return {
    reactants: splitSide(sides[0], spaced).map((s) => parseSpecies(s, 'left')),
    products: splitSide(sides[1], spaced).map((s) => parseSpecies(s, 'right')),
    spaced,
  };
}

/** Writes species with coefficients (1 omitted), in the spelling and spacing given. */
export function renderEquation(reactants: string[], products: string[], coefs: number[], spaced: boolean): string {
  const sep = spaced ? ' + ' : '+';
  const eq = spaced ? ' = ' : '=';
  const w = (s: string, c: number) => `${c === 1 ? '' : c}${s}`;
  const left = reactants.map((s, i) => w(s, coefs[i])).join(sep);
  const right = products.map((s, i) => w(s, coefs[reactants.length + i])).join(sep);
  return left + eq + right;
}
