/**
 * From groups of runs to the numbers a report shows: the final accuracy of each method on
 * each env with its 95% interval, its change since the first evaluation, and the learning
 * curves averaged over seeds. Pure functions of the data; rendering lives elsewhere.
 */
import { num, str, type Row } from './jsonl.ts';
import type { Group, Run } from './runs.ts';
import { aggregateCurves, binCurve, tInterval, wilsonInterval, type AggregatedCurve, type Interval } from './stats.ts';

/** The x axes learning curves are drawn against. */
export const X_AXES = [
  { key: 'step', label: 'training step', name: 'steps' },
  { key: 'sampled_tokens', label: 'sampled tokens', name: 'tokens' },
  { key: 'wall_s', label: 'wall time (s)', name: 'time' },
] as const;
export type XKey = (typeof X_AXES)[number]['key'];

/** The evaluation rows of a run for one env, by step (a repeated step keeps the last row). */
export function evalRows(run: Run, env: string): Row[] {
  const rows = run.evals.filter((e) => (str(e, 'env') ?? run.env ?? 'default') === env);
  const byStep = new Map<number, Row>();
  rows.forEach((r, i) => byStep.set(num(r, 'step') ?? i, r));
  return [...byStep.entries()].sort((a, b) => a[0] - b[0]).map(([, r]) => r);
}

/** Where accuracy came from: held-out evaluations, or (lacking those) training batches. */
export type Source = 'eval' | 'train';

export interface FinalResult {
  group: Group;
  /** Which accuracy the numbers are of. */
  metric: Metric;
  source: Source;
  /** Final accuracy as a percentage with its 95% interval. */
  final: Interval;
  /** How the interval was computed, in words. */
  intervalKind: string;
  /** Mean accuracy at the first evaluation (percent), when there was one before the last. */
  initial?: number;
  /** Step of the final evaluation (the largest among seeds). */
  step?: number;
  /** The smallest final step among seeds; differs from `step` when a seed stopped early. */
  minStep?: number;
  /** Test prompts per evaluation, when the rows say. */
  prompts?: number;
  seeds: number;
  /**
   * The same group's greedy result, when its evaluations recorded greedy accuracy (set by
   * finalResult for the sampled metric; runs made before greedy existed have none).
   */
  greedy?: FinalResult;
}

/**
 * The two accuracies an evaluation records (docs/run-folder.md): `greedy`, the share of test
 * prompts whose one temperature-0 decoding is right, and `sampled`, avg@k over the samples at
 * the evaluation temperature (the row's `accuracy`).
 */
export type Metric = 'greedy' | 'sampled';
export const METRICS: readonly Metric[] = ['greedy', 'sampled'];
const METRIC_KEY: Record<Metric, string> = { greedy: 'greedy', sampled: 'accuracy' };

/** How a metric is named in tables and captions. */
export const METRIC_NAME: Record<Metric, string> = { greedy: 'greedy accuracy (T=0)', sampled: 'sampled accuracy (avg@k)' };

/** A row's value of a metric (a fraction, or percent if the writer logged percent); undefined when absent. */
export function metricOf(row: Row, metric: Metric): number | undefined {
  return num(row, METRIC_KEY[metric]);
}

function rowsFor(run: Run, env: string, metric: Metric = 'sampled'): { rows: Row[]; source: Source } {
  const rows = evalRows(run, env).filter((r) => metricOf(r, metric) !== undefined);
  // Training batches are sampled: they stand in for sampled accuracy only, never for greedy.
  if (rows.length || metric === 'greedy') return { rows, source: 'eval' };
  return { rows: run.metrics.filter((r) => num(r, 'accuracy') !== undefined), source: 'train' };
}

/**
 * Accuracies in run folders are fractions in [0, 1]; a writer that logged percentages is
 * recognised by values above 1. Returns the factor that turns stored values into percent.
 */
export function percentFactor(groups: readonly Group[]): number {
  for (const g of groups) {
    for (const r of g.runs) {
      for (const row of [...r.evals, ...r.metrics]) {
        const a = num(row, 'accuracy');
        if (a !== undefined && a > 1) return 1;
      }
    }
  }
  return 100;
}

/**
 * Final accuracy of a group (mean over seeds of their last evaluation, with its interval).
 * For the sampled metric the result carries the greedy one too (`greedy`), when recorded.
 */
