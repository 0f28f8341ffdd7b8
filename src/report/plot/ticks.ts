/**
 * Axis ticks at "nice" values (1, 2, 2.5 or 5 times a power of ten) and their labels.
 * A linear axis is widened to the enclosing ticks, so the data never touches the frame at an
 * unlabelled spot; a log axis uses powers of ten (with 2 and 5 between when it spans few decades).
 */

export interface Axis {
  min: number;
  max: number;
  ticks: number[];
  log: boolean;
}

/** The nice step for covering `span` with about `target` intervals. */
export function niceStep(span: number, target: number): number {
  if (!(span > 0) || !Number.isFinite(span)) return 1;
  const raw = span / Math.max(1, target);
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  const m = raw / p;
  const nice = m <= 1 ? 1 : m <= 2 ? 2 : m <= 2.5 ? 2.5 : m <= 5 ? 5 : 10;
  return nice * p;
}

/**
 * Ticks for a linear axis over [lo, hi], widened to the nearest ticks outside. With
 * `integer` (e.g. steps) ticks fall on whole numbers only: no "2.5" step labels. A `tight`
 * axis ends at the data instead (x axes: no empty strip after the last point).
 */
export function linearAxis(lo: number, hi: number, target = 5, integer = false, tight = false): Axis {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) {
    lo = 0;
    hi = 1;
  }
  if (lo > hi) [lo, hi] = [hi, lo];
  if (lo === hi) {
    // A flat series: give it a unit-sized window around its value.
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  let step = niceStep(hi - lo, target);
  if (integer && !Number.isInteger(step)) step = Math.max(1, Math.floor(step));
  const min = Math.floor(lo / step + 1e-9) * step;
  const max = Math.ceil(hi / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let i = 0; min + i * step <= max + step * 1e-9; i++) ticks.push(cleanFloat(min + i * step));
  if (tight) {
    const inside = ticks.filter((t) => t >= lo - step * 1e-9 && t <= hi + step * 1e-9);
    return { min: lo, max: hi, ticks: inside, log: false };
  }
  return { min: cleanFloat(min), max: cleanFloat(max), ticks, log: false };
}

/** Ticks for a log axis over [lo, hi] (both must be > 0). */
export function logAxis(lo: number, hi: number): Axis {
  if (!(lo > 0) || !(hi > 0)) throw new Error(`log axis needs positive bounds, got [${lo}, ${hi}]`);
  if (lo > hi) [lo, hi] = [hi, lo];
  const e0 = Math.floor(Math.log10(lo) + 1e-9);
  let e1 = Math.ceil(Math.log10(hi) - 1e-9);
  if (e1 === e0) e1 = e0 + 1;
  const mults = e1 - e0 <= 2 ? [1, 2, 5] : [1];
  const ticks: number[] = [];
  for (let e = e0; e <= e1; e++) {
    for (const m of mults) {
      const v = cleanFloat(m * Math.pow(10, e));
      if (v <= Math.pow(10, e1) * (1 + 1e-9)) ticks.push(v);
    }
  }
  return { min: Math.pow(10, e0), max: Math.pow(10, e1), ticks, log: true };
}

/** Map a data value to [0, 1] along an axis. */
export function axisFraction(axis: Axis, v: number): number {
  if (axis.log) return (Math.log10(v) - Math.log10(axis.min)) / (Math.log10(axis.max) - Math.log10(axis.min));
  return (v - axis.min) / (axis.max - axis.min);
}

/** Remove binary noise such as 0.30000000000000004. */
function cleanFloat(v: number): number {
  return Number.parseFloat(v.toPrecision(12));
}

/**
 * Labels for a set of ticks: the same number of decimals for all, just enough to tell
 * neighbours apart; thousands and millions shortened to k and M.
 */
export function tickLabels(ticks: number[], log = false): string[] {
  if (log) return ticks.map(compactNumber);
  const maxAbs = Math.max(0, ...ticks.map(Math.abs));
  const [div, suffix] = maxAbs >= 1e9 ? [1e9, 'G'] : maxAbs >= 1e6 ? [1e6, 'M'] : maxAbs >= 1e4 ? [1e3, 'k'] : [1, ''];
  const scaled = ticks.map((t) => t / div);
  // Smallest number of decimals (up to 6) that keeps every label distinct and exact enough.
  let decimals = 0;
  while (decimals < 6 && !scaled.every((v) => Math.abs(Number(v.toFixed(decimals)) - v) < 1e-9 * Math.max(1, Math.abs(v)))) {
    decimals++;
  }
  return scaled.map((v) => (v === 0 ? '0' : v.toFixed(decimals) + suffix));
}

/** One number in a short form for a single label: 1.5M, 250k, 0.125, 3. */
export function compactNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  const [div, suffix] = a >= 1e9 ? [1e9, 'G'] : a >= 1e6 ? [1e6, 'M'] : a >= 1e4 ? [1e3, 'k'] : [1, ''];
  const s = Number.parseFloat((v / div).toPrecision(3)).toString();
  return s + suffix;
}
