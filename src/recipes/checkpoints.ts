/**
 * The checkpoints that ship with distil (src/recipes/checkpoints/<name>/): model folders
 * chosen by the teacher gate from a pretraining run, each with `recipe.json` saying the
 * config, the exact command that reproduces it and its gate numbers.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CHECKPOINTS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'checkpoints');

export function builtinCheckpoints(): string[] {
  if (!existsSync(CHECKPOINTS_DIR)) return [];
  return readdirSync(CHECKPOINTS_DIR).filter((n) => existsSync(join(CHECKPOINTS_DIR, n, 'config.json'))).sort();
}

/** Folder of a shipped checkpoint, for loadModelFolder. */
export function builtinCheckpoint(name: string): string {
  const dir = join(CHECKPOINTS_DIR, name);
  if (!existsSync(join(dir, 'config.json'))) throw new Error(`no built-in checkpoint '${name}'; shipped: ${builtinCheckpoints().join(', ') || 'none'}`);
  return dir;
}

/** The env and RL levels a checkpoint's recipe.json gated it for (what `distil eval` measures by default), if it says. */
export function gatedSetting(modelDir: string): { env: string; levels: number[]; envOptions?: Record<string, unknown> } | undefined {
  const file = join(modelDir, 'recipe.json');
  if (!existsSync(file)) return undefined;
  let recipe: { config?: { gate?: { env?: string; rlLevels?: unknown; envOptions?: Record<string, unknown> }; corpus?: { envs?: { name?: string }[] } } };
  try {
    recipe = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined; // a broken recipe is not this helper's to report: the model still loads
  }
  const gate = recipe.config?.gate;
  const env = gate?.env ?? recipe.config?.corpus?.envs?.[0]?.name;
  const levels = gate?.rlLevels;
  if (!env || !Array.isArray(levels) || !levels.every(Number.isInteger)) return undefined;
  return { env, levels: levels as number[], ...(gate?.envOptions ? { envOptions: gate.envOptions } : {}) };
}
