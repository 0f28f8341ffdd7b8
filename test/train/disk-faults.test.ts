/**
 * A write into the run folder that fails mid-run (here: the folder made read-only) ends the
 * run with an error naming the file and the checkpoint to resume from; that checkpoint is left
 * intact, and --resume finishes the run once the folder is writable again.
 *
 * Root ignores permission bits, so when the tests run as root the read-only folder is
 * simulated the way a read-only file system answers: every write under it fails with EROFS.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs, { chmodSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { resolveTrainConfig } from '../../src/train/config.ts';
import { train } from '../../src/train/loop.ts';
import { readJsonl, RunWriteError } from '../../src/train/run-folder.ts';
import { tinyModelFolder } from './helpers.ts';

const model = tinyModelFolder(5);
const base = {
  model, env: 'math', levels: [1], algorithm: 'grpo', steps: 6, promptsPerStep: 2, groupSize: 2, maxTokens: 8,
  evalEvery: 0, evalPrompts: 2, evalSamples: 1, checkpointEvery: 2, keepCheckpoints: 3, samplesPerStep: 1, klInit: false,
};
const quiet = { log: () => {} };

/** Makes `dir` (and what is below it) refuse writes; returns the function that undoes it. */
function makeReadOnly(dir: string): () => void {
  if (process.getuid?.() !== 0) {
    const all = (d: string): string[] => [d, ...readdirSync(d, { withFileTypes: true }).filter((e) => e.isDirectory()).flatMap((e) => all(join(d, e.name)))];
    const dirs = all(dir);
    for (const d of dirs) chmodSync(d, 0o555);
    return () => dirs.forEach((d) => chmodSync(d, 0o755));
  }
  const names = ['mkdirSync', 'writeFileSync', 'appendFileSync', 'openSync', 'renameSync', 'rmSync', 'copyFileSync'] as const;
  const saved = names.map((n) => fs[n]);
  const inside = (p: unknown) => typeof p === 'string' && p.startsWith(dir);
  names.forEach((n, i) => {
    (fs as unknown as Record<string, unknown>)[n] = (...args: unknown[]) => {
      const writes = n !== 'openSync' || /[wa+]/.test(String(args[1] ?? 'r'));
      if (writes && (inside(args[0]) || (n === 'renameSync' && inside(args[1])))) {
        throw Object.assign(new Error(`EROFS: read-only file system, ${n} '${args[0]}'`), { code: 'EROFS' });
      }
      return (saved[i] as (...a: unknown[]) => unknown)(...args);
    };
  });
  syncBuiltinESMExports();
  return () => {
    names.forEach((n, i) => ((fs as unknown as Record<string, unknown>)[n] = saved[i]));
    syncBuiltinESMExports();
  };
}

/** Hash of every file of a folder, by relative path. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p, join(rel, e.name));
      else out[join(rel, e.name)] = createHash('sha256').update(readFileSync(p)).digest('hex');
    }
  };
  walk(dir, '');
  return out;
}

for (const [what, folder, failingStep, message] of [
  ['a checkpoint', 'checkpoints', 4, /could not write checkpoint step 4 in .* \(.*\); the run stopped here\. the last complete checkpoint \(step 2\) is intact: .* resume with --resume/],
  ['a log', '', 3, /could not write metrics\.jsonl in .* \(.*\); the run stopped here\. the last complete checkpoint \(step 2\) is intact/],
] as const) {
  test(`${what} that cannot be written ends the run clearly; the last good checkpoint resumes`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'distil-disk-'));
    const cfg = resolveTrainConfig(base);
    let undo: (() => void) | null = null;
    let before: Record<string, string> = {};
    try {
      await assert.rejects(
        train(cfg, dir, {
          ...quiet,
          midStep: (step) => {
            if (step !== failingStep) return;
            before = snapshot(join(dir, 'checkpoints', 'step-2'));
            undo = makeReadOnly(join(dir, folder));
          },
        }),
        (e: Error) => e instanceof RunWriteError && message.test(e.message),
      );
    } finally {
      (undo as (() => void) | null)?.();
    }
    // The last good checkpoint is exactly as it was, and nothing half-written looks like one.
    assert.deepEqual(snapshot(join(dir, 'checkpoints', 'step-2')), before);
    assert.deepEqual(readdirSync(join(dir, 'checkpoints')).filter((n) => !n.includes('.tmp-')).sort(), ['step-2']);
    assert.ok(statSync(join(dir, 'checkpoints', 'step-2', 'trainer-state.json')).isFile());
    // Writable again: --resume continues from step 2 and finishes with one row per step.
    const res = await train(cfg, dir, quiet, { resume: true });
    assert.equal(res.steps, 6);
    assert.deepEqual(readJsonl(join(dir, 'metrics.jsonl')).map((r) => r.step), [1, 2, 3, 4, 5, 6]);
  });
}
