/**
 * DelTA and RLIF in the trainer, on a tiny random model and a toy env whose answer is the
 * completion's first character: DelTA with lamMin = lamMax trains exactly as GRPO; RLIF's
 * trajectory does not depend on the env's labels; KL-Cov acts once there are several updates;
 * what a method needs that the backend or env cannot give fails at config time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { envNames, registerEnv } from '../../src/envs/registry.ts';
import type { Env, Task } from '../../src/envs/types.ts';
import { loadWeights } from '../../src/models/checkpoint.ts';
import { resolveTrainConfig } from '../../src/train/config.ts';
import { checkPlannedEnvs, planComparison } from '../../src/train/compare.ts';
import { train } from '../../src/train/loop.ts';
import { readJsonl } from '../../src/train/run-folder.ts';
import { Rng } from '../../src/util/rng.ts';
import { tinyModelFolder } from './helpers.ts';

/** Answer: the first character. Label: a vowel is right (or, flipped, wrong). */
function firstCharEnv(name: string, flipped: boolean, answers = true): Env {
  const task = (split: string, i: number, d: number): Task => ({ id: `${name}/${split}/${i}`, env: name, prompt: `Q:${d}`, reference: 'a', level: 1, meta: {} });
  return {
    name, description: 'toy', levels: [1],
    tasks(split, n, seed) {
      const rng = new Rng(seed + (split === 'test' ? 1e6 : 0));
      return Array.from({ length: n }, (_, i) => task(split, i, rng.int(10)));
    },
    async evaluate(_t, completion) {
      const c = completion.charAt(0);
      const correct = 'aeiou'.includes(c) !== flipped;
      return { reward: correct ? 1 : 0, correct, feedback: { summary: correct ? 'correct' : 'wrong', items: [] }, ...(answers && c ? { answer: c } : {}) };
    },
  };
}
for (const [n, f, a] of [['first-char', false, true], ['first-char-flipped', true, true], ['first-char-no-answer', false, false]] as const) {
  if (!envNames().includes(n)) registerEnv(n, () => firstCharEnv(n, f, a));
}

const model = tinyModelFolder(3);
const base = { model, env: 'first-char', steps: 3, promptsPerStep: 3, groupSize: 4, maxTokens: 4, lr: 1e-2, evalEvery: 0, evalPrompts: 4, evalSamples: 2, checkpointEvery: 0, samplesPerStep: 4, seed: 4, klInit: false };

async function run(over: Record<string, unknown>) {
  const dir = join(mkdtempSync(join(tmpdir(), 'distil-seed-')), 'run');
  await train(resolveTrainConfig({ ...base, ...over }), dir, { log: () => {} });
  return dir;
}

const TIMING = (k: string) => k === 'wall_s' || k === 'tok_per_s' || k.startsWith('time/');
function rows(dir: string, drop: (k: string) => boolean) {
  return readJsonl(join(dir, 'metrics.jsonl')).map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !TIMING(k) && !drop(k))));
}
function weights(dir: string): Buffer[] {
  const t = loadWeights(join(dir, 'checkpoints', 'step-3', 'model')).tensors;
  return [...t.keys()].sort().map((k) => Buffer.from(t.get(k)!.data.buffer.slice(0)));
}

test('delta with lamMin = lamMax trains exactly as grpo (metrics and weights); with the defaults it differs', async () => {
  const g = await run({ algorithm: 'grpo' });
  const d = await run({ algorithm: 'delta', algorithmOptions: { lamMin: 1, lamMax: 1 } });
  assert.ok(rows(g, () => false).some((r) => r.skipped === 0), 'some grpo step trained');
  assert.deepEqual(rows(d, (k) => k.startsWith('delta/')), rows(g, () => false));
  assert.deepEqual(weights(d), weights(g));
  const dd = await run({ algorithm: 'delta' });
  const lam = rows(dd, () => false).filter((r) => r.skipped === 0);
  assert.ok(lam.length && lam.every((r) => Number.isFinite(r['delta/lambda_pos'] as number)), 'lambda metrics logged');
  assert.notDeepEqual(weights(dd), weights(g));
});

