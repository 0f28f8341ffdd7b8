/**
 * Stability (research issue item 2, METHODS.md's required test): from a checkpoint that already
 * solves a task, 50 DistIL steps lose no accuracy beyond noise, side by side with GRPO, both
 * with DistIL's defaults, which are the setting the experiments recommend (BEST below); the
 * prototype's failure setting (live teacher, every token) does lose accuracy on the same setup,
 * so the test can fail; and from a weak student whose teacher follows the feedback, the same
 * settings still learn. docs/stability.md has the experiments behind every number here (about
 * 30 settings x 3 learning rates x 3 seeds, from two solved and two weak checkpoints).
 *
 * Setup: the learning tests' toy task (`Q:3` -> `e`), a 64-wide tiny model SFT'd on a corpus
 * that mixes the plain task with the self-teacher's feedback contexts (test/train/
 * stability-env.ts), so that a live/EMA/frozen copy of the student is a teacher that follows
 * the feedback. RL: 8 prompts x 4 samples, lr 1e-3, test accuracy on 10 prompts x 40 samples
 * at T=1 (400 answers, the same sampling seeds at every evaluation).
 *
 * Noise bound, measured (scripts/stability-noise.ts): the solved checkpoint evaluated with 20
 * different sampling seeds gives 0.9785 +- 0.0087 (sd; binomial sd 0.0073; range 0.963-0.993).
 * A difference of two such evaluations has sd 0.0123, so NOISE = 0.03 is 2.4 of those sd.
 * Over 3 seeds at this lr: GRPO changed by -0.000 / -0.032 / -0.002, DistIL with the earlier EMA
 * defaults by -0.015 / -0.012 / -0.007, with the recommended setting (BEST, now the defaults) by -0.010 / -0.005 / -0.002,
 * and the prototype's setting (live, select 'all', CE only) by
 * -0.678 / -0.652 / -0.565 (0.985 -> 0.307 with this seed): 20 times the bound. The bound is
 * on the end point: along the way DistIL's curve dips to 0.955 at step 10 with this seed (GRPO's
 * seed-1 run ends 0.032 down), which is why the bound is not taken any tighter.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveTrainConfig } from '../../src/train/config.ts';
import { train } from '../../src/train/loop.ts';
import { readJsonl } from '../../src/train/run-folder.ts';
import { DISTIL_OPTIONS, distil as distilAlgorithm } from '../../src/algorithms/distil.ts';
import { K, makeStep } from '../algorithms/fixtures.ts';
import { tinyModelFolder } from './helpers.ts';
import { NEXT_DIGIT } from './learning-env.ts';
import { WARM_ENV } from './stability-env.ts';

const NOISE = 0.03;
/**
 * The setting the experiments favour (docs/stability.md, "Choice"): a frozen teacher, tokens
 * where the teacher's top probability beats the student's probability of that token, no
 * future-credit term. These became DistIL's defaults (the first test checks that they still
 * are); the numbers quoted as "the defaults" in docs/stability.md are the earlier EMA ones.
 */
const BEST = { teacher: 'frozen', select: 'confident', confidentAgainst: 'token', futureCredit: false };
const MODEL = { hiddenSize: 64, intermediateSize: 128, headDim: 16 };
const quiet = { log: () => {} };

/** SFT on the warm-up corpus; `plainDigits` < 10 leaves the other digits' plain task unlearnt. */
async function warmUp(steps: number, plainDigits: number): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'distil-stability-warm-'));
  await train(resolveTrainConfig({
    env: WARM_ENV, envOptions: { plainDigits }, model: tinyModelFolder(1, MODEL), algorithm: 'sft', steps, promptsPerStep: 16, lr: 3e-3, seed: 0,
    maxTokens: 2, evalEvery: 0, checkpointEvery: 0, samplesPerStep: 0, klInit: false, evalPrompts: 10, evalSamples: 4,
  }), dir, quiet);
  return join(dir, 'checkpoints', `step-${steps}`, 'model');
}

/** RL steps (50 by default) from `start`; the test-accuracy curve at steps 0, 10, 20, ... */
async function curve(start: string, algorithm: string, algorithmOptions: Record<string, unknown>, steps = 50): Promise<number[]> {
  const dir = mkdtempSync(join(tmpdir(), `distil-stability-${algorithm}-`));
  await train(resolveTrainConfig({
    env: NEXT_DIGIT, model: start, algorithm, algorithmOptions, steps, promptsPerStep: 8, groupSize: 4, lr: 1e-3, seed: 0,
    maxTokens: 2, evalEvery: 10, evalPrompts: 10, evalSamples: 40, evalTemperature: 1, checkpointEvery: 0, samplesPerStep: 0, klInit: false,
  }), dir, quiet);
  const evals = readJsonl(join(dir, 'eval.jsonl'));
  assert.deepEqual(evals.map((e) => e.step), Array.from({ length: steps / 10 + 1 }, (_, i) => 10 * i));
  const accs = evals.map((e) => e.accuracy as number);
  console.log(`stability ${`${algorithm} ${JSON.stringify(algorithmOptions)}`.padEnd(48)} ${accs.map((a) => a.toFixed(3)).join(' / ')}`);
  return accs;
}

