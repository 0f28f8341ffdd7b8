/**
 * Stability experiment, part 1 (docs/stability.md): SFT a tiny model on the warm-up corpus
 * (plain prompts + DistIL teacher contexts) and measure, at checkpoints, the student's sampled
 * accuracy and the self-teacher's: kept a correct attempt / fixed a wrong one.
 *   STAB_MODEL='{"hiddenSize":64,...}' npx tsx scripts/stability-warm.ts <outDir> <steps> <every> [seed] [lr] [prompts] [plainDigits]
 */
import { join } from 'node:path';
import { resolveTrainConfig } from '../src/train/config.ts';
import { train } from '../src/train/loop.ts';
import { tinyModelFolder } from '../test/train/helpers.ts';
import { accuracyOn, WARM_ENV, warmPrompt } from '../test/train/stability-env.ts';

const [out, stepsS, everyS, seedS = '0', lrS = '1e-2', promptsS = '16', plainS = '10'] = process.argv.slice(2);
const steps = Number(stepsS), every = Number(everyS), seed = Number(seedS);
const t0 = Date.now();
await train(resolveTrainConfig({
  env: WARM_ENV, envOptions: { plainDigits: Number(plainS) }, model: tinyModelFolder(1, JSON.parse(process.env.STAB_MODEL ?? "{}")), algorithm: 'sft', steps, promptsPerStep: Number(promptsS), lr: Number(lrS), seed,
  maxTokens: 2, evalEvery: 0, checkpointEvery: every, keepCheckpoints: 1000, samplesPerStep: 0, klInit: false, evalPrompts: 10, evalSamples: 4,
}), out, { log: () => {} });
console.log(`sft ${steps} steps in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
for (let s = every; s <= steps; s += every) {
  const m = join(out, 'checkpoints', `step-${s}`, 'model');
  const student = await accuracyOn(m, (d) => warmPrompt(d, 'plain'), 40, 7_000_000);
  const keep = await accuracyOn(m, (d) => warmPrompt(d, 'correct'), 20, 8_000_000);
  const fix = await accuracyOn(m, (d) => warmPrompt(d, 'wrong'), 20, 9_000_000);
  // Following the context when it names a letter that is not the task's answer: copying, not recomputing.
  const copy = await accuracyOn(m, (d) => warmPrompt(d, 'wrong', (d + 4) % 10, (d + 7) % 10), 20, 9_500_000, (d) => (d + 4) % 10);
  console.log(`step ${s}: student ${student.toFixed(3)}  teacher keep ${keep.toFixed(3)}  fix ${fix.toFixed(3)}  follows a non-answer ${copy.toFixed(3)}`);
}
