/** Shared by the test/models tests: fixture paths, temporary folders, raw safetensors builders. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';

export const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'models');
export const fixture = (...parts: string[]) => join(FIXTURES, ...parts);

/** A fresh temporary folder, removed when the test file finishes. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'distil-models-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Build safetensors bytes from an arbitrary header object and data (for malformed inputs). */
export function rawSafetensors(header: unknown, data: Uint8Array, headerText?: string): Buffer {
  const h = Buffer.from(headerText ?? JSON.stringify(header), 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(h.length));
  return Buffer.concat([len, h, data]);
}
