/**
 * Units as products of symbols with exponents (`km/h` = {km: 1, h: -1}), each symbol with a
 * dimension and a scale to SI. Conversions are checked by dimensional analysis: a factor
 * `N A/M B` is valid iff A and B have the same dimension and N·A = M·B.
 */
export type Dim = Record<string, number>; // base dimension -> exponent (L, M, T)

interface UnitDef {
  dim: Dim;
  /** Size of one unit in SI base units. */
  scale: number;
}

export const UNITS: Readonly<Record<string, UnitDef>> = {
  mm: { dim: { L: 1 }, scale: 1e-3 }, cm: { dim: { L: 1 }, scale: 1e-2 }, m: { dim: { L: 1 }, scale: 1 },
  km: { dim: { L: 1 }, scale: 1e3 }, in: { dim: { L: 1 }, scale: 0.0254 }, ft: { dim: { L: 1 }, scale: 0.3048 },
  yd: { dim: { L: 1 }, scale: 0.9144 }, mi: { dim: { L: 1 }, scale: 1609.344 },
  mg: { dim: { M: 1 }, scale: 1e-6 }, g: { dim: { M: 1 }, scale: 1e-3 }, kg: { dim: { M: 1 }, scale: 1 },
  lb: { dim: { M: 1 }, scale: 0.45359237 }, oz: { dim: { M: 1 }, scale: 0.028349523125 },
  s: { dim: { T: 1 }, scale: 1 }, min: { dim: { T: 1 }, scale: 60 }, h: { dim: { T: 1 }, scale: 3600 },
  day: { dim: { T: 1 }, scale: 86400 },
  mL: { dim: { L: 3 }, scale: 1e-6 }, L: { dim: { L: 3 }, scale: 1e-3 },
  // The hidden unit of levels 6-7: a length whose size is a fact of the env's world, not of
  // this table (NaN here); tasks carry it, and scale() takes it from them.
  zap: { dim: { L: 1 }, scale: NaN },
  // Levels 8-9: four such house lengths, each with its own size in the world.
  vok: { dim: { L: 1 }, scale: NaN }, tez: { dim: { L: 1 }, scale: NaN }, mib: { dim: { L: 1 }, scale: NaN },
};

/** The hidden unit's symbol (science levels 6-7). */
export const HIDDEN_UNIT = 'zap';
/** The hidden units of science levels 8-9. */
export const HOUSE_UNITS: readonly string[] = ['zap', 'vok', 'tez', 'mib'];

/** Scales that a task knows and the table does not (the hidden unit's), symbol -> SI scale. */
export type KnownScales = Readonly<Record<string, number>>;

/** Symbol -> exponent, in order of appearance; zero exponents removed. */
export type Unit = Map<string, number>;

export class UnitError extends Error {}

function parseTerm(t: string, sign: number, into: Unit, whole: string): void {
  const m = /^([A-Za-z]+)(?:\^(-?\d+))?$/.exec(t);
  if (!m) throw new UnitError(`cannot read '${t}' in unit '${whole}'`);
  if (!(m[1] in UNITS)) throw new UnitError(`unknown unit '${m[1]}' (known: ${Object.keys(UNITS).join(', ')})`);
  const e = (m[2] === undefined ? 1 : Number(m[2])) * sign;
  into.set(m[1], (into.get(m[1]) ?? 0) + e);
  if (into.get(m[1]) === 0) into.delete(m[1]);
}

/** `m/s^2`, `kg/m^3`, `g/cm^3`, `N.m` style products with `.`; everything after `/` divides. */
export function parseUnit(text: string): Unit {
  const s = text.replace(/\s+/g, '');
  if (!s) throw new UnitError('missing unit');
  const [num, ...dens] = s.split('/');
  const u: Unit = new Map();
  if (num !== '1') for (const t of num.split(/[.·]/)) parseTerm(t, 1, u, text);
  for (const d of dens) for (const t of d.split(/[.·]/)) parseTerm(t, -1, u, text);
  return u;
}

export function formatUnit(u: Unit): string {
  const part = (sym: string, e: number) => (e === 1 ? sym : `${sym}^${e}`);
  const num = [...u].filter(([, e]) => e > 0).map(([s, e]) => part(s, e));
  const den = [...u].filter(([, e]) => e < 0).map(([s, e]) => part(s, -e));
  return (num.length ? num.join('.') : '1') + den.map((d) => `/${d}`).join('');
}

export function multiply(a: Unit, b: Unit, power = 1): Unit {
  const out: Unit = new Map(a);
  for (const [s, e] of b) {
    const v = (out.get(s) ?? 0) + e * power;
    if (v === 0) out.delete(s);
    else out.set(s, v);
  }
  return out;
}

export function sameUnit(a: Unit, b: Unit): boolean {
  return a.size === b.size && [...a].every(([s, e]) => b.get(s) === e);
}

export function dimension(u: Unit): Dim {
  const d: Dim = {};
  for (const [s, e] of u) for (const [k, v] of Object.entries(UNITS[s].dim)) d[k] = (d[k] ?? 0) + v * e;
  for (const k of Object.keys(d)) if (d[k] === 0) delete d[k];
  return d;
}

export function sameDimension(a: Unit, b: Unit): boolean {
  const [x, y] = [dimension(a), dimension(b)];
  const keys = new Set([...Object.keys(x), ...Object.keys(y)]);
  return [...keys].every((k) => (x[k] ?? 0) === (y[k] ?? 0));
}

export function scale(u: Unit, known: KnownScales = {}): number {
  let f = 1;
  for (const [s, e] of u) f *= (known[s] ?? UNITS[s].scale) ** e;
  return f;
}

export function close(a: number, b: number, rel: number): boolean {
  return Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b)) || a === b;
}

/** Up to 5 significant digits, no exponent, no trailing zeros: 1.3889, 3000, 0.00027778. */
export function formatNumber(x: number): string {
  if (Number.isInteger(x)) return String(x);
  const r = Number(x.toPrecision(5));
  if (Number.isInteger(r)) return String(r);
  const digits = Math.max(0, 4 - Math.floor(Math.log10(Math.abs(r))));
  return r.toFixed(Math.min(digits, 12)).replace(/0+$/, '').replace(/\.$/, '');
}
