/**
 * Sample efficiency against a reference method (GRPO by default): how many sampled tokens each
 * method needs before its accuracy reaches the reference's final accuracy. Computed on either
 * accuracy an evaluation records (greedy or sampled; the same definitions for both).
 *
 * Definitions (all per env):
 * - target: the reference's final accuracy, the mean over its seeds of their last evaluation
 *   (the number in the final table).
 * - a group's crossing: the first sampled-token count at which its seed-mean accuracy curve
 *   reaches the target. The seed-mean curve is `accuracyCurve(group, 'sampled_tokens')` with
 *   every x value kept: each seed's curve is linear between its evaluations and, once its
 *   budget is spent, stays at its final accuracy (its last model) up to the group's longest
 *   seed; the seeds are interpolated onto the union of their x values and averaged there. So
 *   the mean curve ends at the mean of the final accuracies (a reference reaches its own
 *   target at the latest at its budget). The crossing itself is interpolated linearly between the
 *   two grid points around it; a curve already at the target at its first point crosses there.
 * - reference budget: the sampled tokens at the reference's last evaluation (mean over its
 *   seeds), i.e. the budget it used to reach the target. fraction = crossing / budget.
 *   The reference's own first crossing is reported too (it can be earlier than its budget
 *   when its accuracy peaked before the end).
 * - per seed: the same crossing on each seed's own curve, against the same target, to show
 *   the spread (undefined when that seed never reaches it).
 */
import { accuracyCurve, finalResult, METRIC_NAME, type Metric } from './analyze.ts';
import { aggregateCurves } from './stats.ts';
import type { Group } from './runs.ts';

/** Accuracies this close (in percent) count as equal: the target and a curve point are means computed two ways. */
const EPS = 1e-9;

export interface SeedCrossing {
  /** The run folder's name and its seed, when the config says. */
  run: string;
  seed?: number;
  /** Sampled tokens at which this seed's curve first reaches the target. */
  tokens?: number;
  /** Sampled tokens at this seed's last evaluation. */
  budget?: number;
}

export interface EfficiencyRow {
  label: string;
  /** Final accuracy (percent, mean over seeds). */
  final: number;
  seeds: number;
  /** Sampled tokens at which the seed-mean curve first reaches the target; undefined if never. */
  tokens?: number;
  /** tokens / the reference's budget. */
  fraction?: number;
  /** The curve was at the target at its first evaluation already. */
  atStart: boolean;
  /** The highest point of the seed-mean curve (percent): how close a group that never reached it came. */
  best: number;
  /** Sampled tokens at this group's last evaluation (mean over seeds). */
  budget?: number;
  /** fraction <= maxFraction (false when not reached). */
  within: boolean;
  isReference: boolean;
  perSeed: SeedCrossing[];
}

export interface Efficiency {
  env: string;
  /** Which accuracy: greedy (T=0) or sampled (avg@k). */
  metric: Metric;
  reference: string;
  /** The reference's final accuracy (percent). */
  target: number;
  /** Sampled tokens at the reference's last evaluation, mean over its seeds. */
  referenceBudget?: number;
  /** First crossing of the target by the reference's own seed-mean curve. */
  referenceTokens?: number;
  /** The fraction of the reference's budget the verdict column tests against. */
  maxFraction: number;
  /** The reference first, then the other methods by final accuracy (highest first). */
  rows: EfficiencyRow[];
}

export interface EfficiencyOptions {
  /** Label of the reference method (default 'grpo'). */
  reference?: string;
  /** Factor from stored accuracy to percent (see percentFactor; default 100). */
  pct?: number;
  /** Threshold for the verdict (default 1/3). */
  maxFraction?: number;
  /** The accuracy compared (default 'sampled'). */
  metric?: Metric;
}

/**
 * First x at which a sorted piecewise-linear curve reaches `target` (y >= target), interpolated
 * between the two points around the crossing; undefined if it never does.
 */
