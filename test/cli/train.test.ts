import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tinyModelFolder } from '../train/helpers.ts';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'distil.mjs');

test('distil train: Ctrl-C stops after the current step with a checkpoint, and --resume finishes the run', async () => {
  const model = tinyModelFolder(4);
  const out = join(mkdtempSync(join(tmpdir(), 'distil-cli-train-')), 'run');
  const args = [BIN, 'train', '--out', out, `model=${model}`, 'env=math', 'levels=[1]', 'algorithm=sft', 'steps=100000',
    'promptsPerStep=2', 'groupSize=2', 'maxTokens=8', 'evalPrompts=4', 'evalSamples=1', 'evalEvery=0', 'checkpointEvery=0'];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (d) => (stdout += d));
  // Wait for the first training step, then press Ctrl-C.
  const metrics = join(out, 'metrics.jsonl');
  for (let i = 0; i < 600 && !(existsSync(metrics) && readFileSync(metrics, 'utf8').trim()); i++) await new Promise((r) => setTimeout(r, 100));
  child.kill('SIGINT');
  const code = await new Promise<number | null>((r) => child.on('exit', r));
  assert.equal(code, 0, stdout);
  assert.match(stdout, /stopped at step (\d+)/);
  const stoppedAt = Number(/stopped at step (\d+)/.exec(stdout)![1]);
  assert.ok(stoppedAt >= 1 && stoppedAt < 100000);
  assert.ok(existsSync(join(out, 'checkpoints', `step-${stoppedAt}`, 'trainer-state.json')), 'a checkpoint at the stop');
  assert.ok(!existsSync(join(out, 'summary.json')), 'a stopped run is not finished');
  // Resume with fewer total steps: it continues from the checkpoint and finishes.
  const r = spawnSync(process.execPath, [BIN, 'train', '--resume', '--out', out, `steps=${stoppedAt + 2}`], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /done:/);
  const lines = readFileSync(metrics, 'utf8').trim().split('\n').map((l) => JSON.parse(l).step);
  assert.deepEqual(lines, Array.from({ length: stoppedAt + 2 }, (_, i) => i + 1));
});