let solved = '';
before(async () => {
  solved = await warmUp(120, 10);
});

test('from a checkpoint that already solves a task, 50 DistIL steps lose no accuracy beyond noise, side by side with GRPO', async () => {
  for (const [k, v] of Object.entries(BEST)) assert.equal(DISTIL_OPTIONS[k as keyof typeof BEST].default, v, `DistIL's default ${k} is no longer the tested setting`);
  // GRPO and DistIL with its defaults: same seed, same batches.
  const grpo = await curve(solved, 'grpo', {});
  const distil = await curve(solved, 'distil', { topK: 8 });
  const start = grpo[0];
  assert.equal(distil[0], start);
  assert.ok(start >= 0.95, `the warmed-up model should solve the task (sampled accuracy >= 0.95), got ${start}`);
  assert.ok(grpo[5] >= start - NOISE, `GRPO lost accuracy: ${start} -> ${grpo[5]}`);
  assert.ok(distil[5] >= start - NOISE, `DistIL (defaults) lost accuracy beyond noise: ${start} -> ${distil[5]} (bound ${NOISE})`);
});

test('the recommended setting also holds over 150 steps (where the EMA defaults drift)', async () => {
  // Measured over 3 seeds at lr 1e-3 (docs/stability.md, finding 12), change by step 150: this
  // setting -0.007 / +0.003 / +0.003; the defaults -0.115 / -0.345 / -0.200; GRPO +0.005 to +0.008.
  const best = await curve(solved, 'distil', { topK: 8, ...BEST }, 150);
  assert.ok(best[0] >= 0.95);
  assert.ok(best[15] >= best[0] - NOISE, `DistIL (recommended setting) lost accuracy over 150 steps: ${best.join(' / ')}`);
});

test("the prototype's failure setting (live teacher, every token) loses accuracy beyond that bound on the same setup", async () => {
  const live = await curve(solved, 'distil', { topK: 8, teacher: 'live', select: 'all', futureCredit: false });
  assert.ok(live[0] >= 0.95);
  assert.ok(live[5] < live[0] - 5 * NOISE, `live/all should collapse here (measured 0.985 -> 0.307): ${live.join(' / ')}`);
});

test('from a weak student whose teacher follows the feedback, the same DistIL setting still learns', async () => {
  // Plain prompts only for digits 0-4: the student answers about half the test prompts, while
  // shown `Feedback: the answer is x` it answers x (measured: 0.995 after a wrong attempt).
  const weak = await warmUp(160, 5);
  const distil = await curve(weak, 'distil', { topK: 8 });
  const grpo = await curve(weak, 'grpo', {});
  assert.ok(distil[0] >= 0.3 && distil[0] <= 0.7, `the weak start should be near 0.5, got ${distil[0]}`);
  // Measured over 3 seeds with this setting: +0.496 / +0.493 / +0.491 (the earlier EMA
  // defaults +0.435 / +0.461 / +0.443; GRPO -0.007 / +0.126 / +0.003).
  assert.ok(distil[5] - distil[0] >= 0.25, `DistIL (defaults) should learn from the feedback: ${distil.join(' / ')}`);
  assert.ok(distil[5] - distil[0] > grpo[5] - grpo[0] + 2 * NOISE, `DistIL should beat GRPO here: ${distil[5] - distil[0]} vs ${grpo[5] - grpo[0]}`);
});

// confidentAgainst 'token' (docs/stability.md, finding 10) on the algorithm tests' hand-made step
// (test/algorithms/fixtures.ts). There the teacher's top token is never the sampled one, so the
// student's probability of it is bounded by min(student's top, 1 - sampled token's):
//   r0 .9 > min(.7, .39)  .3 < .4  .99 > min(.95, .10)    r1 .6 > .5  .7 > min(.8, .26)
//   r2 .5 < min(.6, .503)  .95 > .18                     r3 .8 > .3  .1 < .2  .96 > min(.97, .05)
// Against the student's top ('top', the earlier default) r1's and r3's last tokens are dropped: there
// the student is sure of its sampled token and the teacher is sure of another one.
test("select 'confident' against the student's probability of the teacher's token keeps where a sure student disagrees", () => {
  const weights = (o: Record<string, unknown>) => (distilAlgorithm({ topK: K, futureCredit: false, ...o }).build(makeStep())!.loss.terms[0] as { tokenWeights: Float32Array[] }).tokenWeights.map((w) => Array.from(w));
  assert.deepEqual(weights({ confidentAgainst: 'top' }), [[1, 0, 1], [1, 0], [0, 1], [1, 0, 0]]);
  assert.deepEqual(weights({ confidentAgainst: 'token' }), [[1, 0, 1], [1, 1], [0, 1], [1, 0, 1]]);
  assert.deepEqual(weights({ confidentAgainst: 'token', margin: 0.15 }), [[1, 0, 1], [0, 1], [0, 1], [1, 0, 1]]);
});
