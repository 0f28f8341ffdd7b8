/**
 * The checkpoints that ship with distil (src/recipes/checkpoints/<name>/): model folders
 * chosen by the teacher gate from a pretraining run, each with `recipe.json` saying the
 * config, the exact command that reproduces it and its gate numbers.
 */
import { existsSync, readdirSync } from 'node:fs';
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
