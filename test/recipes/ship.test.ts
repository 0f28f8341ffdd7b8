import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadModelFolder } from '../../src/models/folder.ts';
import { resolvePretrainConfig } from '../../src/recipes/pretrain-config.ts';
import { shipCheckpoint } from '../../src/recipes/ship.ts';
import { pretrain } from '../../src/recipes/pretrain.ts';

test('ship: a checkpoint becomes a loadable model folder with its recipe, without optimiser state', async () => {
  const root = mkdtempSync(join(tmpdir(), 'distil-ship-'));
  try {
    const run = join(root, 'run');
    const cfg = resolvePretrainConfig({
      model: 'micro', steps: 2, batchSize: 2, warmup: 0, checkpointEvery: 2,
      corpus: { envs: [{ name: 'math', levels: [2] }] }, gate: { rlLevels: [2], n: 1, kinds: ['critique'] },
    });
    await pretrain(cfg, run, { log: () => {}, progressBar: false });
    const dest = shipCheckpoint({ run, step: 2, dest: join(root, 'ckpt'), commands: ['distil pretrain --config x.json'] });
    assert.equal(loadModelFolder(dest).config.numLayers, 2);
    for (const f of ['optimizer', 'optimizer.bin', 'trainer-state.json']) assert.ok(!existsSync(join(dest, f)), f);
    const recipe = JSON.parse(readFileSync(join(dest, 'recipe.json'), 'utf8'));
    assert.equal(recipe.step, 2);
    assert.deepEqual(recipe.commands, ['distil pretrain --config x.json']);
    assert.equal(recipe.config.model, 'micro');
    assert.equal(recipe.gate.levels[0].n, 1);
    assert.throws(() => shipCheckpoint({ run, step: 3, dest: join(root, 'c2'), commands: [] }), /not a complete checkpoint/);
    assert.equal(recipe.trainingGate, undefined);
    // Another gate file: its numbers are the recipe's, gate.json's stay as trainingGate.
    const other = JSON.parse(readFileSync(join(run, 'gate.json'), 'utf8'));
    other.checkpoints[0].rl.student = 0.5;
    writeFileSync(join(run, 'gate-200.json'), JSON.stringify(other));
    const d2 = shipCheckpoint({ run, step: 2, dest: join(root, 'c3'), commands: [], gateFile: 'gate-200.json' });
    const r2 = JSON.parse(readFileSync(join(d2, 'recipe.json'), 'utf8'));
    assert.equal(r2.gate.rl.student, 0.5);
    assert.deepEqual(r2.trainingGate, recipe.gate);
    assert.deepEqual(r2.gates.map((g: { step: number }) => g.step), [2]);
    assert.throws(() => shipCheckpoint({ run, step: 2, dest: join(root, 'c4'), commands: [], gateFile: 'nope.json' }), /nope\.json does not exist/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
