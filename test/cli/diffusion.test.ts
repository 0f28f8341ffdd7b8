import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../src/cli/main.ts';
import { readJsonl } from '../../src/train/run-folder.ts';
import { tempDir, tinyCheckpoint } from '../diffusion/helpers.ts';

async function quiet(argv: string[]): Promise<{ code: number; err: string }> {
  const [log, error] = [console.log, console.error];
  let err = '';
  console.log = () => {};
  console.error = (s: string) => (err += s + '\n');
  try {
    return { code: await main(argv), err };
  } finally {
    [console.log, console.error] = [log, error];
  }
}

test('diffusion train / sample / report from the command line', async () => {
  const ck = tinyCheckpoint(8), dir = tempDir();
  const run = join(dir, 'run');
  let r = await quiet(['diffusion', 'train', '--out', run, '--checkpoint', ck, '--reward', 'brightness', '--variant', 'sf', '--epochs', '2', 'samplesPerEpoch=8', 'trainBatch=8', 'sampleSteps=3', 'queries=alignment']);
  assert.equal(r.code, 0, r.err);
  const rows = readJsonl(join(run, 'metrics.jsonl'));
  assert.equal(rows.length, 2);
  assert.equal(typeof rows[1]['query/alignment'], 'number');
  r = await quiet(['diffusion', 'sample', '--checkpoint', ck, '--out', join(dir, 's.png'), '--digits', '3,7', '--per-digit', '2', '--steps', '3']);
  assert.equal(r.code, 0, r.err);
  assert.deepEqual([...readFileSync(join(dir, 's.png')).subarray(1, 4)], [...Buffer.from('PNG')]);
  r = await quiet(['diffusion', 'report', '--out', join(dir, 'report'), run]);
  assert.equal(r.code, 0, r.err);
  assert.ok(existsSync(join(dir, 'report', 'index.html')));
  assert.match(readFileSync(join(dir, 'report', 'summary.md'), 'utf8'), /\| brightness \| DDPO_SF \| 1 \| 2 \|/);
});

test('diffusion: bad input is one clear usage error', async () => {
  const ck = tinyCheckpoint(9), dir = tempDir();
  let r = await quiet(['diffusion', 'sample', '--checkpoint', ck, '--out', join(dir, 'x.png'), '--size', '8']);
  assert.equal(r.code, 2);
  assert.match(r.err, /trained for 16x16 images/);
  r = await quiet(['diffusion', 'sample', '--checkpoint', ck, '--out', join(dir, 'x.png'), '--digits', '4,11']);
  assert.equal(r.code, 2);
  assert.match(r.err, /--digits entry 11 is not a digit class/);
  r = await quiet(['diffusion', 'train', '--out', join(dir, 'r'), '--checkpoint', ck, '--reward', 'jpeg']);
  assert.equal(r.code, 2);
  assert.match(r.err, /unknown reward 'jpeg'/);
  r = await quiet(['diffusion', 'train', '--out', join(dir, 'r2'), '--checkpoint', ck, 'lernrate=1']);
  assert.equal(r.code, 2);
  assert.match(r.err, /unknown setting 'lernrate'/);
  r = await quiet(['diffusion', 'report', '--out', join(dir, 'rep'), dir]);
  assert.equal(r.code, 2);
  assert.match(r.err, /not a DDPO run folder/);
});