export function firstCrossing(x: readonly number[], y: readonly number[], target: number): number | undefined {
  for (let i = 0; i < x.length; i++) {
    if (!(y[i] >= target - EPS)) continue;
    if (i === 0) return x[0];
    const y0 = y[i - 1], y1 = y[i];
    const t = Math.min(1, Math.max(0, (target - y0) / (y1 - y0)));
    return x[i - 1] + t * (x[i] - x[i - 1]);
  }
  return undefined;
}

function meanOf(xs: number[]): number | undefined {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : undefined;
}

/**
 * The seed-mean curve against sampled tokens. A seed whose run ended (its budget spent) before
 * the group's longest seed keeps its final accuracy from there on: the run's last model is what
 * that budget bought. So the curve reaches the longest seed's budget and its last point is the
 * mean of the seeds' final accuracies, the number in the final table.
 */
function tokenCurve(group: Group, pct: number, metric: Metric): { x: number[]; y: number[]; seeds: number } {
  const perSeed = group.runs
    .map((r) => accuracyCurve({ ...group, runs: [r] }, 'sampled_tokens', pct, Infinity, metric))
    .filter((c) => c.x.length > 0)
    .map((c) => ({ x: [...c.x], y: [...c.mean] }));
  if (perSeed.length === 0) return { x: [], y: [], seeds: 0 };
  const end = Math.max(...perSeed.map((c) => c.x[c.x.length - 1]));
  for (const c of perSeed) if (c.x[c.x.length - 1] < end) [c.x, c.y] = [[...c.x, end], [...c.y, c.y[c.y.length - 1]]];
  const agg = aggregateCurves(perSeed, Infinity);
  const keep = agg.x.map((_, i) => agg.n[i] === perSeed.length);
  return { x: agg.x.filter((_, i) => keep[i]), y: agg.mean.filter((_, i) => keep[i]), seeds: perSeed.length };
}

/**
 * Tokens to reach the reference's final accuracy, for every group on `env`. Undefined when the
 * reference label has no result on that env (or none with sampled_tokens).
 */
export function efficiency(groups: readonly Group[], env: string, opts: EfficiencyOptions = {}): Efficiency | undefined {
  const reference = opts.reference ?? 'grpo';
  const pct = opts.pct ?? 100;
  const maxFraction = opts.maxFraction ?? 1 / 3;
  const metric = opts.metric ?? 'sampled';
  const inEnv = groups.filter((g) => g.env === env);
  const ref = inEnv.find((g) => g.label === reference);
  if (!ref) return undefined;
  const refFinal = finalResult(ref, pct, metric);
  if (!refFinal) return undefined;
  const target = refFinal.final.mean;
  const seedCurves = (g: Group) =>
    g.runs.map((r) => ({ run: r, c: tokenCurve({ ...g, runs: [r] }, pct, metric) })).filter((s) => s.c.x.length > 0);
  const refSeeds = seedCurves(ref);
  if (refSeeds.length === 0) return undefined;
  const referenceBudget = meanOf(refSeeds.map((s) => s.c.x[s.c.x.length - 1]));
  const rows: EfficiencyRow[] = [];
  for (const g of inEnv) {
    const fr = finalResult(g, pct, metric);
    const curve = tokenCurve(g, pct, metric);
    if (!fr || curve.x.length === 0) continue;
    const seeds = seedCurves(g);
    const tokens = firstCrossing(curve.x, curve.y, target);
    const fraction = tokens !== undefined && referenceBudget ? tokens / referenceBudget : undefined;
    rows.push({
      label: g.label,
      final: fr.final.mean,
      seeds: fr.seeds,
      tokens,
      fraction,
      atStart: tokens !== undefined && tokens === curve.x[0],
      best: Math.max(...curve.y),
      budget: meanOf(seeds.map((s) => s.c.x[s.c.x.length - 1])),
      within: fraction !== undefined && fraction <= maxFraction + EPS,
      isReference: g === ref,
      perSeed: seeds.map((s) => ({
        run: s.run.name,
        seed: s.run.seed,
        tokens: firstCrossing(s.c.x, s.c.y, target),
        budget: s.c.x[s.c.x.length - 1],
      })),
    });
  }
  rows.sort((a, b) => Number(b.isReference) - Number(a.isReference) || b.final - a.final || a.label.localeCompare(b.label));
  const refRow = rows.find((r) => r.isReference);
  return { env, metric, reference, target, referenceBudget, referenceTokens: refRow?.tokens, maxFraction, rows };
}

