/**
 * Which env levels a checkpoint was trained on, from the record it carries: `recipe.json` (a
 * shipped checkpoint: its pretraining config, whose corpus lists env levels) or, for a
 * checkpoint inside a pretraining run folder (RUN/checkpoints/step-N), the run's config.json.
 * A corpus that continued from another checkpoint (`init`) adds that checkpoint's levels when
 * its folder is at hand. RL at a level the model never saw measures nothing the feedback can
 * teach (a probe outside the trained range fails), so comparisons and gates refuse such levels.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export interface TrainedLevels {
  /** The file the levels were read from. */
  source: string;
  /** env name -> levels, sorted. */
  byEnv: Map<string, number[]>;
}

function readConfigWithCorpus(path: string): Record<string, unknown> | undefined {
  if (!existsSync(path)) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
  const o = v as Record<string, unknown>;
  // recipe.json holds the run's config under `config`; a run folder's config.json is the config.
  const cfg = (o?.config && typeof o.config === 'object' ? o.config : o) as Record<string, unknown>;
  return cfg?.corpus && typeof cfg.corpus === 'object' ? cfg : undefined;
}

/** Levels per env from a pretraining config's corpus.envs ([{name, levels}]). */
export function corpusLevels(config: Record<string, unknown>): Map<string, number[]> {
  const out = new Map<string, number[]>();
  const envs = (config.corpus as { envs?: unknown })?.envs;
  if (!Array.isArray(envs)) return out;
  for (const e of envs) {
    if (!e || typeof e !== 'object') continue;
    const { name, levels } = e as { name?: unknown; levels?: unknown };
    if (typeof name !== 'string' || !Array.isArray(levels)) continue;
    out.set(name, [...new Set([...(out.get(name) ?? []), ...levels.filter((l): l is number => typeof l === 'number')])].sort((a, b) => a - b));
  }
  return out;
}

/** The checkpoint's trained levels, or undefined when it carries no record of them. */
export function trainedLevels(modelDir: string, depth = 0): TrainedLevels | undefined {
  const dir = resolve(modelDir);
  const candidates = [join(dir, 'recipe.json'), join(dir, '..', '..', 'config.json')];
  for (const source of candidates) {
    const cfg = readConfigWithCorpus(source);
    if (!cfg) continue;
    const byEnv = corpusLevels(cfg);
    // A continued pretraining also knows what its starting checkpoint was trained on.
    if (typeof cfg.init === 'string' && cfg.init && depth < 8 && existsSync(cfg.init)) {
      const before = trainedLevels(cfg.init, depth + 1);
      for (const [env, ls] of before?.byEnv ?? []) byEnv.set(env, [...new Set([...(byEnv.get(env) ?? []), ...ls])].sort((a, b) => a - b));
    }
    return { source, byEnv };
  }
  return undefined;
}

/**
 * Check named levels against a checkpoint's record. Returns an error message (levels outside
 * the trained ones, or an env the checkpoint never saw), a warning (no record), or nothing.
 */
export function checkTrainedLevels(modelDir: string, env: string, levels: readonly number[], where: string): { error?: string; warning?: string } {
  if (!levels.length) return {};
  const t = trainedLevels(modelDir);
  if (!t) return { warning: `${where}: ${modelDir} carries no record of its trained levels (no recipe.json); cannot check level(s) ${levels.join(', ')} of ${env}` };
  const trained = t.byEnv.get(env);
  if (!trained) {
    return { error: `${where}: ${modelDir} was not trained on env '${env}' (${t.source} lists ${[...t.byEnv.keys()].join(', ') || 'no env'}); choose a checkpoint trained on it` };
  }
  const outside = levels.filter((l) => !trained.includes(l));
  if (outside.length) {
    return { error: `${where}: level(s) ${outside.join(', ')} of ${env} are outside the levels ${modelDir} was trained on (${trained.join(', ')}, per ${t.source}); use trained levels or a checkpoint trained on these` };
  }
  return {};
}