test('rlif: flipping every label leaves the training trajectory identical (only the logged accuracy changes)', async () => {
  const o = { algorithm: 'rlif', algorithmOptions: { klCov: 0.2 }, updateEpochs: 2 };
  const a = await run(o);
  const b = await run({ ...o, env: 'first-char-flipped' });
  const labels = (k: string) => k === 'reward' || k === 'accuracy' || k === 'unsolved_prompts';
  assert.deepEqual(rows(b, labels), rows(a, labels));
  assert.deepEqual(weights(b), weights(a));
  const acc = (d: string) => rows(d, () => false).map((r) => r.accuracy);
  assert.notDeepEqual(acc(b), acc(a), 'the labels did change');
  const samples = (d: string) => readJsonl(join(d, 'samples.jsonl')).map((r) => r.completion);
  assert.deepEqual(samples(b), samples(a));
});

test('rlif KL-Cov: needs several updates (config error), and then the penalty changes training', async () => {
  assert.throws(() => resolveTrainConfig({ ...base, algorithm: 'rlif', algorithmOptions: { klCov: 0.2 } }), /KL-Cov .* first update.*updateEpochs x miniBatches >= 2/);
  const on = await run({ algorithm: 'rlif', algorithmOptions: { klCov: 0.5, klCovCoef: 1 }, updateEpochs: 3 });
  const off = await run({ algorithm: 'rlif', algorithmOptions: { klCov: 0.5, klCovCoef: 0 }, updateEpochs: 3 });
  assert.notDeepEqual(weights(on), weights(off));
  const first = (d: string) => rows(d, (k) => k.startsWith('last_update/') || k === 'loss' || k.includes('pgLoss') || k.startsWith('loss/'))[0];
  // The first update of the first step is the same (the penalty is 0 there); later ones differ.
  assert.equal(first(on)['grad_norm'], first(off)['grad_norm']);
});

test('rlif with answer voting on an env without answers fails before training, naming the fix', async () => {
  await assert.rejects(run({ algorithm: 'rlif', env: 'first-char-no-answer' }), /gives no Outcome.answer.*voteWeight to 0/);
  const dir = await run({ algorithm: 'rlif', env: 'first-char-no-answer', algorithmOptions: { voteWeight: 0 } });
  assert.ok(JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')).steps === 3);
});

test('a comparison with rlif on an env without answers is refused before its first run', async () => {
  const plan = (options: Record<string, unknown>) => planComparison({
    model, envs: ['first-char-no-answer'], seeds: [0], base: { steps: 1 },
    methods: [{ label: 'grpo', algorithm: 'grpo' }, { label: 'rlif', algorithm: 'rlif', algorithmOptions: options }],
  }, join(mkdtempSync(join(tmpdir(), 'distil-seed-plan-')), 'cmp'));
  await assert.rejects(checkPlannedEnvs(plan({})), /rlif \(rlif\): env first-char-no-answer gives no Outcome.answer.*voteWeight to 0/);
  await checkPlannedEnvs(plan({ voteWeight: 0 }));
});

test('hidden states or self-certainty from a backend that cannot give them: a config error naming the fix', () => {
  const remote = { ...base, backend: 'tinker', loraRank: 4 };
  assert.throws(() => resolveTrainConfig({ ...remote, algorithm: 'delta' }), /algorithm 'delta' needs the student's hidden states, which backend 'tinker' cannot return; use backend 'local' or .*grpo instead of delta/);
  assert.throws(() => resolveTrainConfig({ ...remote, algorithm: 'rlif' }), /algorithm 'rlif' needs the sampler's per-token self-certainty, which backend 'tinker' does not report; .*certaintyWeight to 0/);
  // Voting alone needs neither; grpo is fine remotely.
  assert.equal(resolveTrainConfig({ ...remote, algorithm: 'rlif', algorithmOptions: { certaintyWeight: 0 } }).algorithm, 'rlif');
  assert.equal(resolveTrainConfig({ ...remote, algorithm: 'grpo' }).algorithm, 'grpo');
});
