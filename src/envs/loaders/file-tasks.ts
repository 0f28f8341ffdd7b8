/**
 * Tasks from benchmark files: a test file (the benchmark) and an optional train file, with
 * train rows whose question also occurs in the test file dropped (no contamination).
 */
import { Rng } from '../../util/rng.ts';
import type { Split } from '../types.ts';
import { DataError } from './jsonl.ts';

export interface FileEnvOptions {
  /** Test file (the benchmark). `path` is the same thing. */
  test?: string;
  path?: string;
  /** Train file; without it tasks('train') is an error. */
  train?: string;
}

export interface SplitFiles<R> {
  test: R[];
  train: R[] | null;
}

export function loadSplits<R extends { question: string }>(env: string, o: FileEnvOptions, load: (p: string) => R[]): SplitFiles<R> {
  const testPath = o.test ?? o.path;
  if (!testPath) throw new DataError(`${env}: needs a JSONL file: pass {path: FILE} (or {test: FILE, train: FILE})`);
  const test = load(testPath);
  if (!o.train) return { test, train: null };
  const seen = new Set(test.map((r) => norm(r.question)));
  return { test, train: load(o.train).filter((r) => !seen.has(norm(r.question))) };
}

const norm = (q: string) => q.replace(/\s+/g, ' ').trim().toLowerCase();

/**
 * n rows of a split (all, in file order, when n covers them), filtered by level. File envs have
 * two files: val draws from the train file (a comparison checks that val and test share no prompt).
 */
export function pickRows<R extends { level: number }>(env: string, files: SplitFiles<R>, split: Split, n: number, seed: number, levels?: number[]): R[] {
  const rows = split === 'test' ? files.test : files.train;
  if (!rows) throw new DataError(`${env}: no train file given; pass {train: FILE} to draw training tasks`);
  const pool = levels?.length ? rows.filter((r) => levels.includes(r.level)) : rows;
  if (pool.length === 0 && n > 0) {
    throw new DataError(`${env}: no ${split} rows at level(s) ${levels!.join(', ')}; the file has levels ${levelsOf(rows).join(', ')}`);
  }
  if (n >= pool.length) return pool;
  const idx = new Rng(seed).shuffle(pool.map((_, i) => i)).slice(0, n).sort((a, b) => a - b);
  return idx.map((i) => pool[i]);
}

export function levelsOf(rows: { level: number }[]): number[] {
  return [...new Set(rows.map((r) => r.level))].sort((a, b) => a - b);
}
