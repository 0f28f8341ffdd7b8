/**
 * Tolerant readers for run-folder files: a missing file is "no rows", extra keys are kept.
 * JSONL logs are read by the run-folder module's readJsonl (a malformed line is an error
 * naming the file and line, except an incomplete last line, skipped with a warning).
 */
import { existsSync, readFileSync } from 'node:fs';

export type Row = Record<string, unknown>;

export { readJsonl, RunFormatError } from '../train/run-folder.ts';
import { RunFormatError } from '../train/run-folder.ts';

/** Parse a JSON file, or undefined when it does not exist. */
export function readJson(path: string): unknown {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new RunFormatError(`${path}: not valid JSON (${(err as Error).message})`);
  }
}

/** A finite number stored under key, or undefined (absent, null, a string...). */
export function num(row: Row | undefined, key: string): number | undefined {
  const v = row?.[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export function str(row: Row | undefined, key: string): string | undefined {
  const v = row?.[key];
  return typeof v === 'string' ? v : undefined;
}
