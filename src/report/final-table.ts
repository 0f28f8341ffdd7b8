/**
 * The plain-text tables a comparison prints when it ends: final test accuracy per env and
 * method with its interval, and the sampled tokens each method needs to reach a reference.
 */
import { loadRuns, type Group } from './runs.ts';
import { finalResult, type FinalResult } from './analyze.ts';
import { efficiencyByEnv, type Efficiency } from './efficiency.ts';

export interface TableRow {
  env: string;
  method: string;
  seeds: number;
  mean: number;
  lo: number;
  hi: number;
  initial?: number;
  interval: string;
}

/** Final test accuracy (percent) per env and method with its 95% interval. */
export function finalTable(runDirs: string[]): TableRow[] {
  return finalRows(loadRuns(runDirs).groups);
}

/** finalTable of runs already loaded. */
export function finalRows(groups: readonly Group[]): TableRow[] {
  return groups
    .map((g) => finalResult(g, 100))
    .filter((f): f is FinalResult => !!f)
    .map((f) => ({ env: f.group.env, method: f.group.label, seeds: f.seeds, mean: f.final.mean, lo: f.final.lo, hi: f.final.hi, initial: f.initial, interval: f.intervalKind }));
}

/**
 * Per env where the reference method ran: sampled tokens each method needs to reach the
 * reference's final accuracy (src/report/efficiency.ts). Empty when the reference is absent.
 */
export function efficiencyTables(groups: readonly Group[], reference = 'grpo'): Efficiency[] {
  return [...efficiencyByEnv(groups, { reference, pct: 100 }).values()];
}

export function formatTable(rows: TableRow[]): string {
  const lines = [['env', 'method', 'seeds', 'start', 'final (95% interval)'].map((h, i) => (i < 2 ? h.padEnd(12) : h.padStart(i === 4 ? 24 : 8))).join('')];
  for (const r of rows) {
    lines.push([
      r.env.padEnd(12), r.method.padEnd(12), String(r.seeds).padStart(8),
      (r.initial === undefined ? '-' : r.initial.toFixed(1) + '%').padStart(8),
      `${r.mean.toFixed(1)}% [${r.lo.toFixed(1)}, ${r.hi.toFixed(1)}]`.padStart(24),
    ].join(''));
  }
  return lines.join('\n');
}
