/**
 * Where a training step's time goes: the step of bench/sections/train_step.ts (REFERENCE_MODEL,
 * batch 8 x 128, cross-entropy, AdamW) split into phases (forward, loss, backward, optimiser)
 * and, within them, every kernel call timed by op (the GEMMs by shape and transposes). A
 * developer tool, not a bench section; its output is recorded in bench/README.md:
 *   node --import tsx bench/profile_train.ts [steps]
 * Times are the process's CPU time (all threads), so other processes' time slices do not count;
 * with OMP_NUM_THREADS=1 that is the work itself. The wall clock of each phase is printed too.
 */
import { setKernels, tryNativeKernels } from '../src/engine/kernels/index.ts';
import { cpuMs, referenceTrainStep, timedKernels } from './common.ts';

const STEPS = Number(process.argv[2] ?? 5);
const base = tryNativeKernels();
if (!base) throw new Error('profile_train: the native kernels are not built (npm run build:native)');

let phase = 'forward';
const timing = timedKernels(base, (op, args) => {
  let key = op;
  if (op === 'sgemm') {
    const a = args[0] as { M: number; N: number; K: number; transA: boolean; transB: boolean; batch?: number };
    key = `sgemm ${a.M}x${a.N}x${a.K}${a.transA ? ' A^T' : ''}${a.transB ? ' B^T' : ''}${a.batch && a.batch > 1 ? ` x${a.batch}` : ''}`;
  }
  return `${phase}: ${key}`;
});
setKernels(timing.kernels);
const totals = timing.totals;
/** CPU time inside kernels by phase (from the totals' keys). */
const inKernels = (p: string) => [...totals.entries()].filter(([k]) => k.startsWith(`${p}: `)).reduce((a, [, v]) => a + v.ms, 0);

const phaseCpu = new Map<string, number>(), phaseWall = new Map<string, number>();
function timedPhase<R>(name: string, fn: () => R): R {
  phase = name;
  const c0 = cpuMs(), w0 = performance.now();
  const r = fn();
  phaseCpu.set(name, (phaseCpu.get(name) ?? 0) + cpuMs() - c0);
  phaseWall.set(name, (phaseWall.get(name) ?? 0) + performance.now() - w0);
  return r;
}
const { B, T, step } = referenceTrainStep(timedPhase);
for (let i = 0; i < 2; i++) step();
timing.reset();
phaseCpu.clear();
phaseWall.clear();
const c0 = cpuMs(), w0 = performance.now();
for (let i = 0; i < STEPS; i++) step();
const totalCpu = (cpuMs() - c0) / STEPS, totalWall = (performance.now() - w0) / STEPS;

const f = (x: number) => x.toFixed(2).padStart(8);
console.log(`REFERENCE_MODEL, batch ${B} x ${T}, per step (mean of ${STEPS}): ${totalCpu.toFixed(1)} ms CPU, ${totalWall.toFixed(1)} ms wall, OMP_NUM_THREADS=${process.env.OMP_NUM_THREADS ?? '(default)'}`);
console.log(`${'phase'.padEnd(12)} ${'cpu ms'.padStart(8)} ${'wall ms'.padStart(8)} ${'outside kernels'.padStart(16)}`);
for (const [p, ms] of phaseCpu) console.log(`${p.padEnd(12)} ${f(ms / STEPS)} ${f(phaseWall.get(p)! / STEPS)} ${f((ms - inKernels(p)) / STEPS).padStart(16)}`);
console.log(`\n${'op'.padEnd(52)} ${'cpu ms'.padStart(8)} ${'share'.padStart(6)} ${'calls'.padStart(6)}`);
for (const [k, v] of [...totals.entries()].sort((a, b) => b[1].ms - a[1].ms))
  console.log(`${k.padEnd(52)} ${f(v.ms / STEPS)} ${((100 * v.ms) / STEPS / totalCpu).toFixed(1).padStart(5)}% ${String(v.calls / STEPS).padStart(6)}`);
