/**
 * Tolerant readers for run-folder files: a missing file is "no rows", extra keys are kept,
 * and a malformed line is an error naming the file and line, except a last line without
 * its newline, which a live run may be in the middle of appending (skipped with a warning).
 */
import { existsSync, readFileSync } from 'node:fs';

export type Row = Record<string, unknown>;

export class RunFormatError extends Error {}

export function readJsonl(path: string, warnings: string[] = []): Row[] {
  if (!existsSync(path)) return [];
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  const rows: Row[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const isTornTail = i === lines.length - 1; // no newline after it: possibly still being written
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      if (isTornTail) {
        warnings.push(`${path}:${i + 1}: skipped an incomplete last line (a run still writing it?)`);
        return;
      }
      throw new RunFormatError(`${path}:${i + 1}: not valid JSON (${(err as Error).message}); fix or delete that line`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new RunFormatError(`${path}:${i + 1}: expected a JSON object per line, got ${Array.isArray(value) ? 'an array' : JSON.stringify(value)}`);
    }
    rows.push(value as Row);
  });
  return rows;
}

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