/** efficiency() for every env that has the reference, in the groups' env order. */
export function efficiencyByEnv(groups: readonly Group[], opts: EfficiencyOptions = {}): Map<string, Efficiency> {
  const out = new Map<string, Efficiency>();
  for (const env of [...new Set(groups.map((g) => g.env))]) {
    const e = efficiency(groups, env, opts);
    if (e) out.set(env, e);
  }
  return out;
}

/** "1/3" for 1/3, else the fraction with up to 3 decimals. */
export function fractionName(f: number): string {
  for (let d = 2; d <= 10; d++) if (Math.abs(f * d - Math.round(f * d)) < 1e-9 && Math.round(f * d) === 1) return `1/${d}`;
  return String(Number(f.toFixed(3)));
}

/** Token counts as people read them: 12,345. */
export function fmtTokens(t: number | undefined): string {
  return t === undefined ? '–' : Math.round(t).toLocaleString('en-US');
}

/** The cells of one row, as plain text, shared by the HTML, markdown and terminal tables. */
export function efficiencyCells(e: Efficiency, r: EfficiencyRow): { method: string; final: string; tokens: string; fraction: string; verdict: string; perSeed: string } {
  const tokens = r.tokens === undefined
    ? `not reached (best ${r.best.toFixed(1)}%)`
    : `${fmtTokens(r.tokens)}${r.atStart ? ' (at first eval)' : ''}`;
  return {
    method: r.isReference ? `${r.label} (reference)` : r.label,
    final: `${r.final.toFixed(1)}%`,
    tokens,
    fraction: r.fraction === undefined ? '–' : `${(r.fraction * 100).toFixed(1)}%`,
    verdict: r.isReference ? '–' : r.within ? 'yes' : 'no',
    perSeed: r.perSeed.map((s) => (s.tokens === undefined ? 'not reached' : fmtTokens(s.tokens))).join(' / '),
  };
}

export const EFFICIENCY_HEAD = (e: Efficiency): string[] => [
  'method',
  `final ${e.metric} accuracy`,
  'tokens to reach target',
  `fraction of ${e.reference}'s budget`,
  `≤ ${fractionName(e.maxFraction)}`,
  'per seed',
];

/** A one-line description of the target and budget. */
export function efficiencyCaption(e: Efficiency): string {
  return `target: ${e.reference}'s final ${METRIC_NAME[e.metric]} ${e.target.toFixed(1)}%; ${e.reference}'s budget ${fmtTokens(e.referenceBudget)} sampled tokens ` +
    `(its last evaluation); ${e.reference} itself first reaches the target at ${e.referenceTokens === undefined ? 'no point of its seed-mean curve' : fmtTokens(e.referenceTokens)}`;
}

/** Plain-text table for a terminal. */
export function formatEfficiency(e: Efficiency): string {
  const head = EFFICIENCY_HEAD(e);
  const rows = e.rows.map((r) => {
    const c = efficiencyCells(e, r);
    return [c.method, c.final, c.tokens, c.fraction, c.verdict, c.perSeed];
  });
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ').trimEnd();
  return [`${e.env}: sampled tokens to reach ${e.reference}'s final ${METRIC_NAME[e.metric]}`, `  ${efficiencyCaption(e)}`, line(head), ...rows.map(line)].join('\n');
}
