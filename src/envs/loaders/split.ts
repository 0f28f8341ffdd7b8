/**
 * How an env draws a task set and keeps its test split out of training.
 *
 * The task space of each level is hash-partitioned by prompt: a prompt belongs to the test
 * split iff hash(env, prompt) falls below the level's test fraction. Train and test can then
 * never share a prompt, whatever seeds are used, even on tiny levels whose whole space is a
 * few hundred prompts (sampling-based splits would collide there).
 */
import { Rng } from '../../util/rng.ts';
import type { Split, Task } from '../types.ts';

/** FNV-1a over UTF-16 code units: fast, stable across runs and platforms. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // One extra avalanche round: plain FNV's low bits are weak for short, similar strings.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  return h >>> 0;
}

/** Which split a prompt belongs to, given the fraction of the space reserved for test ('val' is part of train). */
export function splitOf(env: string, prompt: string, testFraction: number): Split {
  return fnv1a(`${env}\u0000${prompt}`) / 2 ** 32 < testFraction ? 'test' : 'train';
}

/**
 * Whether a prompt may be drawn for a split. test: hash below the test fraction; train: the
 * rest; val: the slice of train right above test, as wide as test (capped at the whole
 * space). Val is therefore disjoint from test by construction, and drawing it does not change
 * which prompts train or test hold (runs made before val existed draw the same tasks).
 */
export function inSplit(env: string, key: string, split: Split, testFraction: number): boolean {
  const h = fnv1a(`${env}\u0000${key}`) / 2 ** 32;
  if (split === 'test') return h < testFraction;
  if (split === 'train') return h >= testFraction;
  return h >= testFraction && h < Math.min(1, 2 * testFraction);
}

/** What a level generator returns; drawTasks turns it into a Task. */
export interface Generated {
  prompt: string;
  /**
   * What the split partition hashes (default: the prompt). Envs that show one problem in
   * several spellings (species order) give a spelling-free key, so that no problem can
   * appear in both splits.
   */
  key?: string;
  reference?: string;
  meta: Record<string, unknown>;
}

export interface DrawOptions {
  env: string;
  split: Split;
  n: number;
  seed: number;
  levels: readonly number[];
  generate: (level: number, rng: Rng) => Generated;
  /** Fraction of each level's prompt space that is test-only (default 0.125). */
  testFraction?: (level: number) => number;
  /** Attempts per task before accepting a prompt already drawn (small spaces run out). */
  maxAttempts?: number;
}

/**
 * Draws n tasks of the given split: deterministic in (split, n, seed, levels). Prompts are
 * distinct within a call while the level's partition has unseen prompts left.
 */
export function drawTasks(o: DrawOptions): Task[] {
  if (!Number.isInteger(o.n) || o.n < 0) throw new Error(`${o.env}: n must be a non-negative integer, got ${o.n}`);
  if (o.levels.length === 0) throw new Error(`${o.env}: no levels to draw from`);
  const frac = o.testFraction ?? (() => 0.125);
  const maxAttempts = o.maxAttempts ?? 400;
  // Separate streams per split, so train and test drawn with the same seed are unrelated.
  // (val has a stream of its own, far from the seeds train and test use.)
  const rng = new Rng(o.split === 'val' ? o.seed * 2 + 0x5eed_0001 * 2 : o.seed * 2 + (o.split === 'test' ? 1 : 0));
  const seen = new Set<string>();
  // Levels whose partition ran out of unseen prompts: from then on repeats are accepted at
  // once instead of searching again for every task.
  const exhausted = new Set<number>();
  const out: Task[] = [];
  for (let i = 0; i < o.n; i++) {
    const level = rng.pick(o.levels);
    let fallback: Generated | undefined;
    let chosen: Generated | undefined;
    for (let a = 0; a < maxAttempts && !chosen; a++) {
      const g = o.generate(level, rng);
      if (!inSplit(o.env, g.key ?? g.prompt, o.split, frac(level))) continue;
      if (!seen.has(g.prompt)) chosen = g;
      else if (exhausted.has(level)) chosen = g;
      else fallback ??= g;
    }
    if (!chosen && fallback) exhausted.add(level);
    chosen ??= fallback;
    if (!chosen) {
      throw new Error(`${o.env}: found no ${o.split} prompt at level ${level} in ${maxAttempts} attempts (is the level's task space empty?)`);
    }
    seen.add(chosen.prompt);
    out.push({
      id: `${o.env}/${o.split}/${level}/${String(i).padStart(4, '0')}`,
      env: o.env,
      prompt: chosen.prompt,
      reference: chosen.reference,
      level,
      meta: chosen.meta,
    });
  }
  return out;
}

/** Levels to draw from: the caller's, checked against what the env has, or its defaults. */
export function resolveLevels(env: string, all: readonly number[], defaults: readonly number[], asked?: number[]): number[] {
  if (!asked || asked.length === 0) return [...defaults];
  const bad = asked.filter((l) => !all.includes(l));
  if (bad.length) throw new Error(`${env}: unknown level(s) ${bad.join(', ')}; levels are ${all.join(', ')}`);
  return [...asked];
}
