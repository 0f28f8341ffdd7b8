/**
 * The plain-text tables a comparison prints when it ends: final test accuracy per env and
 * method, greedy (T=0) first and sampled (avg@k) second, each with its interval; which methods
 * learned beyond the start's greedy accuracy; and the sampled tokens each method needs to
 * reach a reference.
 */
import { loadRuns, type Group } from './runs.ts';
import { finalResult, learnedBeyondStart, type FinalResult, type Metric } from './analyze.ts';
import { efficiencyByEnv, type Efficiency } from './efficiency.ts';
import { byGreedyThenSampled } from './sections/results.ts';

export interface TableRow {
  env: string;
  method: string;
  seeds: number;
  /** Final sampled accuracy (avg@k, percent) with its interval, and the start's. */
  mean: number;
  lo: number;
  hi: number;
  initial?: number;
  interval: string;
  /** The same for greedy accuracy (T=0); absent when the runs did not record it. */
  greedy?: { mean: number; lo: number; hi: number; initial?: number; interval: string };
  /** Final greedy interval above the greedy start; absent when it cannot be judged. */
  learned?: boolean;
}

/** Final test accuracy (percent) per env and method with its 95% interval. */
export function finalTable(runDirs: string[]): TableRow[] {
  return finalRows(loadRuns(runDirs).groups);
}

/** finalTable of runs already loaded; per env, highest greedy accuracy first. */
export function finalRows(groups: readonly Group[]): TableRow[] {
  const results = groups.map((g) => finalResult(g, 100)).filter((f): f is FinalResult => !!f);
  const envs = [...new Set(results.map((f) => f.group.env))];
  return envs.flatMap((env) => results.filter((f) => f.group.env === env).sort(byGreedyThenSampled)).map((f) => {
    const g = f.greedy;
    const learned = learnedBeyondStart(g);
    return {
      env: f.group.env, method: f.group.label, seeds: f.seeds, mean: f.final.mean, lo: f.final.lo, hi: f.final.hi, initial: f.initial, interval: f.intervalKind,
      ...(g ? { greedy: { mean: g.final.mean, lo: g.final.lo, hi: g.final.hi, ...(g.initial !== undefined ? { initial: g.initial } : {}), interval: g.intervalKind } } : {}),
      ...(learned !== undefined ? { learned } : {}),
    };
  });
}

/**
 * Per env where the reference method ran: sampled tokens each method needs to reach the
 * reference's final accuracy, greedy or sampled (src/report/efficiency.ts). Empty when the
 * reference is absent (or, for greedy, did not record it).
 */
export function efficiencyTables(groups: readonly Group[], reference = 'grpo', metric: Metric = 'sampled'): Efficiency[] {
  return [...efficiencyByEnv(groups, { reference, pct: 100, metric }).values()];
}

export function formatTable(rows: TableRow[]): string {
  const pct = (v: number | undefined) => (v === undefined ? '-' : v.toFixed(1) + '%');
  const iv = (x: { mean: number; lo: number; hi: number } | undefined) => (x ? `${x.mean.toFixed(1)}% [${x.lo.toFixed(1)}, ${x.hi.toFixed(1)}]` : 'not recorded');
  const head = ['env', 'method', 'seeds', 'greedy start', 'greedy final (95% interval)', 'learned', 'sampled start', 'sampled final (95% interval)'];
  const cells = rows.map((r) => [
    r.env, r.method, String(r.seeds), pct(r.greedy?.initial), iv(r.greedy), r.learned === undefined ? '-' : r.learned ? 'yes' : 'no',
    pct(r.initial), iv(r),
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((x, i) => (i < 2 ? x.padEnd(w[i]) : x.padStart(w[i]))).join('  ').trimEnd();
  return [line(head), ...cells.map(line)].join('\n');
}

/**
 * One line per env: which methods learned beyond the start's greedy accuracy (the lower end of
 * their final greedy interval above it), which did not, and which cannot be judged.
 */
export function learnedLines(rows: TableRow[]): string[] {
  const out: string[] = [];
  for (const env of [...new Set(rows.map((r) => r.env))]) {
    const rs = rows.filter((r) => r.env === env);
    const starts = rs.map((r) => r.greedy?.initial).filter((v): v is number => v !== undefined);
    const start = starts.length ? ` (${(starts.reduce((a, b) => a + b, 0) / starts.length).toFixed(1)}%)` : '';
    const names = (f: (r: TableRow) => boolean) => rs.filter(f).map((r) => r.method).join(', ') || 'none';
    let s = `${env}: learned beyond the start's greedy accuracy${start}: ${names((r) => r.learned === true)}`;
    if (rs.some((r) => r.learned === false)) s += `; not beyond it: ${names((r) => r.learned === false)}`;
    if (rs.some((r) => r.learned === undefined)) s += `; cannot be judged (no greedy accuracy or no interval): ${names((r) => r.learned === undefined)}`;
    out.push(s);
  }
  return out;
}
