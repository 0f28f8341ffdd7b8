import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadDiffusion } from '../../src/diffusion/checkpoint.ts';
import { DDPO_DEFAULTS, type DdpoConfig } from '../../src/diffusion/ddpo-config.ts';
import { runDdpo } from '../../src/diffusion/ddpo.ts';
import { readJsonl } from '../../src/train/run-folder.ts';
import { tempDir, tinyCheckpoint } from './helpers.ts';

function config(checkpoint: string, over: Partial<DdpoConfig> = {}): DdpoConfig {
  return { ...DDPO_DEFAULTS, checkpoint, epochs: 3, samplesPerEpoch: 8, trainBatch: 4, sampleSteps: 4, trackerMinCount: 4, checkpointEvery: 2, ...over };
}

const TIME = /^time\/|^wall_s$/;
const untimed = (rows: Record<string, unknown>[]) => rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !TIME.test(k))));

test('a DDPO run writes metrics, a grid per epoch and a checkpoint, and several updates per epoch', async () => {
  const ck = tinyCheckpoint(3), out = tempDir();
  await runDdpo({ out, config: config(ck, { variant: 'is', innerEpochs: 2, timestepFraction: 0.5 }) });
  const rows = readJsonl(join(out, 'metrics.jsonl'));
  assert.deepEqual(rows.map((r) => r.epoch), [1, 2, 3]);
  for (const r of rows) {
    assert.equal(r.updates, 4); // 8 images / 4 per step x 2 inner epochs
    for (const k of ['reward', 'query/brightness', 'query/alignment', 'accuracy', 'loss', 'approx_kl', 'clip_frac', 'grad_norm']) assert.equal(typeof r[k], 'number', k);
  }
  // The first update of the first epoch is on-policy; later updates are not, so some rows clip.
  assert.ok((rows[0].ratio_mean as number) !== 1);
  assert.deepEqual(readdirSync(join(out, 'grids')).sort(), ['epoch-0.png', 'epoch-1.png', 'epoch-2.png', 'epoch-3.png']);
  assert.deepEqual(readdirSync(join(out, 'checkpoints')), ['epoch-3']);
  assert.ok(existsSync(join(out, 'summary.json')));
  // The checkpoint is itself a diffusion checkpoint that loads.
  assert.equal(loadDiffusion(join(out, 'checkpoints', 'epoch-3')).model.P, 256);
});

test('resume: stopped after epoch 1 and resumed equals the straight run (metrics and weights)', async () => {
  const ck = tinyCheckpoint(4);
  const a = tempDir(), b = tempDir();
  const cfg = config(ck, { variant: 'sf', checkpointEvery: 1, perPromptTracking: true });
  await runDdpo({ out: a, config: cfg });
  await runDdpo({ out: b, config: cfg, stopAfterEpoch: 1 });
  assert.equal(readJsonl(join(b, 'metrics.jsonl')).length, 1);
  await runDdpo({ out: b, config: cfg });
  assert.deepEqual(untimed(readJsonl(join(b, 'metrics.jsonl'))), untimed(readJsonl(join(a, 'metrics.jsonl'))));
  const wa = loadDiffusion(join(a, 'checkpoints', 'epoch-3')).model.params, wb = loadDiffusion(join(b, 'checkpoints', 'epoch-3')).model.params;
  for (const [k, t] of wa) assert.deepEqual(wb.get(k)!.data, t.data, k);
  await assert.rejects(runDdpo({ out: b, config: { ...cfg, lr: 1 } }), /other settings/);
});

test('a reward that fails on some samples: counted in the metrics, those samples skipped, training goes on', async () => {
  const ck = tinyCheckpoint(5), out = tempDir();
  const mod = join(out, 'odd.mjs');
  writeFileSync(mod, 'export default (image, prompt) => { if (prompt % 2) return NaN; return image[0]; };\n');
  const lines: string[] = [];
  await runDdpo({ out: join(out, 'run'), config: config(ck, { reward: `module:${mod}`, queries: [], prompts: [1, 2], epochs: 1 }), log: (l) => lines.push(l) });
  const [row] = readJsonl(join(out, 'run', 'metrics.jsonl'));
  assert.equal((row.reward_failures as number) + (row.samples_kept as number), 8);
  assert.ok((row.reward_failures as number) > 0);
  assert.ok(lines.some((l) => /reward failed on sample \d+ \(prompt 1\).*skipped/.test(l)));
});

test('bad input: prompts outside the classes, eta 0, a folder that is not a checkpoint', async () => {
  const ck = tinyCheckpoint(6);
  await assert.rejects(runDdpo({ out: tempDir(), config: config(ck, { prompts: [3, 12] }) }), /prompt 12 is not a digit class/);
  await assert.rejects(runDdpo({ out: tempDir(), config: config(ck, { eta: 0 }) }), /eta must be > 0/);
  await assert.rejects(runDdpo({ out: tempDir(), config: config(ck, { samplesPerEpoch: 6 }) }), /multiple of trainBatch/);
  await assert.rejects(runDdpo({ out: tempDir(), config: config(tempDir()) }), /not a diffusion checkpoint/);
});
