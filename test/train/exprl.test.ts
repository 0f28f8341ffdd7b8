/**
 * ExpRL in the trainer, on a tiny random model and a toy env whose answer is the completion's
 * first character: with a final-answer judge it trains exactly as GRPO; a model judge that
 * writes junk (the random model) is counted and logged, scored lowest, and the run goes on.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { envNames, registerEnv } from '../../src/envs/registry.ts';
import type { Env, Task } from '../../src/envs/types.ts';
import { loadWeights } from '../../src/models/checkpoint.ts';
import { resolveTrainConfig } from '../../src/train/config.ts';
import { train } from '../../src/train/loop.ts';
import { readJsonl } from '../../src/train/run-folder.ts';
import { Rng } from '../../src/util/rng.ts';
import { tinyModelFolder } from './helpers.ts';

const ENV = 'exprl-first-char';
function firstCharEnv(): Env {
  const task = (split: string, i: number, d: number): Task => ({ id: `${ENV}/${split}/${i}`, env: ENV, prompt: `Q:${d}`, reference: 'a', level: 1, meta: {} });
  return {
    name: ENV, description: 'toy', levels: [1],
    tasks(split, n, seed) {
      const rng = new Rng(seed + (split === 'test' ? 1e6 : 0));
      return Array.from({ length: n }, (_, i) => task(split, i, rng.int(10)));
    },
    async evaluate(_t, completion) {
      const correct = 'aeiou'.includes(completion.charAt(0));
      return { reward: correct ? 1 : 0, correct, feedback: { summary: correct ? 'correct' : 'wrong', items: [] } };
    },
  };
}
if (!envNames().includes(ENV)) registerEnv(ENV, firstCharEnv);

const model = tinyModelFolder(3);
const base = { model, env: ENV, steps: 3, promptsPerStep: 3, groupSize: 4, maxTokens: 4, lr: 1e-2, evalEvery: 0, evalPrompts: 4, evalSamples: 2, checkpointEvery: 0, samplesPerStep: 4, seed: 4, klInit: false };

async function run(over: Record<string, unknown>, log: (m: string) => void = () => {}) {
  const dir = join(mkdtempSync(join(tmpdir(), 'distil-exprl-')), 'run');
  await train(resolveTrainConfig({ ...base, ...over }), dir, { log });
  return dir;
}
const TIMING = (k: string) => k === 'wall_s' || k === 'tok_per_s' || k.startsWith('time/');
const rows = (dir: string, drop: (k: string) => boolean) =>
  readJsonl(join(dir, 'metrics.jsonl')).map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !TIMING(k) && !drop(k))));
function weights(dir: string): Buffer[] {
  const t = loadWeights(join(dir, 'checkpoints', 'step-3', 'model')).tensors;
  return [...t.keys()].sort().map((k) => Buffer.from(t.get(k)!.data.buffer.slice(0)));
}

test('exprl with a final-answer judge (outcome, no over-length zeroing) trains exactly as grpo', async () => {
  const g = await run({ algorithm: 'grpo' });
  const e = await run({ algorithm: 'exprl', algorithmOptions: { judge: 'answer', klBeta: 0, zeroTruncated: false } });
  assert.ok(rows(g, () => false).some((r) => r.skipped === 0), 'some grpo step trained');
  assert.deepEqual(rows(e, (k) => k.startsWith('exprl/') || k === 'grpo/nonzero_adv_frac'), rows(g, (k) => k === 'grpo/nonzero_adv_frac'));
  assert.deepEqual(weights(e), weights(g));
});

test('exprl with a model judge that writes junk: counted, logged, scored lowest; the run finishes', async () => {
  const logs: string[] = [];
  const dir = await run({ algorithm: 'exprl', algorithmOptions: { judge: 'model', mode: 'process', judgeTemplate: '{reference}|{attempt}|Score:', judgeMaxTokens: 3 } }, (m) => logs.push(m));
  const m = rows(dir, () => false);
  assert.equal(m.length, 3);
  assert.ok(m.every((r) => (r['exprl/unreadable'] as number) > 0 && r['exprl/judge_score'] === 1), 'junk scored 1 and counted');
  assert.ok(logs.some((l) => /judge model\(initial\): \d+ of \d+ answers had no readable 1-5 score \(scored 1\)/.test(l)), logs.join('\n'));
  const samples = readJsonl(join(dir, 'samples.jsonl'));
  assert.ok(samples.every((s) => Array.isArray(s.judge_scores) && (s.judge_scores as number[]).every((x) => x === 1)));
});

test('exprl process with the step judge runs and records per-segment scores', async () => {
  const dir = await run({ algorithm: 'exprl', algorithmOptions: { mode: 'process' }, maxTokens: 6 });
  const samples = readJsonl(join(dir, 'samples.jsonl'));
  assert.ok(samples.length > 0 && samples.every((s) => (s.judge_scores as number[]).length >= 1));
  assert.ok(rows(dir, () => false).every((r) => Number.isFinite(r['exprl/segments'] as number)));
});
