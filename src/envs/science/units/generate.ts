/**
 * Unit-conversion tasks by level (`Q: 5 km/h to m/s`). The reference writes one factor per
 * line, `5 km/h * 1000 m/km = 5000 m/h`, then `A: 1.3889 m/s`.
 *  1  one factor, multiply, small integers (`3 km to m`)
 *  2  one factor either way, integer results (`3000 m to km`, `36 in to ft`)
 *  3  rates and densities: two factors (`km/h to m/s`, `g/cm^3 to kg/m^3`)
 *  4  chains through an intermediate unit (`2 h to s` via min, `mi to m` via km)
 *  6  the hidden unit to metres (`3 zap to m`): 1 zap is a power of ten metres that the
 *     env's world fixes (default 100) and the prompt does not say; feedback on a wrong factor
 *     reveals it (the learning regime, docs/learning-regime.md)
 *  7  the hidden unit through metres to cm or mm (`3 zap to cm`)
 *  8  one of four hidden units (zap, vok, tez, mib) to metres (`3 vok to m`), each with its
 *     own size in the world (default zap 100, vok 10, tez 1000, mib 10000 m)
 *  9  the same through metres to cm or mm
 * With one hidden unit a model trained on uniformly drawn sizes decodes the same size for every
 * prompt, so its greedy accuracy in a fixed world is 0% or 100%; with four units, each its own
 * fact, it is the share of units whose believed size the world happens to use.
 */
import type { Rng } from '../../../util/rng.ts';
import type { Generated } from '../../loaders/split.ts';
import { HIDDEN_UNIT, HOUSE_UNITS, UNITS, formatNumber, formatUnit, multiply, parseUnit, type KnownScales, type Unit } from './units.ts';

export const UNIT_LEVELS: readonly number[] = [1, 2, 3, 4, 6, 7, 8, 9];
/** Levels with a hidden unit. */
export const HIDDEN_UNIT_LEVELS: readonly number[] = [6, 7, 8, 9];
/** Levels with the four house units. */
export const HOUSE_UNIT_LEVELS: readonly number[] = [8, 9];

/** The world of the hidden unit: its possible sizes in metres (one, at RL time). */
export interface HiddenUnit {
  scales: readonly number[];
}
export const DEFAULT_HIDDEN_UNIT: HiddenUnit = { scales: [100] };

/** The world of the house units (levels 8-9): per unit, its possible sizes in metres. */
export type HouseUnits = Readonly<Record<string, readonly number[]>>;
/** The RL world: one size per unit (fixed before any model was trained on it). */
export const DEFAULT_HOUSE_UNITS: HouseUnits = { zap: [100], vok: [10], tez: [1000], mib: [10000] };

/** A conversion factor `N A/M B` (multiply by it to turn B into A). */
export interface Factor {
  n: number;
  a: string;
  m: number;
  b: string;
}

const near = (x: number) => Math.abs(x - Math.round(x)) < 1e-9 * Math.max(1, Math.abs(x));

/** The factor turning `from` into `to` (each a symbol with an optional exponent). */
export function factorFor(from: string, to: string, known: KnownScales = {}): Factor {
  const r = scaleOf(from, known) / scaleOf(to, known); // how many `to` in one `from`
  if (r >= 1 && near(r)) return { n: Math.round(r), a: to, m: 1, b: from };
  if (r < 1 && near(1 / r)) return { n: 1, a: to, m: Math.round(1 / r), b: from };
  return { n: Number(formatNumber(r)), a: to, m: 1, b: from };
}

function scaleOf(symPow: string, known: KnownScales): number {
  const [s, e] = symPow.split('^');
  return (known[s] ?? UNITS[s].scale) ** (e ? Number(e) : 1);
}

export function formatFactor(f: Factor): string {
  return f.m === 1 ? `${f.n} ${f.a}/${f.b}` : `${f.n} ${f.a}/${f.m} ${f.b}`;
}

export function factorUnit(f: Factor): Unit {
  return multiply(parseUnit(f.a), parseUnit(f.b), -1);
}

/** Applies the factors in order, writing one line per factor, as the reference does. */
export function conversionSteps(value: number, unit: string, factors: Factor[]): { steps: string[]; value: number; unit: string } {
  let v = value;
  let u = parseUnit(unit);
  const steps: string[] = [];
  for (const f of factors) {
    const nv = Number(formatNumber((v * f.n) / f.m));
    const nu = multiply(u, factorUnit(f));
    steps.push(`${formatNumber(v)} ${formatUnit(u)} * ${formatFactor(f)} = ${formatNumber(nv)} ${formatUnit(nu)}`);
    [v, u] = [nv, nu];
  }
  return { steps, value: v, unit: formatUnit(u) };
}

