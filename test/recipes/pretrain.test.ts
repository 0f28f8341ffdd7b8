import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadModelFolder } from '../../src/models/folder.ts';
import { readConfigFile, resolvePretrainConfig } from '../../src/recipes/pretrain-config.ts';
import { readdirSync } from 'node:fs';
import { listCheckpoints } from '../../src/train/run-folder.ts';
import { gateCheckpoints, padBatch, pretrain } from '../../src/recipes/pretrain.ts';

const quiet = { log: () => {}, progressBar: false };

function tinyConfig(over: string[] = []) {
  return resolvePretrainConfig(
    {
      name: 'test', seed: 3, model: 'micro', steps: 6, batchSize: 6, maxLen: 96, lr: 0.01, minLr: 0.001, warmup: 1, checkpointEvery: 3,
      corpus: { envs: [{ name: 'math', levels: [2, 3] }] },
      gate: { rlLevels: [2], n: 2, every: 0, kinds: ['critique'] },
    },
    over,
  );
}

const metrics = (run: string) => readFileSync(join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const TIMING = ['tok_per_s', 'time/step_s', 'wall_s', 'time/own_sample_s'];
const strip = (m: Record<string, number>) => Object.fromEntries(Object.entries(m).filter(([k]) => !TIMING.includes(k)));

test('padBatch: targets are the next token, padding and zero weights ignored, long rows cut', () => {
  const b = padBatch([{ ids: [5, 6, 7, 2], weights: [0, 1, 1] }, { ids: [8, 2], weights: [1] }], 2, 0);
  assert.equal(b.T, 2);
  assert.deepEqual([...b.ids], [5, 6, 8, 0]);
  assert.deepEqual([...b.targets], [-1, 7, 2, -1]);
  assert.deepEqual([...b.weights], [0, 1, 1, 0]);
  assert.equal(b.truncated, 1);
});

test('pretrain: a few steps lower the loss and write metrics and checkpoints', async () => {
  const run = mkdtempSync(join(tmpdir(), 'distil-pt-'));
  try {
    const res = await pretrain(tinyConfig(['steps=5', 'checkpointEvery=5']), run, quiet);
    const m = metrics(run);
    assert.equal(m.length, 5);
    assert.ok(m[4].loss < m[0].loss - 0.3, `loss ${m[0].loss} -> ${m[4].loss}`);
    for (const line of m) for (const k of ['loss', 'lr', 'grad_norm', 'tok_per_s', 'tokens']) assert.ok(Number.isFinite(line[k]), k);
    // Without corpus.ownAttempts the lines have no own_* keys (as before the option).
    assert.ok(m.every((line) => !('own_attempts' in line)));
    assert.deepEqual(listCheckpoints(run), [5]);
    const folder = loadModelFolder(join(run, 'checkpoints', 'step-5', 'model'));
    assert.equal(folder.config.numLayers, 2);
    assert.equal(res.step, 5);
    // The gate on the finished run's checkpoints, into its own file.
    const g = await gateCheckpoints(tinyConfig(['gate.n=2']), run, { file: 'gate-test.json', log: () => {} });
    assert.deepEqual(g.checkpoints.map((c) => c.step), [5]);
    assert.equal(g.choice?.step, 5);
    const onDisk = JSON.parse(readFileSync(join(run, 'gate-test.json'), 'utf8'));
    assert.equal(onDisk.checkpoints[0].levels[0].n, 2);
    // Another run starting from this checkpoint's weights sees its first batch with a lower loss.
    const next = mkdtempSync(join(tmpdir(), 'distil-pt-init-'));
    try {
      await pretrain(tinyConfig(['steps=2', 'checkpointEvery=2', `init=${join(run, 'checkpoints', 'step-5')}`]), next, quiet);
      assert.ok(metrics(next)[0].loss < m[0].loss - 0.3, `init loss ${metrics(next)[0].loss} vs ${m[0].loss}`);
    } finally {
      rmSync(next, { recursive: true, force: true });
    }
  } finally {
    rmSync(run, { recursive: true, force: true });
  }
});

/**
 * Runs 6 steps straight (folder a) and 3 + resume 3 (folder b) with the same overrides, checks
 * that metrics and step-6 weights are equal, and returns a's metrics. `between` runs after the
 * first 3 steps of b.
 */
async function resumeEqualsStraight(overrides: string[], between?: (b: string) => Promise<void>): Promise<Record<string, any>[]> {
  const a = mkdtempSync(join(tmpdir(), 'distil-pt-a-'));
  const b = mkdtempSync(join(tmpdir(), 'distil-pt-b-'));
  try {
    await pretrain(tinyConfig(overrides), a, quiet);
    await pretrain(tinyConfig(overrides), b, { ...quiet, until: 3 });
    await between?.(b);
    await pretrain(tinyConfig(overrides), b, { ...quiet, resume: true });
    const ma = metrics(a);
    assert.deepEqual(ma.map(strip), metrics(b).map(strip));
    const wa = loadModelFolder(join(a, 'checkpoints', 'step-6', 'model')).weights;
    const wb = loadModelFolder(join(b, 'checkpoints', 'step-6', 'model')).weights;
    for (const [name, t] of wa) assert.deepEqual(t.data, wb.get(name)!.data, name);
    return ma;
  } finally {
    rmSync(a, { recursive: true, force: true });
    rmSync(b, { recursive: true, force: true });
  }
}

test('pretrain: 3 steps + resume 3 equals 6 steps (metrics and weights)', async () => {
  await resumeEqualsStraight([], async (b) => {
    assert.deepEqual(listCheckpoints(b), [3]);
    await assert.rejects(pretrain(tinyConfig(), b, quiet), /--resume/);
  });
});

test('pretrain with own attempts (corpus.ownAttempts): 3 steps + resume 3 equals 6 steps', async () => {
  const ma = await resumeEqualsStraight(['corpus.ownAttempts=0.5']);
  assert.ok(ma.every((m) => Number.isInteger(m.own_attempts) && m.own_correct >= 0 && m['time/own_sample_s'] >= 0));
  assert.ok(ma.reduce((t, m) => t + m.own_attempts, 0) > 0, 'no own attempt in 6 steps');
});

test('pretrain config: overrides, unknown keys and RL levels outside the trained range are errors', () => {
  const c = tinyConfig(['batchSize=4', 'corpus.correctAttempt=0.5', 'gate.rlLevels=[3]']);
  assert.equal(c.batchSize, 4);
  assert.equal(c.corpus.correctAttempt, 0.5);
  assert.deepEqual(c.gate.rlLevels, [3]);
  assert.throws(() => resolvePretrainConfig({ stpes: 3 }), /pretrain config: unknown key 'stpes' \(did you mean 'steps'\?\)/);
  // Nested keys and names are checked too, before any work.
  assert.throws(() => tinyConfig(['gate.nn=5']), /pretrain config: gate: unknown key 'nn' \(did you mean 'n'\?\)/);
  assert.throws(() => tinyConfig(['gate.kinds=["critque"]']), /gate.kinds\[0\] must be one of .*critique.*; got "critque" \(did you mean 'critique'\?\)/);
  assert.throws(() => tinyConfig(['corpus.feedbackFracton=0.5']), /corpus config: unknown key 'feedbackFracton' \(did you mean 'feedbackFraction'\?\)/);
  assert.throws(() => tinyConfig(['corpus.kinds={"feedbak":1}']), /corpus config: kinds: unknown teacher context 'feedbak' \(did you mean 'feedback'\?\)/);
  assert.throws(() => tinyConfig(['corpus.envs=[{"name":"maths","levels":[2]}]']), /envs\[0\].name must be one of .*; got "maths" \(did you mean 'math'\?\)/);
  assert.throws(() => tinyConfig(['corpus.loss=solutions']), /corpus config: loss must be one of all, solution; got "solutions" \(did you mean 'solution'\?\)/);
  assert.throws(() => tinyConfig(['gate.rlLevels=[9]']), /outside the trained/);
  assert.throws(() => tinyConfig(['gate.envOptions=["mul_const"]']), /gate.envOptions must be an object of env options/);
  assert.deepEqual(tinyConfig(['gate.envOptions={"hiddenOffsets":[7]}']).gate.envOptions, { hiddenOffsets: [7] });
});

test('built-in configs resolve', () => {
  const dir = 'src/recipes/configs';
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  for (const f of ['math.json', 'science.json', 'code.json', 'multi.json']) assert.ok(files.includes(f), f);
  // Other configs share the folder (e.g. start.json, an RL comparison plan): only pretraining ones have a corpus.
  const pretrainFiles = files.filter((f) => 'corpus' in readConfigFile(join(dir, f)));
  assert.ok(pretrainFiles.length >= 4);
  for (const f of pretrainFiles) {
    const c = resolvePretrainConfig(readConfigFile(join(dir, f)));
    // A start policy without any teacher role (no feedback-conditioned examples at all, no gate:
    // ambiguous-free-digit.json) is exempt; a corpus that teaches the teacher follows the rule.
    if (c.corpus.feedbackFraction === 0 && c.gate.every === 0) continue;
    assert.ok(c.corpus.feedbackFraction >= 0.7 && c.corpus.correctAttempt >= 0.3, f);
  }
});

test('gate only: a folder without finished checkpoints, or a step it lacks, is an error naming it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'distil-gate-'));
  try {
    const config = resolvePretrainConfig({ name: 'x', model: 'micro', gate: { rlLevels: [2] } }, []);
    await assert.rejects(gateCheckpoints(config, dir, { log: () => {} }), /holds no finished checkpoint/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
