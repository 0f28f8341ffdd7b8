/**
 * distil against llama.cpp, interleaved: the sampling section's loop (16-token prompt, NEW new
 * tokens at temperature 1, prompt included) on the same random weights, distil in this process
 * and llama.cpp's driver as a child process, in turn, PAIRS times; each side reports the median
 * of REPS runs after a warm-up, timed inside its own process. On a shared machine the pairs see
 * the same load, so their ratio is the number to quote. A developer tool (not a bench section):
 *   node --import tsx bench/ab_llama.ts [reference|135m] [batch] [pairs] [reps] [new] [llama threads]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeLlamaGguf } from './llama/gguf.ts';
import { installLlama } from './llama/install.ts';
import { loadLine, median, randomPromptSampler, timeSampling } from './common.ts';
import { randomWeights } from './sections/sampling.ts';
import { kernels } from '../src/engine/kernels/index.ts';
import { Decoder } from '../src/inference/decoder.ts';
import { REFERENCE_MODEL, SMOLLM_135M_SHAPE } from '../src/nn/presets.ts';

const [which = 'reference', bArg = '1', pArg = '3', rArg = '5', nArg = '64', tArg = '1'] = process.argv.slice(2);
const B = Number(bArg), PAIRS = Number(pArg), REPS = Number(rArg), NEW = Number(nArg), PROMPT = 16;
const c = which === '135m' ? SMOLLM_135M_SHAPE : REFERENCE_MODEL;
const w = randomWeights(c, 1);
const inst = installLlama(fileURLToPath(new URL('..', import.meta.url)), (s) => console.error(s));
if (typeof inst === 'string') throw new Error(`llama.cpp not available: ${inst}`);
const dir = mkdtempSync(join(tmpdir(), 'distil-ab-llama-'));
const gguf = join(dir, 'model-f32.gguf');
writeLlamaGguf(gguf, c, w, c.maxPositions);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    rmSync(dir, { recursive: true, force: true });
    process.exit(1);
  });
}

const gen = randomPromptSampler(new Decoder(c, w, kernels()), B, PROMPT);
/** [wall, CPU] seconds of one generation, medians. */
const distil = (): [number, number] => {
  const t = timeSampling(gen, REPS, NEW);
  return [t.wall, t.cpu];
};
const llama = (): [number, number] => {
  const [wall, cpu] = execFileSync(inst.driver, ['sample', gguf, tArg, String(B), String(PROMPT), String(NEW), String(REPS)], {
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DISTIL_LLAMA_LIB_DIR: inst.libDir },
  }).trim().split('\n').pop()!.split(' ').map(Number);
  return [wall, cpu];
};

console.log(`${which}, batch ${B}, ${PROMPT} + ${NEW} tokens, median of ${REPS} per side, llama.cpp F32 ${tArg} thread(s); load ${loadLine()}`);
const wallRatios: number[] = [], cpuRatios: number[] = [];
try {
  for (let p = 0; p < PAIRS; p++) {
    const d = distil(), l = llama();
    wallRatios.push(l[0] / d[0]);
    cpuRatios.push(l[1] / d[1]);
    console.log(`pair ${p + 1}: wall distil ${d[0].toFixed(4)} s, llama.cpp ${l[0].toFixed(4)} s (speed ratio ${(l[0] / d[0]).toFixed(2)}); `
      + `CPU distil ${d[1].toFixed(4)} s, llama.cpp ${l[1].toFixed(4)} s (${(l[1] / d[1]).toFixed(2)}); load ${loadLine()}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const range = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return `median ${s[Math.floor(s.length / 2)].toFixed(2)}, range ${s[0].toFixed(2)}-${s[s.length - 1].toFixed(2)}`;
};
console.log(`speed ratio distil / llama.cpp (llama.cpp time / distil time): wall ${range(wallRatios)}; CPU ${range(cpuRatios)}`);
