/**
 * The statistics a report needs: means, standard errors and 95% intervals (Student t over a
 * handful of seeds; Wilson for a proportion over test prompts), and averaging learning
 * curves over seeds whose x values (steps, tokens, seconds) need not line up.
 */

export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** Sample standard deviation (n - 1 in the denominator); NaN below 2 values. */
export function std(xs: readonly number[]): number {
  if (xs.length < 2) return NaN;
  const m = mean(xs);
  let s = 0;
  for (const x of xs) s += (x - m) * (x - m);
  return Math.sqrt(s / (xs.length - 1));
}

export function stderr(xs: readonly number[]): number {
  return std(xs) / Math.sqrt(xs.length);
}

// Two-sided 95% critical values of Student's t (the 0.975 quantile) for df = 1..30.
// prettier-ignore
const T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
  2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042];
// Beyond 30: known points, interpolated linearly in 1/df (the quantile is nearly linear in it).
const T975_TAIL: [number, number][] = [[30, 2.042], [40, 2.021], [60, 2.0], [120, 1.98], [Infinity, 1.96]];

/** The 0.975 quantile of Student's t with df degrees of freedom (df >= 1). */
export function tCritical95(df: number): number {
  if (!(df >= 1)) throw new Error(`t quantile needs df >= 1, got ${df}`);
  if (df <= 30 && Number.isInteger(df)) return T975[df - 1];
  for (let i = 1; i < T975_TAIL.length; i++) {
    const [d0, t0] = T975_TAIL[i - 1], [d1, t1] = T975_TAIL[i];
    if (df <= d1) {
      const u0 = 1 / d0, u1 = d1 === Infinity ? 0 : 1 / d1;
      return t0 + ((1 / df - u0) / (u1 - u0)) * (t1 - t0);
    }
  }
  return 1.96;
}

export interface Interval {
  mean: number;
  /** Bounds of the 95% interval; equal to the mean when it cannot be computed (n < 2). */
  lo: number;
  hi: number;
  n: number;
  /** false when there were too few values for an interval. */
  ok: boolean;
}

/** 95% confidence interval of the mean with Student's t (right for a few seeds). */
export function tInterval(xs: readonly number[]): Interval {
  const vals = xs.filter(Number.isFinite);
  const m = mean(vals);
  if (vals.length < 2) return { mean: m, lo: m, hi: m, n: vals.length, ok: false };
  const h = tCritical95(vals.length - 1) * stderr(vals);
  return { mean: m, lo: m - h, hi: m + h, n: vals.length, ok: true };
}

/**
 * Wilson score interval (95%) for a proportion of k successes in n trials: unlike
 * p +- 1.96 sqrt(p(1-p)/n) it stays inside [0, 1] and is sensible at p = 0 or 1.
 */
export function wilsonInterval(k: number, n: number, z = 1.959964): Interval {
  if (!(n > 0)) return { mean: NaN, lo: NaN, hi: NaN, n: 0, ok: false };
  if (k < 0 || k > n) throw new Error(`wilsonInterval: ${k} successes out of ${n} trials is impossible`);
  const p = k / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { mean: p, lo: Math.max(0, centre - half), hi: Math.min(1, centre + half), n, ok: true };
}

export interface Curve {
  x: readonly number[];
  y: readonly number[];
}

export interface AggregatedCurve {
  x: number[];
  mean: number[];
  /** 95% t-interval over the curves present at each x (NaN where fewer than 2). */
  lo: number[];
  hi: number[];
  /** How many curves contributed at each x. */
  n: number[];
  /** 'exact' when every curve had the same x values; 'interpolated' otherwise. */
  alignment: 'exact' | 'interpolated';
}

/** Sorted finite points of a curve; a repeated x keeps its last value (a resumed run rewrote it). */
function cleanCurve(c: Curve): { x: number[]; y: number[] } {
  if (c.x.length !== c.y.length) throw new Error(`curve has ${c.x.length} x values but ${c.y.length} y values`);
  const byX = new Map<number, number>();
  c.x.forEach((x, i) => {
    if (Number.isFinite(x) && Number.isFinite(c.y[i])) byX.set(x, c.y[i]);
  });
  const x = [...byX.keys()].sort((a, b) => a - b);
  return { x, y: x.map((v) => byX.get(v)!) };
}