export function finalResult(group: Group, pct: number, metric: Metric = 'sampled'): FinalResult | undefined {
  const per = group.runs.map((r) => rowsFor(r, group.env, metric)).filter((x) => x.rows.length > 0);
  if (per.length === 0) return undefined;
  const source: Source = per.every((p) => p.source === 'eval') ? 'eval' : 'train';
  const value = (r: Row) => (source === 'train' ? num(r, 'accuracy')! : metricOf(r, metric)!) * pct;
  const last = per.map((p) => p.rows[p.rows.length - 1]);
  const finals = last.map(value);
  const firsts = per.filter((p) => p.rows.length > 1).map((p) => value(p.rows[0]));
  const steps = last.map((r) => num(r, 'step')).filter((s): s is number => s !== undefined);
  const prompts = last.map((r) => num(r, 'n')).filter((s): s is number => s !== undefined);
  let final: Interval;
  let intervalKind: string;
  if (finals.length >= 2) {
    final = tInterval(finals);
    intervalKind = `t-interval over ${finals.length} seeds`;
  } else if (prompts.length === 1 && pct === 100) {
    // One seed: the only uncertainty we can state is over the test prompts.
    const n = prompts[0];
    const w = wilsonInterval(Math.round((finals[0] / 100) * n), n);
    final = { mean: finals[0], lo: w.lo * 100, hi: w.hi * 100, n: 1, ok: true };
    intervalKind = `Wilson interval over ${n} test prompts (1 seed)`;
  } else {
    final = tInterval(finals);
    intervalKind = '1 seed, no interval';
  }
  if (pct === 100 && final.ok) {
    // Accuracy is bounded; a symmetric t-interval can poke past 0 or 100 with few seeds.
    final = { ...final, lo: Math.max(0, final.lo), hi: Math.min(100, final.hi) };
  }
  const greedy = metric === 'sampled' ? finalResult(group, pct, 'greedy') : undefined;
  return {
    group,
    metric,
    source,
    final,
    intervalKind,
    initial: firsts.length ? firsts.reduce((a, b) => a + b, 0) / firsts.length : undefined,
    step: steps.length ? Math.max(...steps) : undefined,
    minStep: steps.length ? Math.min(...steps) : undefined,
    prompts: prompts.length ? Math.max(...prompts) : undefined,
    seeds: finals.length,
    ...(greedy ? { greedy } : {}),
  };
}

/**
 * Did the group learn beyond its start? Only when the lower end of its final interval is above
 * its accuracy at the first evaluation (meant for greedy accuracy: sampled accuracy also rises
 * when sampling merely sharpens toward answers the model already gives greedily). undefined when
 * it cannot be judged: no start, or no interval (one seed without a prompt count).
 */
export function learnedBeyondStart(r: FinalResult | undefined): boolean | undefined {
  if (!r || r.initial === undefined || !r.final.ok) return undefined;
  return r.final.lo > r.initial;
}

/**
 * The start's accuracy on an env: the mean over every run's evaluation at step 0 (before any
 * training; the runs of a comparison start from the same checkpoint and test prompts).
 */
export function startAccuracy(groups: readonly Group[], env: string, pct: number, metric: Metric): number | undefined {
  const vs: number[] = [];
  for (const g of groups) {
    if (g.env !== env) continue;
    for (const run of g.runs) {
      const first = evalRows(run, env).find((r) => num(r, 'step') === 0);
      const v = first && metricOf(first, metric);
      if (v !== undefined) vs.push(v * pct);
    }
  }
  return vs.length ? vs.reduce((a, b) => a + b, 0) / vs.length : undefined;
}

/**
 * Accuracy (percent) against one x axis, averaged over the group's seeds. `maxPoints` caps the
 * common grid when seeds' x values differ (charts); Infinity keeps every x value, which makes
 * the mean exactly the average of the seeds' piecewise-linear curves.
 */
export function accuracyCurve(group: Group, x: XKey, pct: number, maxPoints = 200, metric: Metric = 'sampled'): AggregatedCurve {
  const curves = group.runs.map((r) => {
    const { rows, source } = rowsFor(r, group.env, metric);
    const pts = rows.filter((row) => num(row, x) !== undefined);
    return { x: pts.map((row) => num(row, x)!), y: pts.map((row) => (source === 'train' ? num(row, 'accuracy')! : metricOf(row, metric)!) * pct) };
  });
  const agg = aggregateCurves(curves.filter((c) => c.x.length > 0), maxPoints);
  if (pct === 100) {
    // Accuracy is bounded; keep the band inside [0, 100].
    agg.lo = agg.lo.map((v) => (Number.isFinite(v) ? Math.max(0, v) : v));
    agg.hi = agg.hi.map((v) => (Number.isFinite(v) ? Math.min(100, v) : v));
  }
  return agg;
}

/** Any numeric metrics.jsonl key against step, averaged over seeds. */
export function metricCurve(group: Group, key: string): AggregatedCurve {
  const curves = group.runs.map((r) => {
    const pts = r.metrics.filter((row) => num(row, 'step') !== undefined && metricValue(row, key) !== undefined);
    return binCurve({ x: pts.map((row) => num(row, 'step')!), y: pts.map((row) => metricValue(row, key)!) }, 300);
  });
  return aggregateCurves(curves.filter((c) => c.x.length > 0));
}

