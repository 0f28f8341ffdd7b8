/**
 * The files of a run folder (docs/run-folder.md): append-only JSONL logs that a resume cuts
 * back to the checkpoint, so a resumed run's logs equal an uninterrupted run's.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic.ts';

export const METRICS = 'metrics.jsonl';
export const EVAL = 'eval.jsonl';
export const SAMPLES = 'samples.jsonl';

/** JSON without NaN or infinities (JSON cannot hold them): such values are dropped. */
export function cleanJson(obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (typeof v === 'number' && !Number.isFinite(v)) continue;
    out[k] = v;
  }
  return out;
}

export function appendJsonl(dir: string, file: string, row: Record<string, unknown>): void {
  appendFileSync(join(dir, file), JSON.stringify(cleanJson(row)) + '\n');
}

/** Keep only the lines whose `step` is <= lastStep (drops a torn last line too). */
export function truncateJsonl(dir: string, file: string, lastStep: number): void {
  const path = join(dir, file);
  if (!existsSync(path)) return;
  const kept: string[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      const row = JSON.parse(line);
      if (typeof row.step === 'number' && row.step <= lastStep) kept.push(line);
    } catch {
      // A line torn by a kill mid-write: the checkpoint does not cover it anyway.
    }
  }
  writeFileAtomic(path, kept.map((l) => l + '\n').join(''));
}

export function readJsonl(path: string): Record<string, unknown>[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l, i) => {
      try {
        return JSON.parse(l);
      } catch {
        throw new Error(`${path}:${i + 1}: not valid JSON`);
      }
    });
}