/**
 * Shorten a long curve to at most maxPoints by averaging consecutive runs of points (x and y
 * alike): a training metric logged at every one of 10,000 steps is noise at chart resolution,
 * and averaging windows shows its trend. Curves of equal x values stay aligned after binning.
 */
export function binCurve(c: Curve, maxPoints: number): { x: number[]; y: number[] } {
  const { x, y } = cleanCurve(c);
  if (x.length <= maxPoints) return { x, y };
  const per = Math.ceil(x.length / maxPoints);
  const bx: number[] = [], by: number[] = [];
  for (let i = 0; i < x.length; i += per) {
    const end = Math.min(x.length, i + per);
    let sx = 0, sy = 0;
    for (let j = i; j < end; j++) {
      sx += x[j];
      sy += y[j];
    }
    bx.push(sx / (end - i));
    by.push(sy / (end - i));
  }
  return { x: bx, y: by };
}

/** Linear interpolation of a sorted curve at x (undefined outside its range). */
export function interpolate(cx: readonly number[], cy: readonly number[], x: number): number | undefined {
  if (cx.length === 0 || x < cx[0] || x > cx[cx.length - 1]) return undefined;
  let lo = 0, hi = cx.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (cx[mid] <= x) lo = mid;
    else hi = mid;
  }
  if (cx[lo] === x) return cy[lo];
  if (cx[hi] === x) return cy[hi];
  const t = (x - cx[lo]) / (cx[hi] - cx[lo]);
  return cy[lo] + t * (cy[hi] - cy[lo]);
}

/**
 * Average curves (one per seed) into a mean curve with a 95% band.
 * When every curve has the same x values (evaluations every N steps), points are aligned
 * exactly. Otherwise (tokens or seconds differ per seed) each curve is interpolated linearly
 * onto a common grid: the union of x values, thinned to at most `maxPoints`, restricted to
 * the range every curve covers, so the mean never silently switches which seeds it averages.
 * Only if the curves do not overlap at all is each x averaged over the curves that cover it.
 */
export function aggregateCurves(curves: readonly Curve[], maxPoints = 200): AggregatedCurve {
  const cs = curves.map(cleanCurve).filter((c) => c.x.length > 0);
  const out: AggregatedCurve = { x: [], mean: [], lo: [], hi: [], n: [], alignment: 'exact' };
  if (cs.length === 0) return out;
  const same = cs.every((c) => c.x.length === cs[0].x.length && c.x.every((v, i) => v === cs[0].x[i]));
  let grid: number[];
  if (same) {
    grid = cs[0].x;
  } else {
    out.alignment = 'interpolated';
    const lo = Math.max(...cs.map((c) => c.x[0]));
    const hi = Math.min(...cs.map((c) => c.x[c.x.length - 1]));
    const all = [...new Set(cs.flatMap((c) => c.x))].sort((a, b) => a - b);
    grid = lo <= hi ? all.filter((v) => v >= lo && v <= hi) : all;
    if (grid.length > maxPoints) {
      const g0 = grid[0], g1 = grid[grid.length - 1];
      grid = Array.from({ length: maxPoints }, (_, i) => g0 + ((g1 - g0) * i) / (maxPoints - 1));
    }
  }
  for (const x of grid) {
    const ys = cs.map((c) => interpolate(c.x, c.y, x)).filter((v): v is number => v !== undefined);
    if (ys.length === 0) continue;
    const iv = tInterval(ys);
    out.x.push(x);
    out.mean.push(iv.mean);
    out.lo.push(iv.ok ? iv.lo : NaN);
    out.hi.push(iv.ok ? iv.hi : NaN);
    out.n.push(ys.length);
  }
  return out;
}
