/**
 * Where a sampling run's time goes: every kernel call of the decoder timed by op (the GEMMs
 * by shape), plus the sampler's own JavaScript (everything outside the decoder's kernels).
 * A developer tool, not a bench section; its output is recorded in bench/README.md:
 *   node --import tsx bench/profile_decode.ts [reference|135m] [batch] [new tokens]
 * Times are the process's CPU time (all threads), not wall clock, so that a busy machine's
 * time slices given to other processes do not count; with OMP_NUM_THREADS=1 that is the work
 * itself. Threaded kernels on an idle machine finish sooner than their CPU time says.
 */
import { kernels } from '../src/engine/kernels/index.ts';
import { cpuMs, timedKernels } from './common.ts';
import { Decoder } from '../src/inference/decoder.ts';
import { sample } from '../src/inference/sampler.ts';
import { REFERENCE_MODEL, SMOLLM_135M_SHAPE } from '../src/nn/presets.ts';
import { parameterShapes } from '../src/nn/transformer.ts';
import { Rng } from '../src/util/rng.ts';

const which = process.argv[2] ?? 'reference';
const B = Number(process.argv[3] ?? 32), NEW = Number(process.argv[4] ?? 64), PROMPT = 16;
const c = which === '135m' ? SMOLLM_135M_SHAPE : REFERENCE_MODEL;

const rng = new Rng(1);
const w = new Map<string, Float32Array>();
for (const [name, shape] of parameterShapes(c)) {
  const n = shape.reduce((a, b) => a * b, 1);
  const t = new Float32Array(n);
  if (shape.length === 1) t.fill(1);
  else for (let i = 0; i < n; i++) t[i] = (rng.next() - 0.5) * 0.04;
  w.set(name, t);
}

const timing = timedKernels(kernels(), (op, args) => {
  if (op === 'sgemm') {
    const a = args[0] as { M: number; N: number; K: number };
    return `sgemm ${a.M >= 64 ? 'M>=64' : `M=${a.M}`} ${a.N}x${a.K}`;
  }
  if (op === 'linearPacked') {
    const [, M, , N, K] = args as number[];
    return `linearPacked ${M >= 64 ? 'M>=64' : `M=${M}`} ${N}x${K}`;
  }
  return op;
});
const totals = timing.totals;

const dec = new Decoder(c, w, timing.kernels);
const run = () => {
  const r = new Rng(0);
  sample(dec, Array.from({ length: B }, (_, i) => ({ prompt: Array.from({ length: PROMPT }, () => r.int(c.vocabSize)), maxTokens: NEW, seed: i, stopTokenIds: [] })), {
    decode: () => '', eosIds: [], padId: 0,
  });
};
run();
timing.reset();
const t0 = cpuMs();
run();
const total = cpuMs() - t0;
const rows = [...totals.entries()].sort((a, b) => b[1].ms - a[1].ms);
console.log(`${which}, batch ${B}, ${PROMPT}-token prompt + ${NEW} new: ${total.toFixed(1)} ms of CPU, ${((B * NEW) / total * 1000).toFixed(0)} tok per CPU-second`);
console.log(`${'op'.padEnd(34)} ${'ms'.padStart(8)} ${'share'.padStart(6)} ${'calls'.padStart(6)}`);
for (const [k, v] of rows) console.log(`${k.padEnd(34)} ${v.ms.toFixed(1).padStart(8)} ${((100 * v.ms) / total).toFixed(1).padStart(5)}% ${String(v.calls).padStart(6)}`);
console.log(`${'outside kernels (JS: sampler, copies)'.padEnd(34)} ${(total - timing.inKernels()).toFixed(1).padStart(8)} ${((100 * (total - timing.inKernels())) / total).toFixed(1).padStart(5)}%`);
