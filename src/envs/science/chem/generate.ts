/**
 * Chemical-balancing tasks by level.
 *  1  synthesis or decomposition with tiny formulas (`H2+O2=H2O`, `Al+Cl2=AlCl3`)
 *  2  combustion of hydrocarbons and alcohols; metals with water or HCl/HBr
 *  3  double replacement and neutralisation with polyatomic ions (`Ca(OH)2`, `Al2(SO4)3`)
 *  4  known redox reactions and hydrates (`KMnO4+HCl`, `CuSO4·5H2O`)
 *  5  ionic equations and half-reactions with charges (`MnO4^- + Fe^2+ + H^+`)
 * Every task is balanced by the solver, so the reference is right by construction.
 */
import type { Rng } from '../../../util/rng.ts';
import type { Generated } from '../../loaders/split.ts';
import { balance } from './balance.ts';
import { parseEquation, renderEquation } from './equation.ts';

export const CHEM_LEVELS: readonly number[] = [1, 2, 3, 4, 5];

interface Ion {
  sym: string;
  charge: number;
}
const METALS: Ion[] = [
  { sym: 'Na', charge: 1 }, { sym: 'K', charge: 1 }, { sym: 'Li', charge: 1 }, { sym: 'Mg', charge: 2 },
  { sym: 'Ca', charge: 2 }, { sym: 'Ba', charge: 2 }, { sym: 'Zn', charge: 2 }, { sym: 'Al', charge: 3 },
  { sym: 'Fe', charge: 3 }, { sym: 'Cu', charge: 2 },
];
/** Non-metals as they occur as elements (`O2`) and as ions (`O`, charge -2). */
const NONMETALS = [
  { el: 'O2', sym: 'O', charge: -2 }, { el: 'Cl2', sym: 'Cl', charge: -1 }, { el: 'F2', sym: 'F', charge: -1 },
  { el: 'Br2', sym: 'Br', charge: -1 }, { el: 'N2', sym: 'N', charge: -3 }, { el: 'S', sym: 'S', charge: -2 },
  { el: 'I2', sym: 'I', charge: -1 },
];
const CATIONS: Ion[] = [
  ...METALS, { sym: 'Ag', charge: 1 }, { sym: 'Pb', charge: 2 }, { sym: 'NH4', charge: 1 }, { sym: 'H', charge: 1 },
];
const ANIONS: Ion[] = [
  { sym: 'Cl', charge: -1 }, { sym: 'Br', charge: -1 }, { sym: 'NO3', charge: -1 }, { sym: 'OH', charge: -1 },
  { sym: 'SO4', charge: -2 }, { sym: 'CO3', charge: -2 }, { sym: 'PO4', charge: -3 },
];

function gcdInt(a: number, b: number): number {
  return b ? gcdInt(b, a % b) : a;
}

const isPolyatomic = (sym: string) => (sym.match(/[A-Z]/g) ?? []).length > 1;
function unit(sym: string, n: number): string {
  if (n === 1) return sym;
  return isPolyatomic(sym) ? `(${sym})${n}` : `${sym}${n}`;
}

/** Neutral salt of a cation and an anion: `Al2(SO4)3`; H with OH is water. */
export function salt(cat: Ion, an: Ion): string {
  if (cat.sym === 'H' && an.sym === 'OH') return 'H2O';
  const g = gcdInt(cat.charge, -an.charge);
  return unit(cat.sym, -an.charge / g) + unit(an.sym, cat.charge / g);
}

