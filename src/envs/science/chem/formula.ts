/**
 * Chemical formulas: element counts and charge.
 *
 * Accepted: nested groups `Fe2(SO4)3`, `K4[Fe(CN)6]`; hydrates with `·`, `*`, `•` or `.`
 * and an optional multiplier (`CuSO4·5H2O`, `CuSO4*5H2O`); charges written `^2-`, `^-2`,
 * `^+`, or a trailing sign with optional digits `Fe+3`, `Na+`, `Cl-`; the electron `e-`.
 * Digits right before a sign without `^` are atom counts (`O2-` is O2 with charge -1), so
 * write `Fe^3+` or `Fe+3` for iron(III).
 */
import { ELEMENTS } from './elements.ts';

export interface Formula {
  /** Atoms per formula unit, in order of first appearance. */
  counts: Map<string, number>;
  charge: number;
}

export class FormulaError extends Error {}

function splitCharge(text: string): { body: string; charge: number } {
  let m = /\^(\d*)([+-])$/.exec(text) ?? /\^([+-])(\d*)$/.exec(text);
  if (m) {
    const [digits, sign] = /\d/.test(m[1]) || m[1] === '' ? [m[1], m[2]] : [m[2], m[1]];
    const mag = digits === '' ? 1 : Number(digits);
    return { body: text.slice(0, m.index), charge: sign === '-' ? -mag : mag };
  }
  m = /([+-])(\d*)$/.exec(text);
  if (m) {
    const mag = m[2] === '' ? 1 : Number(m[2]);
    return { body: text.slice(0, m.index), charge: m[1] === '-' ? -mag : mag };
  }
  return { body: text, charge: 0 };
}

function add(into: Map<string, number>, from: Map<string, number>, times: number): void {
  for (const [el, n] of from) into.set(el, (into.get(el) ?? 0) + n * times);
}

/** Parses one hydrate-free part: elements, counts and bracketed groups. */
function parseGroup(text: string, whole: string): Map<string, number> {
  let i = 0;
  const closing: Record<string, string> = { '(': ')', '[': ']' };
  const readCount = (): number => {
    const m = /^\d+/.exec(text.slice(i));
    if (!m) return 1;
    i += m[0].length;
    const n = Number(m[0]);
    if (n === 0) throw new FormulaError(`count 0 in '${whole}'`);
    return n;
  };
  const seq = (close?: string): Map<string, number> => {
    const out = new Map<string, number>();
    while (i < text.length) {
      const c = text[i];
      if (close && c === close) {
        i++;
        return out;
      }
      if (c in closing) {
        i++;
        const inner = seq(closing[c]);
        if (inner.size === 0) throw new FormulaError(`empty brackets in '${whole}'`);
        add(out, inner, readCount());
      } else if (/[A-Z]/.test(c)) {
        const sym = /^[A-Z][a-z]?/.exec(text.slice(i))![0];
        // `Co` vs `C o`: prefer the two-letter symbol only when it exists.
        const el = ELEMENTS.has(sym) ? sym : sym[0];
        if (!ELEMENTS.has(el)) throw new FormulaError(`unknown element '${sym}' in '${whole}'`);
        i += el.length;
        add(out, new Map([[el, 1]]), readCount());
      } else {
        throw new FormulaError(`unexpected '${c}' in '${whole}'`);
      }
    }
    if (close) throw new FormulaError(`missing '${close}' in '${whole}'`);
    return out;
  };
  return seq();
}

export function parseFormula(input: string): Formula {
  const text = input.replace(/\s+/g, '');
  if (!text) throw new FormulaError('empty formula');
  const { body, charge } = splitCharge(text);
  if (body === 'e') {
    if (charge !== -1) throw new FormulaError(`an electron is written 'e-', got '${input}'`);
    return { counts: new Map(), charge: -1 };
  }
  if (!body) throw new FormulaError(`no atoms in '${input}'`);
  const counts = new Map<string, number>();
  // `.` splits hydrates only when followed by a digit or a capital (never in decimals here).
  for (const [k, part] of body.split(/[·*•]|\.(?=[\dA-Z])/).entries()) {
    const m = /^(\d*)(.*)$/.exec(part)!;
    if (k === 0 && m[1]) throw new FormulaError(`'${input}' starts with a number: write coefficients outside the formula`);
    if (!m[2]) throw new FormulaError(`empty part in '${input}'`);
    add(counts, parseGroup(m[2], input), m[1] ? Number(m[1]) : 1);
  }
  return { counts, charge };
}
