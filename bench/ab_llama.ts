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
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeLlamaGguf } from './llama/gguf.ts';
import { installLlama } from './llama/install.ts';
import { randomWeights } from './sections/sampling.ts';
import { kernels } from '../src/engine/kernels/index.ts';
import { Decoder } from '../src/inference/decoder.ts';
import { sample } from '../src/inference/sampler.ts';
import { REFERENCE_MODEL, SMOLLM_135M_SHAPE } from '../src/nn/presets.ts';
import { Rng } from '../src/util/rng.ts';

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

const dec = new Decoder(c, w, kernels());
const rng = new Rng(0);
const gen = (n: number) => sample(dec, Array.from({ length: B }, (_, i) => ({
  prompt: Array.from({ length: PROMPT }, () => rng.int(c.vocabSize)), maxTokens: n, seed: i, stopTokenIds: [],
})), { decode: () => '', eosIds: [], padId: 0 });
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const cpuS = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
/** [wall, CPU] seconds of one generation, medians. */
const distil = (): [number, number] => {
  gen(4);
  const ts: number[] = [], cs: number[] = [];
  for (let r = 0; r < REPS; r++) {
    const t0 = performance.now(), c0 = cpuS();
    gen(NEW);
    cs.push(cpuS() - c0);
    ts.push((performance.now() - t0) / 1000);
  }
  return [med(ts), med(cs)];
};
const llama = (): [number, number] => {
  const [wall, cpu] = execFileSync(inst.driver, ['sample', gguf, tArg, String(B), String(PROMPT), String(NEW), String(REPS)], {
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DISTIL_LLAMA_LIB_DIR: inst.libDir },
  }).trim().split('\n').pop()!.split(' ').map(Number);
  return [wall, cpu];
};

const la = () => loadavg().map((x) => x.toFixed(1)).join(' ');
console.log(`${which}, batch ${B}, ${PROMPT} + ${NEW} tokens, median of ${REPS} per side, llama.cpp F32 ${tArg} thread(s); load ${la()}`);
const wallRatios: number[] = [], cpuRatios: number[] = [];
try {
  for (let p = 0; p < PAIRS; p++) {
    const d = distil(), l = llama();
    wallRatios.push(l[0] / d[0]);
    cpuRatios.push(l[1] / d[1]);
    console.log(`pair ${p + 1}: wall distil ${d[0].toFixed(4)} s, llama.cpp ${l[0].toFixed(4)} s (speed ratio ${(l[0] / d[0]).toFixed(2)}); `
      + `CPU distil ${d[1].toFixed(4)} s, llama.cpp ${l[1].toFixed(4)} s (${(l[1] / d[1]).toFixed(2)}); load ${la()}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const range = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return `median ${s[Math.floor(s.length / 2)].toFixed(2)}, range ${s[0].toFixed(2)}-${s[s.length - 1].toFixed(2)}`;
};
console.log(`speed ratio distil / llama.cpp (llama.cpp time / distil time): wall ${range(wallRatios)}; CPU ${range(cpuRatios)}`);