export const REDOX: readonly string[] = [
  'KMnO4+HCl=KCl+MnCl2+H2O+Cl2', 'Cu+HNO3=Cu(NO3)2+NO+H2O', 'K2Cr2O7+HCl=KCl+CrCl3+H2O+Cl2',
  'C6H12O6+O2=CO2+H2O', 'Fe2O3+CO=Fe+CO2', 'CuSO4·5H2O=CuSO4+H2O', 'Na2CO3·10H2O=Na2CO3+H2O',
  'MgSO4·7H2O=MgSO4+H2O', 'FeS2+O2=Fe2O3+SO2', 'NH3+O2=NO+H2O', 'Ca3(PO4)2+SiO2+C=CaSiO3+P4+CO',
  'KClO3=KCl+O2', 'Al+Fe2O3=Al2O3+Fe', 'Zn+HNO3=Zn(NO3)2+NH4NO3+H2O', 'As2S3+HNO3+H2O=H3AsO4+H2SO4+NO',
  'PbS+O2=PbO+SO2', 'Ag+HNO3=AgNO3+NO+H2O', 'MnO2+HCl=MnCl2+Cl2+H2O', 'H2S+SO2=S+H2O',
  'CaCl2·2H2O=CaCl2+H2O', 'Cu+H2SO4=CuSO4+SO2+H2O', 'NH4NO3=N2O+H2O', 'C12H22O11+O2=CO2+H2O',
  'Fe3O4+H2=Fe+H2O', 'P4+O2=P4O10', 'KI+H2SO4=K2SO4+I2+H2S+H2O',
];

export const IONIC: readonly string[] = [
  'MnO4^- + Fe^2+ + H^+ = Mn^2+ + Fe^3+ + H2O', 'Cr2O7^2- + Fe^2+ + H^+ = Cr^3+ + Fe^3+ + H2O',
  'MnO4^- + H^+ + e- = Mn^2+ + H2O', 'Cu + Ag^+ = Cu^2+ + Ag', 'Zn + H^+ = Zn^2+ + H2',
  'MnO4^- + C2O4^2- + H^+ = Mn^2+ + CO2 + H2O', 'Cr2O7^2- + H^+ + e- = Cr^3+ + H2O',
  'H2O2 + MnO4^- + H^+ = O2 + Mn^2+ + H2O', 'Al + OH^- + H2O = AlO2^- + H2', 'Fe^3+ + Sn^2+ = Fe^2+ + Sn^4+',
  'Al + Cu^2+ = Al^3+ + Cu', 'O2 + H^+ + e- = H2O', 'MnO4^- + SO3^2- + H^+ = Mn^2+ + SO4^2- + H2O',
  'Cl2 + OH^- = Cl^- + ClO3^- + H2O', 'Fe^2+ + H2O2 + H^+ = Fe^3+ + H2O', 'NO3^- + Cu + H^+ = NO + Cu^2+ + H2O',
  'Fe+3 + e- = Fe+2', 'I^- + IO3^- + H^+ = I2 + H2O',
];

const C = (n: number) => (n === 1 ? 'C' : `C${n}`);
/** Fuels for combustion: [family, smallest n, largest n]. */
const FUELS: [(n: number) => string, number, number][] = [
  [(n) => `${C(n)}H${2 * n + 2}`, 1, 10], // alkanes
  [(n) => `${C(n)}H${2 * n}`, 2, 10], // alkenes
  [(n) => `${C(n)}H${2 * n - 2}`, 2, 8], // alkynes
  [(n) => (n === 1 ? 'CH3OH' : `${C(n)}H${2 * n + 1}OH`), 1, 6], // alcohols
];

