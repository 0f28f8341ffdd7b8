/**
 * The config of a pretraining run: model shape, corpus mix, optimiser and schedule, checkpoint
 * cadence and the teacher gate. Read from JSON or YAML, with `key.path=value` overrides from
 * the command line; every field has a default so a config file only says what differs.
 * Every key, nested ones included, and every env and teacher-context name is checked when the
 * config is resolved (src/util/schema.ts: errors name the key and the nearest known one).
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { DEFAULT_CORPUS, validateCorpusConfig, type CorpusConfig } from './corpus.ts';
import type { TinyModelSpec } from './tiny.ts';
import { trainedLevels } from '../models/trained-levels.ts';
import { envNames } from '../envs/registry.ts';
import { teacherContextKinds } from '../feedback/contexts.ts';
import { checkKeys, checkName } from '../util/schema.ts';

export interface GateConfig {
  /** The env the gate is measured on (default: the first corpus env). */
  env?: string;
  /**
   * Options of the env world the gate measures in: the RL world (default: the env's defaults,
   * which are the RL world's). Never the corpus's options: a corpus that draws a hidden fact per
   * example would credit a student that always guesses one candidate with a quarter of the
   * prompts, where the RL world, which fixes the fact, gives it 0% or 100%.
   */
  envOptions?: Record<string, unknown>;
  /** Levels to measure; default the RL levels. */
  levels?: number[];
  /** The levels RL will run at: the checkpoint rule looks at these. */
  rlLevels: number[];
  /** Test prompts per level. */
  n: number;
  /** Feedback contexts for the fix/keep rates. */
  kinds: string[];
  /** Student accuracy window [lo, hi] at the RL levels. */
  studentRange: [number, number];
  /** Required teacher-with-feedback advantage over the student on the same prompts. */
  minAdvantage: number;
  /**
   * What the window and the advantage judge. 'sampled' (default): the student's T=1 accuracy and
   * the fix rate on synthetic slips. 'greedy' (the learning regime): the student's greedy accuracy
   * and the teacher's greedy accuracy after feedback on the student's own samples.
   */
  rule?: 'sampled' | 'greedy';
  /** Run the gate on every k-th checkpoint (0: never during training). */
  every: number;
  /** Prompts per generation batch. */
  batch: number;
  seed: number;
}

export interface PretrainConfig {
  name: string;
  seed: number;
  model: TinyModelSpec;
  /** Start from this model folder's weights (fresh optimiser) instead of a random init; '' = random. */
  init: string;
  corpus: CorpusConfig;
  /** Total optimiser steps (the schedule's length). */
  steps: number;
  /** Examples per step (one example per row, padded). */
  batchSize: number;
  /** Longer examples are cut to this many tokens. */
  maxLen: number;
  lr: number;
  minLr: number;
  warmup: number;
  weightDecay: number;
  beta2: number;
  clip: number;
  checkpointEvery: number;
  gate: GateConfig;
}

/** Keys of GateConfig without a default (absent = not set); every other key is in DEFAULT_GATE. */
const GATE_OPTIONAL_KEYS = ['env', 'envOptions', 'levels', 'rule'] as const satisfies readonly (keyof GateConfig)[];

export const DEFAULT_GATE: GateConfig = {
  rlLevels: [10, 11, 12],
  n: 50,
  kinds: ['feedback', 'critique'],
  studentRange: [0.3, 0.6],
  minAdvantage: 0.15,
  every: 1,
  batch: 128,
  seed: 1234,
};

export const DEFAULT_PRETRAIN: PretrainConfig = {
  name: 'pretrain',
  seed: 0,
  model: 'tiny-2.7m',
  init: '',
  corpus: DEFAULT_CORPUS,
  steps: 1000,
  batchSize: 32,
  maxLen: 512,
  lr: 2e-3,
  minLr: 1e-4,
  warmup: 50,
  weightDecay: 0.01,
  beta2: 0.99,
  clip: 1,
  checkpointEvery: 100,
  gate: DEFAULT_GATE,
};

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Deep merge: objects merge key by key, everything else (arrays included) replaces. */
export function deepMerge<T>(base: T, over: unknown): T {
  if (!isObj(base) || !isObj(over)) return (over === undefined ? base : over) as T;
  const out: Obj = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = k in out && isObj(out[k]) && isObj(v) && k !== 'kinds' ? deepMerge(out[k], v) : v;
  return out as T;
}

