/**
 * Stability experiment, part 2 (docs/stability.md): from one start model, run GRPO and DistIL
 * variants side by side on the toy task (same seed, same batches), test accuracy on 10 prompts
 * x 40 samples at T=1 every 10 steps.
 *   npx tsx scripts/stability-rl.ts <startModel> <outRoot> [seed] [steps] [filter regexp] [lr]
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { resolveTrainConfig } from '../src/train/config.ts';
import { train } from '../src/train/loop.ts';
import { readJsonl } from '../src/train/run-folder.ts';
import { NEXT_DIGIT } from '../test/train/learning-env.ts';
import '../test/train/stability-env.ts';

const [start, outRoot, seedS = '0', stepsS = '50', filter = '.', lrS = '3e-3'] = process.argv.slice(2);
const seed = Number(seedS), steps = Number(stepsS);
const D = { topK: 8 };
const VARIANTS: [string, string, Record<string, unknown>, number?][] = [
  ['grpo', 'grpo', {}],
  ['live/all (prototype)', 'distil', { ...D, teacher: 'live', select: 'all', futureCredit: false }],
  ['live/all+fc', 'distil', { ...D, teacher: 'live', select: 'all' }],
  ['frozen/all', 'distil', { ...D, teacher: 'frozen', select: 'all', futureCredit: false }],
  ['ema/all', 'distil', { ...D, teacher: 'ema', select: 'all', futureCredit: false }],
  ['frozen/confident', 'distil', { ...D, teacher: 'frozen', select: 'confident', futureCredit: false }],
  ['frozen/confident m0.1', 'distil', { ...D, teacher: 'frozen', select: 'confident', margin: 0.1, futureCredit: false }],
  ['ema/confident', 'distil', { ...D, teacher: 'ema', select: 'confident', futureCredit: false }],
  ['ema/confident m0.1', 'distil', { ...D, teacher: 'ema', select: 'confident', margin: 0.1, futureCredit: false }],
  ['frozen/feedback', 'distil', { ...D, teacher: 'frozen', select: 'feedback', futureCredit: false }],
  ['ema/feedback', 'distil', { ...D, teacher: 'ema', select: 'feedback', futureCredit: false }],
  ['ema/confident_feedback', 'distil', { ...D, teacher: 'ema', select: 'confident_feedback', futureCredit: false }],
  ['ema/confident +fc (defaults)', 'distil', { ...D }],
  ['ema/feedback +fc', 'distil', { ...D, select: 'feedback' }],
  ['ema/all kl0.05', 'distil', { ...D, teacher: 'ema', select: 'all', futureCredit: false, klBeta: 0.05 }],
  ['ema/confident kl0.05', 'distil', { ...D, teacher: 'ema', select: 'confident', futureCredit: false, klBeta: 0.05 }],
  ['ema/feedback kl0.05', 'distil', { ...D, teacher: 'ema', select: 'feedback', futureCredit: false, klBeta: 0.05 }],
  // 'confident' against the student's probability of the teacher's top token (confidentAgainst 'token').
  ['ema/confident-token', 'distil', { ...D, teacher: 'ema', select: 'confident', confidentAgainst: 'token', futureCredit: false }],
  ['frozen/confident-token', 'distil', { ...D, teacher: 'frozen', select: 'confident', confidentAgainst: 'token', futureCredit: false }],
  ['ema/confident-token m0.1', 'distil', { ...D, teacher: 'ema', select: 'confident', confidentAgainst: 'token', margin: 0.1, futureCredit: false }],
  ['ema/confident-token +fc', 'distil', { ...D, teacher: 'ema', select: 'confident', confidentAgainst: 'token' }],
  ['ema/confident_feedback-token', 'distil', { ...D, teacher: 'ema', select: 'confident_feedback', confidentAgainst: 'token', futureCredit: false }],
  // docs/stability.md also records a 'mean-all' variant of the confident/feedback rows (the
  // loss averaged over all completion tokens, not the selected ones) made with a temporary
  // `tokenMean` option of distil.ts; it did not help and was removed.
];

mkdirSync(outRoot, { recursive: true });
const re = new RegExp(filter);
for (const [name, algorithm, algorithmOptions] of VARIANTS) {
  if (!re.test(name)) continue;
  const dir = mkdtempSync(join(outRoot, `${algorithm}-`));
  const t0 = Date.now();
  await train(resolveTrainConfig({
    env: NEXT_DIGIT, model: start, algorithm, algorithmOptions, steps, promptsPerStep: 8, groupSize: 4, lr: Number(lrS), seed,
    maxTokens: 2, evalEvery: 10, evalPrompts: 10, evalSamples: 40, evalTemperature: 1, checkpointEvery: 0, samplesPerStep: 0, klInit: false,
  }), dir, { log: () => {} });
  const curve = readJsonl(join(dir, 'eval.jsonl')).map((e) => (e.accuracy as number).toFixed(3)).join(' / ');
  const m = readJsonl(join(dir, 'metrics.jsonl'));
  const avg = (k: string) => m.reduce((a, r) => a + ((r[k] as number) ?? 0), 0) / m.length;
  console.log(`| ${name} | ${curve} | ${avg('distil/selected_frac').toFixed(3)} | ${avg('grad_norm').toFixed(3)} | ${((Date.now() - t0) / 1000).toFixed(0)}s |`);
}
