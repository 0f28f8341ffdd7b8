import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  appendJsonl, checkpointDir, listCheckpoints, loadCheckpoint, METRICS, modelDirOf, openRun, readJsonl, RunFormatError,
  saveCheckpoint, truncateJsonl,
} from '../../src/train/run-folder.ts';
import { tinyModelFolder } from './helpers.ts';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'distil-run-folder-'));
}

test('JSONL: rows round-trip without non-finite numbers; an incomplete last line is skipped with a warning', () => {
  const dir = tmp();
  try {
    appendJsonl(dir, METRICS, { step: 1, loss: 0.5, bad: NaN, inf: Infinity });
    appendJsonl(dir, METRICS, { step: 2, loss: 0.25 });
    writeFileSync(join(dir, METRICS), readFileSync(join(dir, METRICS), 'utf8') + '{"step": 3, "lo'); // a kill mid-append
    const warnings: string[] = [];
    assert.deepEqual(readJsonl(join(dir, METRICS), warnings), [{ step: 1, loss: 0.5 }, { step: 2, loss: 0.25 }]);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /metrics\.jsonl:3: skipped an incomplete last line/);
    assert.deepEqual(readJsonl(join(dir, 'absent.jsonl')), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('JSONL: a malformed line before the last is an error naming the file and line', () => {
  const dir = tmp();
  try {
    writeFileSync(join(dir, METRICS), '{"step":1}\nnot json\n{"step":3}\n');
    assert.throws(() => readJsonl(join(dir, METRICS)), (e: Error) => e instanceof RunFormatError && /metrics\.jsonl:2: not valid JSON/.test(e.message));
    writeFileSync(join(dir, METRICS), '[1,2]\n');
    assert.throws(() => readJsonl(join(dir, METRICS)), /metrics\.jsonl:1: expected a JSON object per line, got an array/);
    // Truncation reads the same way: it does not silently drop a corrupt row in the middle.
    writeFileSync(join(dir, METRICS), '{"step":1}\nnot json\n{"step":3}\n');
    assert.throws(() => truncateJsonl(dir, METRICS, 5), /metrics\.jsonl:2/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('JSONL: truncation keeps rows up to a step, byte for byte, and drops a torn last line', () => {
  const dir = tmp();
  try {
    const lines = ['{"step":1,"x":0.1}', '{"step":2,"x":1e-7}', '{"note":"no step"}', '{"step":3}'];
    writeFileSync(join(dir, METRICS), lines.join('\n') + '\n{"step":4,"x"');
    truncateJsonl(dir, METRICS, 2);
    assert.equal(readFileSync(join(dir, METRICS), 'utf8'), lines.slice(0, 2).join('\n') + '\n');
    truncateJsonl(dir, METRICS, -1);
    assert.equal(readFileSync(join(dir, METRICS), 'utf8'), '');
    truncateJsonl(dir, 'absent.jsonl', 3); // nothing to cut: no file appears
    assert.ok(!existsSync(join(dir, 'absent.jsonl')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const model = tinyModelFolder(3);
const writeModel = (dir: string) => cpSync(model, dir, { recursive: true });

test('checkpoints: save, list, load, keep the newest, and ignore an incomplete folder', async () => {
  const run = tmp();
  try {
    const opt = { step: 7, paramSteps: { w: 7 }, tensors: { 'w.m': new Float32Array([1, 2, 3]), 'w.v': new Float32Array([4, 5, 6]) } };
    for (const step of [2, 4, 6]) {
      await saveCheckpoint(run, { state: { step, note: `s${step}` }, model: writeModel, optimizer: opt, extras: { teacher: writeModel } }, 2);
    }
    assert.deepEqual(listCheckpoints(run), [4, 6]);
    // A folder a kill left half-written (no trainer-state.json) is not a checkpoint.
    mkdirSync(join(checkpointDir(run, 8), 'model'), { recursive: true });
    assert.deepEqual(listCheckpoints(run), [4, 6]);
    const c = loadCheckpoint<{ step: number; note: string }>(run, 6);
    assert.equal(c.state.note, 's6');
    assert.equal(c.modelDir, join(checkpointDir(run, 6), 'model'));
    assert.deepEqual(Object.keys(c.extras), ['teacher']);
    assert.equal(c.optimizer!.step, 7);
    assert.deepEqual(c.optimizer!.paramSteps, { w: 7 });
    assert.deepEqual(Array.from(c.optimizer!.tensors['w.v']), [4, 5, 6]);
    assert.equal(modelDirOf(checkpointDir(run, 6)), c.modelDir);
    assert.equal(modelDirOf(model), model); // a plain model folder names itself
    assert.throws(() => loadCheckpoint(run, 8), /not a complete checkpoint/);
  } finally {
    rmSync(run, { recursive: true, force: true });
  }
});

test('openRun: a fresh start refuses a folder holding a run; a resume cuts the logs back to the newest checkpoint', async () => {
  const run = tmp();
  try {
    assert.equal(openRun(run, { a: 1 }).checkpoint, null);
    assert.deepEqual(JSON.parse(readFileSync(join(run, 'config.json'), 'utf8')), { a: 1 });
    for (let step = 1; step <= 5; step++) appendJsonl(run, METRICS, { step });
    assert.throws(() => openRun(run, { a: 1 }), /already holds a run.*--resume/);
    // Killed before its first checkpoint: a resume starts over.
    assert.equal(openRun(run, { a: 1 }, { resume: true }).checkpoint, null);
    assert.deepEqual(readJsonl(join(run, METRICS)), []);
    for (let step = 1; step <= 5; step++) appendJsonl(run, METRICS, { step });
    await saveCheckpoint(run, { state: { step: 3 }, model: writeModel, optimizer: null });
    const changes: unknown[] = [];
    const opened = openRun(run, { a: 2 }, { resume: true, onConfigChange: (saved) => changes.push(saved) });
    assert.equal(opened.checkpoint!.step, 3);
    assert.equal(opened.checkpoint!.optimizer, null);
    assert.deepEqual(readJsonl(join(run, METRICS)).map((r) => r.step), [1, 2, 3]);
    assert.deepEqual(changes, [{ a: 1 }]);
    assert.deepEqual(JSON.parse(readFileSync(join(run, 'config.json'), 'utf8')), { a: 2 });
  } finally {
    rmSync(run, { recursive: true, force: true });
  }
});

test('openRun: a pretraining run in the earlier checkpoint format is refused with what to do instead', () => {
  const run = tmp();
  try {
    appendJsonl(run, METRICS, { step: 1 });
    const old = checkpointDir(run, 1);
    cpSync(model, old, { recursive: true });
    writeFileSync(join(old, 'state.json'), '{"step":1}');
    assert.throws(() => openRun(run, {}, { resume: true }), /earlier distil versions.*model folder/);
    assert.equal(modelDirOf(old), old);
  } finally {
    rmSync(run, { recursive: true, force: true });
  }
});
