/**
 * Choosing each method's learning rate on the val split: one short run per (method, env, lr)
 * of the grid, evaluated on val prompts (never test prompts), and the lr with the highest
 * final accuracy on them wins (greedy accuracy by default; ties go to the smaller lr). The
 * grid, every run's val accuracy and the choice are recorded (lr-choice.json).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../algorithms/options.ts';
import { getEnv } from '../envs/registry.ts';
import { DEFAULT_EVAL_SEED } from './evaluate.ts';
import { readJsonl } from './run-folder.ts';
import type { TrainConfig } from './config.ts';

export interface LrSearch {
  /** Learning rates to try (e.g. [1e-5, 3e-5, 1e-4, 3e-4]). */
  grid: number[];
  /** The seed of the search runs (default: the comparison's first seed). */
  seed?: number;
  /** Which final val accuracy decides (default greedy). */
  metric?: 'greedy' | 'sampled';
  /** Train settings of the search runs on top of the comparison's (e.g. evalPrompts). */
  base?: Record<string, unknown>;
}

const SEARCH_KEYS = ['grid', 'seed', 'metric', 'base'];

export function validateLrSearch(s: unknown): LrSearch {
  if (!s || typeof s !== 'object' || Array.isArray(s)) throw new ConfigError('compare config: lrSearch must be an object {grid: [lr, ...], seed?, metric?, base?}');
  const o = s as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!SEARCH_KEYS.includes(k)) throw new ConfigError(`compare config: lrSearch: unknown key '${k}'; known: ${SEARCH_KEYS.join(', ')}`);
  if (!Array.isArray(o.grid) || o.grid.length === 0 || !o.grid.every((x) => typeof x === 'number' && x > 0 && Number.isFinite(x))) {
    throw new ConfigError('compare config: lrSearch.grid must list positive learning rates, e.g. [1e-5, 3e-5, 1e-4, 3e-4]');
  }
  if (new Set(o.grid).size !== o.grid.length) throw new ConfigError('compare config: lrSearch.grid lists a learning rate twice');
  if (o.metric !== undefined && o.metric !== 'greedy' && o.metric !== 'sampled') throw new ConfigError(`compare config: lrSearch.metric must be 'greedy' or 'sampled', got ${JSON.stringify(o.metric)}`);
  if (o.seed !== undefined && !Number.isInteger(o.seed)) throw new ConfigError('compare config: lrSearch.seed must be a whole number');
  if (o.base !== undefined && (typeof o.base !== 'object' || o.base === null || Array.isArray(o.base))) throw new ConfigError('compare config: lrSearch.base must be an object of train settings');
  for (const k of ['lr', 'evalSplit', 'seed', 'model', 'env', 'levels', 'evalLevels']) {
    if (o.base && k in (o.base as object)) throw new ConfigError(`compare config: lrSearch.base cannot set '${k}' (the search sets it, or uses the comparison's)`);
  }
  return o as unknown as LrSearch;
}

/**
 * Refuse a val split that shares a prompt with the test split the comparison reports on: the
 * search's val prompts and the evaluation's test prompts are drawn as the runs will draw them.
 */
export async function checkValDisjoint(search: TrainConfig, main: TrainConfig): Promise<void> {
  const env = await getEnv(main.env, main.envOptions);
  try {
    const opts = (c: TrainConfig) => ((c.evalLevels ?? c.levels) ? { levels: (c.evalLevels ?? c.levels)! } : undefined);
    const val = env.tasks('val', search.evalPrompts, DEFAULT_EVAL_SEED, opts(search));
    const test = new Set(env.tasks('test', main.evalPrompts, DEFAULT_EVAL_SEED, opts(main)).map((t) => t.prompt));
    const shared = val.filter((t) => test.has(t.prompt));
    if (shared.length) {
      throw new ConfigError(
        `compare config: the val split of ${main.env} shares ${shared.length} of ${val.length} prompts with its test split ` +
          `(e.g. ${JSON.stringify(shared[0].prompt.slice(0, 60))}); the learning rate must be chosen on prompts disjoint from test: ` +
          'give the env a train file that holds no test prompt',
      );
    }
  } finally {
    await env.close?.();
  }
}

export interface LrTrial {
  lr: number;
  dir: string;
  /** Final val accuracies (fractions); undefined when the run recorded none. */
  greedy?: number;
  sampled?: number;
}

export interface LrChoice {
  method: string;
  env: string;
  metric: 'greedy' | 'sampled';
  trials: LrTrial[];
  chosen: number;
}

/** The final val evaluation of a finished search run. */
export function finalValAccuracy(dir: string): { greedy?: number; sampled?: number } {
  const path = join(dir, 'eval.jsonl');
  if (!existsSync(path)) return {};
  const rows = readJsonl(path);
  const last = rows[rows.length - 1];
  if (!last) return {};
  const n = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  return { greedy: n(last.greedy), sampled: n(last.accuracy) };
}

/** The lr whose final val accuracy is highest (ties: the smaller lr); trials without it cannot win. */
export function chooseLr(method: string, env: string, metric: 'greedy' | 'sampled', trials: LrTrial[]): LrChoice {
  const scored = trials.filter((t) => t[metric] !== undefined);
  if (!scored.length) throw new Error(`lr search for ${method} on ${env}: no run recorded a final val ${metric} accuracy (${trials.map((t) => t.dir).join(', ')})`);
  const best = [...scored].sort((a, b) => b[metric]! - a[metric]! || a.lr - b.lr)[0];
  return { method, env, metric, trials, chosen: best.lr };
}
