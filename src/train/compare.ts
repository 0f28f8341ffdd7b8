/**
 * A comparison: methods x envs x seeds from the same checkpoint(s), each run with the same
 * budget of sampled tokens. Runs already finished are kept (a comparison interrupted with
 * Ctrl-C resumes where it stopped). The tables of its results: src/report/final-table.ts.
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { checkKeys, ConfigError, didYouMean } from '../util/schema.ts';
import { resolveTrainConfig, type TrainConfig } from './config.ts';
import { train, type TrainHooks } from './loop.ts';
import { listCheckpoints } from './run-folder.ts';
import { checkTrainedLevels } from '../models/trained-levels.ts';
import { createAlgorithm } from '../algorithms/registry.ts';
import { getEnv } from '../envs/registry.ts';
import { checkEnvAnswers } from './needs.ts';
import { checkValDisjoint, chooseLr, finalValAccuracy, validateLrSearch, type LrChoice, type LrSearch } from './lr-search.ts';

export interface MethodSpec {
  label: string;
  algorithm: string;
  algorithmOptions?: Record<string, unknown>;
  /**
   * This method's learning rate, fixed (it is then not searched): one for every env, or one per
   * env (`{"math": 3e-4, "science": 1e-4}`; an env not named is searched, else takes base's lr).
   */
  lr?: number | Record<string, number>;
  /** Train settings of this method only, over base and perEnv (e.g. updateEpochs for KL-Cov; model: its own start). */
  train?: Record<string, unknown>;
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
  /** Choose each method's learning rate from a grid on the val split before the main runs (src/train/lr-search.ts). */
  lrSearch?: LrSearch;
  /** Allow levels the checkpoint was not trained on (a hard regime on purpose); each is reported as a warning. */
  untrainedLevels?: boolean;
}

export interface PlannedRun {
  dir: string;
  config: TrainConfig;
  /** Set on the runs of the learning-rate search. */
  search?: { method: string; env: string; lr: number };
}

const COMPARE_KEYS = ['model', 'envs', 'methods', 'seeds', 'base', 'perEnv', 'lrSearch', 'untrainedLevels'];
/** Every key of MethodSpec (a new field of MethodSpec must be added here, or configs using it are refused). */
const METHOD_KEYS = ['label', 'algorithm', 'algorithmOptions', 'lr', 'train'] as const satisfies readonly (keyof MethodSpec)[];

export interface PlanOptions {
  /** Collects warnings (a checkpoint without a record of its trained levels). */
  warnings?: string[];
  /** Learning rates chosen by the search, by lrKey(method, env). */
  lrs?: Map<string, number>;
}

export const lrKey = (method: string, env: string) => `${method}\u0000${env}`;

/**
 * Every run of the comparison with its validated train config, before any run starts: a typo
 * anywhere (a key, an env, an algorithm, an algorithm option, a teacher context) is an error,
 * and so are levels the checkpoint was not trained on (per its recipe.json).
 */
export function planComparison(c: CompareConfig, outDir: string, opts: PlanOptions = {}): PlannedRun[] {
  checkKeys(c, COMPARE_KEYS, 'compare config');
  c.methods?.forEach((m, i) => checkKeys(m, METHOD_KEYS, `compare config: methods[${i}]`));
  for (const env of Object.keys(c.perEnv ?? {})) {
    if (!c.envs?.includes(env)) throw new ConfigError(`compare config: perEnv has settings for '${env}', which is not in envs${didYouMean(env, c.envs ?? [])}`);
  }
  if (!c.envs?.length) throw new ConfigError('compare config: envs must list at least one env');
  if (!c.methods?.length) throw new ConfigError('compare config: methods must list at least one method');
  if (!c.seeds?.length) throw new ConfigError('compare config: seeds must list at least one seed');
  const labels = new Set<string>();
  for (const m of c.methods) {
    if (labels.has(m.label)) throw new ConfigError(`compare config: two methods are labelled '${m.label}'`);
    labels.add(m.label);
  }
  for (const m of c.methods) checkMethodLr(m, c.envs);
  if (c.lrSearch !== undefined) validateLrSearch(c.lrSearch);
  const runs: PlannedRun[] = [];
  for (const env of c.envs) {
    const model = modelFor(c, env);
    const shared = { ...c.base, ...c.perEnv?.[env] };
    for (const key of ['levels', 'evalLevels'] as const) {
      const named = shared[key];
      if (!Array.isArray(named)) continue;
      const check = checkTrainedLevels(model, env, named as number[], `compare config (${key} of ${env})`);
      // The hard regime asks for levels beyond the checkpoint's training on purpose (said in the config).
      if (check.error && !c.untrainedLevels) throw new ConfigError(`${check.error} (or set untrainedLevels: true in the compare config when that is the point)`);
      if (check.error) opts.warnings?.push(`${check.error.replace(/; use trained levels.*$/, '')}: allowed by untrainedLevels`);
      if (check.warning) opts.warnings?.push(check.warning);
    }
    for (const m of c.methods) {
      const lr = fixedLr(m, env) ?? opts.lrs?.get(lrKey(m.label, env));
      for (const seed of c.seeds) {
        const config = resolveTrainConfig(
          { ...shared, ...m.train, model: methodModel(m, model, seed), env, seed, name: m.label, algorithm: m.algorithm, algorithmOptions: m.algorithmOptions ?? {}, ...(lr !== undefined ? { lr } : {}) },
          `compare run ${m.label}/${env}/seed ${seed}`,
        );
        runs.push({ dir: join(outDir, 'runs', safe(m.label), env, `seed-${seed}`), config });
      }
    }
  }
  return runs;
}