/** Pseudo-key for the mean per-token disagreement of the rollouts in samples.jsonl, by step. */
export const SAMPLE_DISAGREEMENT = 'mean token disagreement (samples)';

/**
 * When metrics.jsonl has no teacher-student metric, the samples still show the gap: the mean
 * of their per-token disagreement at each step (few rollouts per step, so a noisy estimate).
 */
export function sampleDisagreementCurve(group: Group): AggregatedCurve {
  const curves = group.runs.map((r) => {
    const byStep = new Map<number, { s: number; n: number }>();
    for (const row of r.samples) {
      if ((str(row, 'env') ?? r.env ?? 'default') !== group.env) continue;
      const step = num(row, 'step');
      if (step === undefined || !Array.isArray(row.disagreement)) continue;
      const acc = byStep.get(step) ?? { s: 0, n: 0 };
      for (const d of row.disagreement) {
        if (typeof d === 'number' && Number.isFinite(d)) {
          acc.s += d;
          acc.n++;
        }
      }
      byStep.set(step, acc);
    }
    const pts = [...byStep].filter(([, a]) => a.n > 0).sort((a, b) => a[0] - b[0]);
    return binCurve({ x: pts.map(([s]) => s), y: pts.map(([, a]) => a.s / a.n) }, 300);
  });
  return aggregateCurves(curves.filter((c) => c.x.length > 0));
}

/** The derived key for runs that log both masses but no explicit gap. */
export const MASS_GAP = 'teacher_mass - student_mass';

function metricValue(row: Row, key: string): number | undefined {
  if (key === MASS_GAP) {
    const t = num(row, 'teacher_mass'), s = num(row, 'student_mass');
    return t !== undefined && s !== undefined ? t - s : undefined;
  }
  return num(row, key);
}

/**
 * metrics.jsonl keys that measure how far the teacher is from the student: an explicit gap,
 * teacher-side KLs and masses, disagreement. kl_init (distance to the initial policy) is not.
 */
export function gapKeys(groups: readonly Group[]): string[] {
  const keys = new Set<string>();
  for (const g of groups) for (const r of g.runs) for (const row of r.metrics) for (const k of Object.keys(row)) keys.add(k);
  const found = [...keys].filter((k) => /gap|teacher|disagree|(^|[/_])kl([/_]|$)/i.test(k) && k !== 'kl_init' && !k.startsWith('time/'));
  let out = found.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  if (!found.some((k) => /gap/i.test(k)) && keys.has('teacher_mass') && keys.has('student_mass')) {
    // The derived difference says more than either mass alone.
    out = [MASS_GAP, ...out.filter((k) => k !== 'teacher_mass' && k !== 'student_mass')];
  }
  return out.slice(0, 4);
}

function rank(k: string): number {
  return /gap/i.test(k) ? 0 : /kl/i.test(k) ? 1 : /teacher/i.test(k) ? 2 : 3;
}

export interface Breakdown {
  /** Mean over seeds of the final evaluation's pass@k (percent), by k. */
  passAtK: Map<string, number>;
  /** Mean over seeds of the final evaluation's accuracy per difficulty level (percent). */
  byLevel: Map<string, number>;
  /** The same for greedy accuracy, for the levels whose rows recorded it. */
  byLevelGreedy: Map<string, number>;
}

/** pass@k and per-difficulty accuracy at the final evaluation, averaged over seeds. */
export function finalBreakdown(group: Group, pct: number): Breakdown {
  const pass = new Map<string, number[]>(), level = new Map<string, number[]>(), levelGreedy = new Map<string, number[]>();
  const add = (m: Map<string, number[]>, k: string, v: unknown) => {
    if (typeof v === 'number' && Number.isFinite(v)) m.set(k, [...(m.get(k) ?? []), v * pct]);
  };
  for (const run of group.runs) {
    const rows = evalRows(run, group.env);
    const last = rows[rows.length - 1];
    if (!last) continue;
    const pk = last.pass_at_k;
    if (pk && typeof pk === 'object') for (const [k, v] of Object.entries(pk)) add(pass, k, v);
    const bl = last.by_level;
    if (bl && typeof bl === 'object') {
      for (const [k, v] of Object.entries(bl)) {
        add(level, k, v && typeof v === 'object' ? (v as Row).accuracy : undefined);
        add(levelGreedy, k, v && typeof v === 'object' ? (v as Row).greedy : undefined);
      }
    }
  }
  const avg = (m: Map<string, number[]>) =>
    new Map([...m].sort((a, b) => Number(a[0]) - Number(b[0]) || a[0].localeCompare(b[0])).map(([k, vs]) => [k, vs.reduce((s, v) => s + v, 0) / vs.length]));
  return { passAtK: avg(pass), byLevel: avg(level), byLevelGreedy: avg(levelGreedy) };
}
