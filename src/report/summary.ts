/**
 * The machine-readable summary of a comparison (docs/results/summary.json): per env the
 * starting checkpoint, the training levels, the start's greedy and sampled accuracy, and per
 * method its learning rate, final greedy and sampled accuracy with their 95% intervals, whether
 * it learned beyond the start's greedy accuracy, and the sampled tokens it needed to reach the
 * reference's final greedy (and sampled) accuracy. Accuracies are in percent.
 */
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { finalResult, learnedBeyondStart, startAccuracy, type FinalResult } from './analyze.ts';
import { efficiency } from './efficiency.ts';
import type { Group } from './runs.ts';

/** The repository this code is in: checkpoint paths are written relative to it. */
export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

export interface IntervalSummary {
  mean: number;
  lo: number;
  hi: number;
}

export interface MethodSummary {
  /** The learning rate of its runs (a list when seeds differ; null when not configured). */
  lr: number | number[] | null;
  seeds: number;
  final_greedy: IntervalSummary | null;
  final_sampled: IntervalSummary | null;
  /** Final greedy interval above the greedy start; null when it cannot be judged. */
  learned: boolean | null;
  /** Keys `tokens_to_<reference>_final_greedy` and `..._sampled`: sampled tokens, null when not reached. */
  [tokensKey: `tokens_to_${string}`]: number | null;
}

export interface EnvSummary {
  /** The starting model folder, relative to the repository when inside it (a list when runs differ). */
  checkpoint: string | string[] | null;
  /** Training levels (sorted union over the runs; null: the env's default levels). */
  levels: number[] | null;
  start: { greedy: number | null; sampled: number | null };
  methods: Record<string, MethodSummary>;
}

export interface ResultsSummary {
  units: 'percent';
  reference: string;
  intervals: string;
  envs: Record<string, EnvSummary>;
}

export interface SummaryOptions {
  reference?: string;
  /** Factor from stored accuracy to percent (default 100). */
  pct?: number;
  /** Checkpoint paths are written relative to this folder when inside it (default: the repository). */
  root?: string;
}

function interval(r: FinalResult | undefined): IntervalSummary | null {
  if (!r) return null;
  return r.final.ok ? { mean: r.final.mean, lo: r.final.lo, hi: r.final.hi } : { mean: r.final.mean, lo: r.final.mean, hi: r.final.mean };
}

/** One value when all agree, else the distinct values; null when none. */
function oneOrMany<T>(vs: T[]): T | T[] | null {
  const distinct = [...new Set(vs.map((v) => JSON.stringify(v)))].map((v) => JSON.parse(v) as T);
  return distinct.length === 0 ? null : distinct.length === 1 ? distinct[0] : distinct;
}

function repoPath(p: string, root: string): string {
  const abs = resolve(root, p);
  const rel = relative(root, abs);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel.split(sep).join('/') : p;
}

export function resultsSummary(groups: readonly Group[], opts: SummaryOptions = {}): ResultsSummary {
  const reference = opts.reference ?? 'grpo';
  const pct = opts.pct ?? 100;
  const root = opts.root ?? REPO_ROOT;
  const envs: Record<string, EnvSummary> = {};
  for (const env of [...new Set(groups.map((g) => g.env))]) {
    const inEnv = groups.filter((g) => g.env === env);
    const runs = inEnv.flatMap((g) => g.runs);
    const models = runs.map((r) => r.config.model).filter((m): m is string => typeof m === 'string' && m !== '').map((m) => repoPath(m, root));
    const levelSets = runs.map((r) => r.config.levels).filter((l): l is number[] => Array.isArray(l));
    const levels = levelSets.length ? [...new Set(levelSets.flat())].sort((a, b) => a - b) : null;
    const effGreedy = efficiency(groups, env, { reference, pct, metric: 'greedy' });
    const effSampled = efficiency(groups, env, { reference, pct });
    const tokens = (e: typeof effGreedy, label: string) => e?.rows.find((r) => r.label === label)?.tokens ?? null;
    const methods: Record<string, MethodSummary> = {};
    for (const g of inEnv) {
      const f = finalResult(g, pct);
      if (!f) continue;
      const lrs = g.runs.map((r) => r.config.lr).filter((v): v is number => typeof v === 'number');
      const tokenKeys: Record<string, number | null> = {
        [`tokens_to_${reference}_final_greedy`]: tokens(effGreedy, g.label),
        [`tokens_to_${reference}_final_sampled`]: tokens(effSampled, g.label),
      };
      methods[g.label] = {
        lr: oneOrMany(lrs),
        seeds: f.seeds,
        final_greedy: interval(f.greedy),
        final_sampled: interval(f),
        learned: learnedBeyondStart(f.greedy) ?? null,
        ...tokenKeys,
      } as MethodSummary;
    }
    envs[env] = {
      checkpoint: oneOrMany(models),
      levels,
      start: { greedy: startAccuracy(groups, env, pct, 'greedy') ?? null, sampled: startAccuracy(groups, env, pct, 'sampled') ?? null },
      methods,
    };
  }
  return {
    units: 'percent',
    reference,
    intervals: '95% Student-t interval over seeds of the last evaluation (one seed: Wilson interval over the test prompts)',
    envs,
  };
}