/** The method's fixed learning rate on an env, if it has one. */
export function fixedLr(m: MethodSpec, env: string): number | undefined {
  return typeof m.lr === 'number' ? m.lr : m.lr?.[env];
}

function checkMethodLr(m: MethodSpec, envs: readonly string[]): void {
  const positive = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v > 0;
  if (m.lr === undefined || positive(m.lr)) return;
  const how = `compare config: method '${m.label}': lr must be a positive number, or an object of one positive number per env (e.g. {"math": 0.0003})`;
  if (typeof m.lr !== 'object' || m.lr === null || Array.isArray(m.lr)) throw new ConfigError(`${how}, got ${JSON.stringify(m.lr)}`);
  for (const [env, v] of Object.entries(m.lr)) {
    if (!envs.includes(env)) throw new ConfigError(`compare config: method '${m.label}': lr names env '${env}', which is not in envs${didYouMean(env, [...envs])}`);
    if (!positive(v)) throw new ConfigError(`${how}; ${env}: ${JSON.stringify(v)}`);
  }
}

/**
 * A method may start from its own model (train.model), e.g. a second stage from each first-stage
 * checkpoint; `{seed}` in the path is the run's seed, so seed s of stage II starts from seed s of
 * stage I and one config covers every seed.
 */
function methodModel(m: MethodSpec, model: string, seed: number): string {
  const own = m.train?.model;
  if (own === undefined) return model;
  if (typeof own !== 'string' || !own) throw new ConfigError(`compare config: method '${m.label}': train.model must be a model folder`);
  return own.replaceAll('{seed}', String(seed));
}

function modelFor(c: CompareConfig, env: string): string {
  const model = typeof c.model === 'string' ? c.model : c.model?.[env];
  if (!model) throw new ConfigError(`compare config: no model for env '${env}'`);
  return model;
}

/**
 * The learning-rate search's runs: for every env and every method without a fixed lr, one run
 * per lr of the grid, evaluated on the val split. Empty without lrSearch.
 */
export function planLrSearch(c: CompareConfig, outDir: string): PlannedRun[] {
  if (!c.lrSearch) return [];
  const s = validateLrSearch(c.lrSearch);
  const runs: PlannedRun[] = [];
  for (const env of c.envs) {
    for (const m of c.methods) {
      if (fixedLr(m, env) !== undefined) continue;
      for (const lr of s.grid) {
        const config = resolveTrainConfig(
          {
            ...c.base, ...c.perEnv?.[env], ...s.base, model: modelFor(c, env), env, seed: s.seed ?? c.seeds[0], name: m.label,
            algorithm: m.algorithm, algorithmOptions: m.algorithmOptions ?? {}, lr, evalSplit: 'val',
          },
          `lr search run ${m.label}/${env}/lr ${lr}`,
        );
        runs.push({ dir: join(outDir, 'lr-search', safe(m.label), env, `lr-${lr}`), config, search: { method: m.label, env, lr } });
      }
    }
  }
  return runs;
}

/** Refuses, before anything runs, a val split that shares prompts with the test split (per env). */
export async function checkSearchSplits(search: readonly PlannedRun[], main: readonly PlannedRun[]): Promise<void> {
  for (const env of [...new Set(search.map((r) => r.config.env))]) {
    const s = search.find((r) => r.config.env === env)!;
    const m = main.find((r) => r.config.env === env);
    if (m) await checkValDisjoint(s.config, m.config);
  }
}

/**
 * What the planned runs need from their envs, checked before the first run starts (a run would
 * check it only when its turn comes): answer voting needs an env that reads final answers.
 */
export async function checkPlannedEnvs(runs: readonly PlannedRun[]): Promise<void> {
  const seen = new Set<string>();
  for (const { config: c } of runs) {
    const key = JSON.stringify([c.algorithm, c.algorithmOptions, c.env, c.envOptions]);
    if (seen.has(key)) continue;
    seen.add(key);
    if (createAlgorithm(c.algorithm, c.algorithmOptions).needs.answers) await checkEnvAnswers(await getEnv(c.env, c.envOptions), `${c.name} (${c.algorithm})`);
  }
}

/** After the search ran: the chosen lr per (method, env), with every trial's final val accuracy. */
export function lrChoices(c: CompareConfig, search: readonly PlannedRun[]): LrChoice[] {
  const metric = c.lrSearch?.metric ?? 'greedy';
  const out: LrChoice[] = [];
  const keys = [...new Set(search.map((r) => lrKey(r.search!.method, r.search!.env)))];
  for (const k of keys) {
    const runs = search.filter((r) => lrKey(r.search!.method, r.search!.env) === k);
    const { method, env } = runs[0].search!;
    out.push(chooseLr(method, env, metric, runs.map((r) => ({ lr: r.search!.lr, dir: r.dir, ...finalValAccuracy(r.dir) }))));
  }
  return out;
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
