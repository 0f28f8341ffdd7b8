/**
 * Learning tests (issue item 5): on a toy task where an `expert` teacher knows the answer,
 * every algorithm raises test accuracy within a few dozen steps from a tiny model; and a
 * non-finite loss skips the step (with a warning) without touching the weights.
 *
 * The task (test/train/learning-env.ts): prompt `Q:3`, answer `e` (the letter of the next digit
 * mod 10), then end-of-sequence; the answer is the completion's first character. A tiny random
 * model is first warmed up with a few SFT steps so that it starts at a non-trivial accuracy
 * (39% with this seed); each algorithm then trains from that same checkpoint with the same seed.
 *
 * Accuracy is measured on 10 prompts x 40 samples at temperature 1 (400 answers, the same
 * sampling seeds at every evaluation). Its standard error is at most sqrt(.5 * .5 / 400) =
 * 0.025, so the standard error of a difference of two evaluations is at most 0.035 and the
 * required gain of 15 points is more than 4 of them: not noise.
 *
 * Other seeds (run while writing this test, same settings): with seeds 1-4 the warm start is
 * at 24, 37, 22 and 47%, and every algorithm gained at least 18 points, except OPD with seed 3
 * (from 22%: 0.22 -> 0.13 after 10 steps, 0.24 after 40; still +10 to +13 with groups of 16,
 * 16 prompts or lr 2e-3). OPD is the fragile one when the student starts far from the teacher.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerAlgorithm } from '../../src/algorithms/registry.ts';
import type { Algorithm, StepData } from '../../src/algorithms/types.ts';
import { loadModelFolder } from '../../src/models/folder.ts';
import { resolveTrainConfig } from '../../src/train/config.ts';
import { train } from '../../src/train/loop.ts';
import { readJsonl } from '../../src/train/run-folder.ts';
import { tinyModelFolder } from './helpers.ts';
import { NEXT_DIGIT } from './learning-env.ts';

const EVAL = { evalPrompts: 10, evalSamples: 40, evalTemperature: 1 };
const COMMON = { env: NEXT_DIGIT, maxTokens: 2, checkpointEvery: 0, samplesPerStep: 0, klInit: false, seed: 0, ...EVAL };
const WARMUP_STEPS = 31;
const MIN_GAIN = 0.15;
const quiet = { log: () => {} };

let warm = '';

before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'distil-learn-warm-'));
  await train(resolveTrainConfig({ ...COMMON, model: tinyModelFolder(1), algorithm: 'sft', steps: WARMUP_STEPS, promptsPerStep: 8, lr: 1e-2, evalEvery: 0 }), dir, quiet);
  warm = join(dir, 'checkpoints', `step-${WARMUP_STEPS}`, 'model');
});

interface Case {
  algorithm: string;
  options: Record<string, unknown>;
  steps: number;
  groupSize: number;
}

// The same learning rate (3e-3) for all (at 1e-2 the policy-gradient ones, GRPO and RFT, first
// lost accuracy on this model). OPD needs bigger groups and more steps: its advantages
// log q - log p have no baseline and reach -9 on the expert's wrong tokens (log of 0.01/97),
// so most sampled tokens are pushed down hard; with groups of 4 it lost accuracy first.
const CASES: Case[] = [
  { algorithm: 'distil', options: { teacher: 'expert', topK: 8 }, steps: 30, groupSize: 4 },
  { algorithm: 'grpo', options: {}, steps: 30, groupSize: 4 },
  { algorithm: 'opsd', options: { teacher: 'expert', topK: 8 }, steps: 30, groupSize: 4 },
  { algorithm: 'sdpo', options: { teacher: 'expert', topK: 8 }, steps: 30, groupSize: 4 },
  { algorithm: 'opd', options: { teacher: 'expert' }, steps: 40, groupSize: 8 },
  { algorithm: 'sft', options: {}, steps: 30, groupSize: 4 },
  { algorithm: 'rft', options: {}, steps: 30, groupSize: 4 },
];

function se(p: number, n: number): number {
  return Math.sqrt(Math.max(p * (1 - p), 1e-9) / n);
}

for (const c of CASES) {
  test(`${c.algorithm} raises test accuracy on the toy task within ${c.steps} steps`, async () => {
    const dir = mkdtempSync(join(tmpdir(), `distil-learn-${c.algorithm}-`));
    const cfg = resolveTrainConfig({
      ...COMMON, model: warm, algorithm: c.algorithm, algorithmOptions: c.options,
      steps: c.steps, promptsPerStep: 8, groupSize: c.groupSize, lr: 3e-3, evalEvery: 10,
    });
    const res = await train(cfg, dir, quiet);
    assert.equal(res.steps, c.steps);
    const evals = readJsonl(join(dir, 'eval.jsonl'));
    const curve = evals.map((e) => [e.step as number, e.accuracy as number] as const);
    const n = EVAL.evalPrompts * EVAL.evalSamples;
    const [, first] = curve[0], [lastStep, last] = curve[curve.length - 1];
    const seDiff = Math.hypot(se(first, n), se(last, n));
    console.log(`learning curve ${c.algorithm.padEnd(6)} ${curve.map(([s, a]) => `${s}:${a.toFixed(3)}`).join('  ')}  (gain ${(last - first).toFixed(3)}, s.e. of the gain ${seDiff.toFixed(3)})`);
    assert.equal(curve[0][0], 0);
    assert.equal(lastStep, c.steps);
    assert.ok(first >= 0.15 && first <= 0.5, `the warmed-up student should start at a non-trivial accuracy, got ${first}`);
    assert.ok(last - first >= MIN_GAIN, `${c.algorithm}: accuracy went from ${first} to ${last} (needs +${MIN_GAIN})`);
    assert.ok(last - first > 4 * seDiff, `${c.algorithm}: the gain ${last - first} is within 4 standard errors (${seDiff})`);
    const metrics = readJsonl(join(dir, 'metrics.jsonl'));
    assert.equal(metrics.length, c.steps);
    for (const m of metrics) assert.ok(Number.isFinite(m.loss), `${c.algorithm}: step ${m.step} has loss ${m.loss}`);
  });
}

// METHODS.md's stability test: DistIL from a model that already solves the task must not lose
// accuracy over 50 steps beyond noise, side by side with GRPO. Here with a teacher that knows
// the answer (`expert`), with the default token selection and on every token.
//
// Not asserted, measured while writing this (seeds 0-3, the same settings): with the default
// EMA teacher shown the feedback, DistIL kept the solved model only with seed 0 (0.993 ->
// 0.988) and collapsed with seeds 1-3 (0.968 -> 0.395, 0.983 -> 0.297, 0.953 -> 0.563; select
// 'all': 0.19, 0.13, 0.17, 0.19), while GRPO held (>= 0.98). The cause is the teacher, not the
// loss: this tiny model never saw a teacher context, and after `Q:3d\nFeedback: the answer is
// e\nQ:3` it puts 0.79 on 'a' (0.97 on 'e' without the context). As soon as the student is
// less sure than such a confidently wrong teacher, 'confident' selects the token and the loop
// feeds itself. The built-in tiny setting pretrains its model on feedback contexts for this.
test('distil with a teacher that knows the answer keeps a solved model\'s accuracy over 50 steps, like GRPO', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'distil-stable-warm-'));
  await train(resolveTrainConfig({ ...COMMON, model: tinyModelFolder(1), algorithm: 'sft', steps: 60, promptsPerStep: 8, lr: 1e-2, evalEvery: 0 }), dir, quiet);
  const solved = join(dir, 'checkpoints', 'step-60', 'model');
  const n = EVAL.evalPrompts * EVAL.evalSamples;
  for (const [algorithm, algorithmOptions] of [
    ['distil', { topK: 8, teacher: 'expert' }],
    ['distil', { topK: 8, teacher: 'expert', select: 'all' }],
    ['grpo', {}],
  ] as const) {
    const out = mkdtempSync(join(tmpdir(), `distil-stable-${algorithm}-`));
    await train(resolveTrainConfig({ ...COMMON, model: solved, algorithm, algorithmOptions, steps: 50, promptsPerStep: 8, groupSize: 4, lr: 3e-3, evalEvery: 10 }), out, quiet);
    const curve = readJsonl(join(out, 'eval.jsonl')).map((e) => [e.step as number, e.accuracy as number] as const);
    const first = curve[0][1], last = curve[curve.length - 1][1];
    const tolerance = Math.max(0.03, 4 * Math.hypot(se(first, n), se(last, n)));
    const what = `${algorithm} ${JSON.stringify(algorithmOptions)}`;
    console.log(`stability ${what.padEnd(52)} ${curve.map(([st, a]) => `${st}:${a.toFixed(3)}`).join('  ')}`);
    assert.ok(first >= 0.95, `the warmed-up model should solve the task, got ${first}`);
    assert.equal(curve[curve.length - 1][0], 50);
    assert.ok(last >= first - tolerance, `${what} lost accuracy: ${first} -> ${last} (tolerance ${tolerance})`);
  }
});

// A test-only algorithm whose loss is NaN at every step: the sampler's log-probs it hands to
// the policy gradient are NaN (as a broken remote sampler might report).
registerAlgorithm('test-nan-loss', {
  summary: 'test only: a NaN loss at every step',
  options: {},
  create(): Algorithm {
    return {
      name: 'test-nan-loss',
      needs: { sampling: true },
      build(step: StepData) {
        const rs = step.rollouts;
        return {
          batch: { sequences: rs.map((r) => ({ prompt: r.prompt, completion: r.tokens })) },
          loss: {
            terms: [{
              kind: 'policyGradient', weight: 1, clipLow: 0.2, clipHigh: 0.28, aggregation: 'token_mean',
              advantages: rs.map((r) => new Float32Array(r.tokens.length).fill(1)),
              logpOld: rs.map((r) => new Float32Array(r.tokens.length).fill(NaN)),
            }],
          },
          metrics: {},
        };
      },
    };
  },
});

test('a NaN loss skips the step with a warning and never reaches the weights (trainer level)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'distil-learn-nan-'));
  const logs: string[] = [];
  const cfg = resolveTrainConfig({ ...COMMON, model: warm, algorithm: 'test-nan-loss', steps: 3, promptsPerStep: 4, groupSize: 2, lr: 1e-2, evalEvery: 0 });
  await train(cfg, dir, { log: (m) => logs.push(m) });
  const metrics = readJsonl(join(dir, 'metrics.jsonl'));
  assert.deepEqual(metrics.map((m) => m.skipped), [1, 1, 1]);
  // The loss is not finite, so the row omits it (JSON cannot hold NaN).
  for (const m of metrics) assert.ok(!('loss' in m) || !Number.isFinite(m.loss as number), `step ${m.step}: loss ${m.loss}`);
  assert.equal(logs.filter((l) => /step skipped: non-finite loss/.test(l)).length, 3, logs.join('\n'));
  const before = loadModelFolder(warm).weights, after = loadModelFolder(join(dir, 'checkpoints', 'step-3', 'model')).weights;
  assert.deepEqual([...after.keys()].sort(), [...before.keys()].sort());
  for (const [name, t] of before) assert.ok(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).equals(Buffer.from(after.get(name)!.data.buffer, after.get(name)!.data.byteOffset, after.get(name)!.data.byteLength)), `${name} changed`);
  const evals = readJsonl(join(dir, 'eval.jsonl'));
  assert.equal(evals[0].accuracy, evals[evals.length - 1].accuracy);
});
