/**
 * Evaluation noise (docs/stability.md): the test accuracy of one checkpoint (10 prompts x 40
 * samples at T=1, like the runs' evaluations) under different sampling seeds.
 *   npx tsx scripts/stability-noise.ts <model> [repeats]
 */
import { accuracyOn, warmPrompt } from '../test/train/stability-env.ts';

const [model, nS = '20'] = process.argv.slice(2);
const accs: number[] = [];
for (let i = 0; i < Number(nS); i++) accs.push(await accuracyOn(model, (d) => warmPrompt(d, 'plain'), 40, 1_000_000 * (i + 1)));
const mean = accs.reduce((a, b) => a + b, 0) / accs.length;
const sd = Math.sqrt(accs.reduce((a, b) => a + (b - mean) ** 2, 0) / (accs.length - 1));
console.log(`accuracies ${accs.map((a) => a.toFixed(3)).join(' ')}`);
console.log(`mean ${mean.toFixed(4)}  sd ${sd.toFixed(4)}  min ${Math.min(...accs).toFixed(3)}  max ${Math.max(...accs).toFixed(3)}  binomial sd ${Math.sqrt(mean * (1 - mean) / 400).toFixed(4)}`);