/** `a.b.c=value`: value parsed as JSON when it parses (numbers, arrays, booleans), else a string. */
export function applyOverride(cfg: Obj, assignment: string): void {
  const eq = assignment.indexOf('=');
  if (eq <= 0) throw new Error(`override '${assignment}' must look like key.path=value`);
  const path = assignment.slice(0, eq).split('.');
  const raw = assignment.slice(eq + 1);
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    value = raw;
  }
  let o: Obj = cfg;
  for (const k of path.slice(0, -1)) {
    if (!isObj(o[k])) o[k] = {};
    o = o[k] as Obj;
  }
  o[path[path.length - 1]] = value;
}

export function readConfigFile(path: string): Obj {
  const text = readFileSync(path, 'utf8');
  const v = /\.ya?ml$/i.test(path) ? parseYaml(text) : JSON.parse(text);
  if (!isObj(v)) throw new Error(`${path}: a config must be an object`);
  return v;
}

export function resolvePretrainConfig(partial: Obj, overrides: string[] = []): PretrainConfig {
  const raw: Obj = JSON.parse(JSON.stringify(partial));
  for (const o of overrides) applyOverride(raw, o);
  checkKeys(raw, Object.keys(DEFAULT_PRETRAIN), 'pretrain config');
  const c = deepMerge(DEFAULT_PRETRAIN, raw);
  checkKeys(c.gate, [...Object.keys(DEFAULT_GATE), ...GATE_OPTIONAL_KEYS], 'pretrain config: gate');
  if (c.gate.env !== undefined) checkName(c.gate.env, envNames(), 'pretrain config: gate.env');
  if (c.gate.envOptions !== undefined && (typeof c.gate.envOptions !== 'object' || c.gate.envOptions === null || Array.isArray(c.gate.envOptions))) {
    throw new Error(`pretrain config: gate.envOptions must be an object of env options (the RL world), got ${JSON.stringify(c.gate.envOptions)}`);
  }
  c.gate.kinds.forEach((k, i) => checkName(k, teacherContextKinds(), `pretrain config: gate.kinds[${i}]`));
  validateCorpusConfig(c.corpus);
  for (const k of ['steps', 'batchSize', 'maxLen', 'checkpointEvery'] as const)
    if (!(Number.isInteger(c[k]) && c[k] > 0)) throw new Error(`pretrain config: ${k} must be a positive integer, got ${c[k]}`);
  if (!(c.warmup >= 0 && c.warmup < c.steps)) throw new Error(`pretrain config: warmup (${c.warmup}) must be in [0, steps)`);
  if (!(c.lr > 0)) throw new Error(`pretrain config: lr must be > 0`);
  if (c.gate.rule !== undefined) checkName(c.gate.rule, ['sampled', 'greedy'], 'pretrain config: gate.rule');
  // The gate measures the teacher on levels the model is trained on: this corpus's levels of
  // the gate env, plus those its starting checkpoint (init) records.
  const gateEnv = c.gate.env ?? c.corpus.envs[0]?.name;
  const levels = new Set(c.corpus.envs.filter((e) => e.name === gateEnv).flatMap((e) => e.levels));
  if (c.init) for (const l of trainedLevels(c.init)?.byEnv.get(gateEnv) ?? []) levels.add(l);
  const outside = c.gate.rlLevels.filter((l) => !levels.has(l));
  if (outside.length) throw new Error(`pretrain config: gate.rlLevels ${outside.join(', ')} are outside the trained levels of ${gateEnv} (${[...levels].sort((a, b) => a - b).join(', ')}); RL levels must be inside the trained range`);
  const measured = (c.gate.levels ?? []).filter((l) => !levels.has(l));
  if (measured.length) throw new Error(`pretrain config: gate.levels ${measured.join(', ')} are outside the trained levels of ${gateEnv} (${[...levels].sort((a, b) => a - b).join(', ')}); the gate is only meaningful on trained levels`);
  return c;
}
