/**
 * Reads a JSONL file into objects; a bad line fails with the file and line number, so a
 * broken benchmark file is fixed at the source instead of silently dropping rows.
 */
import { readFileSync } from 'node:fs';

import { InputError } from '../../util/errors.ts';

/** A data file that cannot be used as it is (bad input: the command line exits 2). */
export class DataError extends InputError {}

export interface JsonlRow {
  /** 1-based line number in the file. */
  line: number;
  value: Record<string, unknown>;
}

export function readJsonl(path: string): JsonlRow[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new DataError(`cannot read ${path}: ${(err as Error).message}`);
  }
  const rows: JsonlRow[] = [];
  text.split('\n').forEach((raw, i) => {
    const s = raw.trim();
    if (!s) return;
    let value: unknown;
    try {
      value = JSON.parse(s);
    } catch (err) {
      throw new DataError(`${path}:${i + 1}: not valid JSON (${(err as Error).message})`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new DataError(`${path}:${i + 1}: expected a JSON object per line`);
    }
    rows.push({ line: i + 1, value: value as Record<string, unknown> });
  });
  if (rows.length === 0) throw new DataError(`${path}: no records`);
  return rows;
}

/** A string field, or a DataError naming the file, line and field. */
export function stringField(row: JsonlRow, path: string, names: string[]): string {
  for (const n of names) {
    const v = row.value[n];
    if (typeof v === 'string' && v.trim()) return v;
    if (typeof v === 'number') return String(v);
  }
  throw new DataError(`${path}:${row.line}: missing field ${names.map((n) => `'${n}'`).join(' or ')} (a non-empty string)`);
}