/** Left and right species lists for a level, before balancing. */
function draw(level: number, rng: Rng): { left: string[]; right: string[]; shuffle: boolean } {
  if (level === 1) {
    const kind = rng.int(4);
    let left: string[], right: string[];
    if (kind === 0) {
      const pairs = [['H2', 'O2', 'H2O'], ['N2', 'H2', 'NH3'], ['H2', 'Cl2', 'HCl'], ['H2', 'Br2', 'HBr'], ['H2', 'F2', 'HF'], ['N2', 'O2', 'NO2'], ['C', 'O2', 'CO'], ['S', 'O2', 'SO3'], ['P', 'O2', 'P2O5'], ['P', 'Cl2', 'PCl3']];
      const p = rng.pick(pairs);
      [left, right] = [[p[0], p[1]], [p[2]]];
    } else {
      const m = rng.pick(METALS);
      const x = rng.pick(NONMETALS);
      const compound = salt(m, { sym: x.sym, charge: x.charge });
      [left, right] = [[m.sym, x.el], [compound]];
    }
    return rng.int(4) === 0 ? { left: right, right: left, shuffle: false } : { left, right, shuffle: false };
  }
  if (level === 2) {
    const kind = rng.int(3);
    if (kind === 0) {
      const [family, lo, hi] = rng.pick(FUELS);
      const fuel = family(rng.range(lo, hi));
      return { left: [fuel, 'O2'], right: ['CO2', 'H2O'], shuffle: true };
    }
    const m = rng.pick(METALS.filter((x) => x.sym !== 'Cu'));
    if (kind === 1) {
      const acid = rng.pick([{ sym: 'Cl', charge: -1 }, { sym: 'Br', charge: -1 }]);
      return { left: [m.sym, `H${acid.sym}`], right: [salt(m, acid), 'H2'], shuffle: true };
    }
    return { left: [m.sym, 'H2O'], right: [salt(m, { sym: 'OH', charge: -1 }), 'H2'], shuffle: true };
  }
  if (level === 3) {
    for (;;) {
      const [a, c] = [rng.pick(CATIONS), rng.pick(CATIONS)];
      const [b, d] = [rng.pick(ANIONS), rng.pick(ANIONS)];
      if (a.sym === c.sym || b.sym === d.sym) continue;
      const left = [salt(a, b), salt(c, d)];
      if (left.includes('H2O')) continue;
      return { left, right: [salt(a, d), salt(c, b)], shuffle: true };
    }
  }
  const list = level === 4 ? REDOX : IONIC;
  const eq = parseEquation(rng.pick(list));
  return { left: eq.reactants.map((s) => s.text), right: eq.products.map((s) => s.text), shuffle: false };
}

/** Balancing is exact but not cheap; the task spaces are small, so remember each answer. */
const solved = new Map<string, number[] | null>();
function solve(equation: string): number[] | null {
  if (!solved.has(equation)) {
    const eq = parseEquation(equation);
    let coefs: number[] | null = null;
    try {
      coefs = balance(eq.reactants.map((s) => s.formula), eq.products.map((s) => s.formula));
    } catch {
      coefs = null;
    }
    solved.set(equation, coefs);
  }
  const c = solved.get(equation);
  return c ? [...c] : null;
}

export function chemTestFraction(level: number): number {
  return level >= 4 ? 0.25 : level === 1 ? 0.2 : 0.125;
}

export function generateChem(level: number, rng: Rng): Generated {
  if (!CHEM_LEVELS.includes(level)) throw new Error(`chem: unknown level ${level}; levels are ${CHEM_LEVELS.join(', ')}`);
  for (;;) {
    const { left, right, shuffle } = draw(level, rng);
    if (shuffle) {
      rng.shuffle(left);
      rng.shuffle(right);
    }
    const spaced = level === 5;
    const coefs = solve(renderEquation(left, right, [...left, ...right].map(() => 1), spaced));
    if (!coefs) continue; // a generated combination with no unique balancing: draw again
    // All-ones answers only ask the student to copy the prompt (fine in the curated lists).
    if (level <= 3 && coefs.every((c) => c === 1)) continue;
    const prompt = renderEquation(left, right, coefs.map(() => 1), spaced);
    const reference = renderEquation(left, right, coefs, spaced);
    return {
      prompt: `Q: ${prompt}\n`,
      // Species order is spelling, not substance: partition on the sorted species.
      key: `chem:${[...left].sort().join('+')}=${[...right].sort().join('+')}`,
      // Every science/math completion ends with an `A:` line, so one stop rule fits all.
      reference: `A: ${reference}`,
      meta: { kind: 'chem', equation: prompt, coefficients: coefs },
    };
  }
}
