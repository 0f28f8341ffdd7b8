/**
 * A comparison: methods x envs x seeds from the same checkpoint(s), each run with the same
 * budget of sampled tokens. Runs already finished are kept (a comparison interrupted with
 * Ctrl-C resumes where it stopped). The tables of its results: src/report/final-table.ts.
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../algorithms/options.ts';
import { resolveTrainConfig, type TrainConfig } from './config.ts';
import { train, type TrainHooks } from './loop.ts';
import { listCheckpoints } from './run-folder.ts';

export interface MethodSpec {
  label: string;
  algorithm: string;
  algorithmOptions?: Record<string, unknown>;
}

export interface CompareConfig {
  /** One model folder for every env, or one per env. */
  model: string | Record<string, string>;
  envs: string[];
  methods: MethodSpec[];
  seeds: number[];
  /** Train settings shared by every run (steps, sampledTokenBudget, lr, ...). */
  base?: Record<string, unknown>;
  /** Per-env settings (levels, maxTokens, envOptions, ...). */
  perEnv?: Record<string, Record<string, unknown>>;
}

export interface PlannedRun {
  dir: string;
  config: TrainConfig;
}

const COMPARE_KEYS = ['model', 'envs', 'methods', 'seeds', 'base', 'perEnv'];

export function planComparison(c: CompareConfig, outDir: string): PlannedRun[] {
  for (const k of Object.keys(c)) if (!COMPARE_KEYS.includes(k)) throw new ConfigError(`compare config: unknown key '${k}'; known: ${COMPARE_KEYS.join(', ')}`);
  if (!c.envs?.length) throw new ConfigError('compare config: envs must list at least one env');
  if (!c.methods?.length) throw new ConfigError('compare config: methods must list at least one method');
  if (!c.seeds?.length) throw new ConfigError('compare config: seeds must list at least one seed');
  const labels = new Set<string>();
  for (const m of c.methods) {
    if (labels.has(m.label)) throw new ConfigError(`compare config: two methods are labelled '${m.label}'`);
    labels.add(m.label);
  }
  const runs: PlannedRun[] = [];
  for (const env of c.envs) {
    const model = typeof c.model === 'string' ? c.model : c.model[env];
    if (!model) throw new ConfigError(`compare config: no model for env '${env}'`);
    for (const m of c.methods) {
      for (const seed of c.seeds) {
        const config = resolveTrainConfig(
          { ...c.base, ...c.perEnv?.[env], model, env, seed, name: m.label, algorithm: m.algorithm, algorithmOptions: m.algorithmOptions ?? {} },
          `compare run ${m.label}/${env}/seed ${seed}`,
        );
        runs.push({ dir: join(outDir, 'runs', safe(m.label), env, `seed-${seed}`), config });
      }
    }
  }
  return runs;
}

export interface CompareHooks {
  onRunStart?(i: number, total: number, run: PlannedRun): void;
  train?: TrainHooks;
}

/** Runs every planned run that has not finished; returns whether all finished (false: stopped). */
export async function runComparison(runs: PlannedRun[], hooks: CompareHooks = {}): Promise<boolean> {
  for (let i = 0; i < runs.length; i++) {
    const r = runs[i];
    if (existsSync(join(r.dir, 'summary.json'))) continue;
    hooks.onRunStart?.(i, runs.length, r);
    const resume = existsSync(join(r.dir, 'metrics.jsonl')) && listCheckpoints(r.dir).length > 0;
    if (existsSync(join(r.dir, 'metrics.jsonl')) && !resume) {
      // Interrupted before its first checkpoint: start it again from scratch.
      rmSync(r.dir, { recursive: true, force: true });
    }
    const res = await train(r.config, r.dir, hooks.train, { resume });
    if (res.stopped) return false;
  }
  return true;
}

function safe(label: string): string {
  return label.replace(/[^\w.+-]+/g, '_');
}