const L1: [string, string][] = [['km', 'm'], ['m', 'cm'], ['m', 'mm'], ['cm', 'mm'], ['kg', 'g'], ['g', 'mg'], ['L', 'mL'], ['h', 'min'], ['min', 's'], ['day', 'h']];
const L2: [string, string][] = [...L1, ['ft', 'in'], ['yd', 'ft'], ['lb', 'oz']];
/** Rates: [from, to, factors as [from, to, inDenominator]]. */
const RATES: [string, string, [string, string, boolean][]][] = [
  ['km/h', 'm/s', [['km', 'm', false], ['h', 's', true]]],
  ['m/s', 'km/h', [['m', 'km', false], ['s', 'h', true]]],
  ['g/cm^3', 'kg/m^3', [['g', 'kg', false], ['cm^3', 'm^3', true]]],
  ['kg/m^3', 'g/cm^3', [['kg', 'g', false], ['m^3', 'cm^3', true]]],
  ['L/min', 'mL/s', [['L', 'mL', false], ['min', 's', true]]],
  ['m/min', 'cm/s', [['m', 'cm', false], ['min', 's', true]]],
  ['mi/h', 'km/h', [['mi', 'km', false]]],
  ['g/L', 'mg/mL', [['g', 'mg', false], ['L', 'mL', true]]],
];
const CHAINS: string[][] = [['h', 'min', 's'], ['day', 'h', 'min'], ['ft', 'in', 'cm'], ['mi', 'km', 'm'], ['yd', 'ft', 'in'], ['lb', 'kg', 'g'], ['km', 'm', 'cm']];

function finish(value: number, from: string, to: string, factors: Factor[], extra: Record<string, unknown> = {}): Generated {
  const { steps, value: v } = conversionSteps(value, from, factors);
  const answer = `${formatNumber(v)} ${to}`;
  return {
    prompt: `Q: ${formatNumber(value)} ${from} to ${to}\n`,
    reference: [...steps, `A: ${answer}`].join('\n'),
    meta: { kind: 'units', value, from, to, answer: v, steps, ...extra },
  };
}

export function generateUnits(level: number, rng: Rng, hidden: HiddenUnit = DEFAULT_HIDDEN_UNIT, house: HouseUnits = DEFAULT_HOUSE_UNITS): Generated {
  if (HIDDEN_UNIT_LEVELS.includes(level)) {
    const unit = HOUSE_UNIT_LEVELS.includes(level) ? rng.pick([...HOUSE_UNITS]) : HIDDEN_UNIT;
    const scales = HOUSE_UNIT_LEVELS.includes(level) ? house[unit] : hidden.scales;
    const size = rng.pick([...scales]);
    const known = { [unit]: size };
    const to = level === 6 || level === 8 ? 'm' : rng.pick(['cm', 'mm']);
    const factors = [factorFor(unit, 'm', known), ...(to === 'm' ? [] : [factorFor('m', to)])];
    // Values up to 999 give each level a prompt space large enough for a test split.
    return finish(rng.range(1, 999), unit, to, factors, { hidden: { unit, scale: size, candidates: [...scales] } });
  }
  if (level === 1) {
    const [from, to] = rng.pick(L1);
    return finish(rng.range(1, 20), from, to, [factorFor(from, to)]);
  }
  if (level === 2) {
    const [big, small] = rng.pick(L2);
    const f = factorFor(big, small).n;
    const k = rng.range(1, 30);
    return rng.int(2) ? finish(k, big, small, [factorFor(big, small)]) : finish(k * f, small, big, [factorFor(small, big)]);
  }
  if (level === 3) {
    const [from, to, conv] = rng.pick(RATES);
    const factors = conv.map(([a, b, den]) => (den ? factorFor(b, a) : factorFor(a, b)));
    // A denominator conversion multiplies by (old/new): factorFor(new, old) reads "n old/m new".
    return finish(rng.range(1, 120), from, to, factors);
  }
  if (level === 4) {
    const chain = [...rng.pick(CHAINS)];
    if (rng.int(2)) chain.reverse();
    const factors = chain.slice(1).map((to, i) => factorFor(chain[i], to));
    return finish(rng.range(1, 50), chain[0], chain[chain.length - 1], factors);
  }
  throw new Error(`units: unknown level ${level}; levels are ${UNIT_LEVELS.join(', ')}`);
}
