/**
 * distil's training step against the PyTorch reference, interleaved: the train_step section's
 * step (REFERENCE_MODEL, batch 8 x 128, cross-entropy, AdamW) in a distil child process, then
 * bench/torch/train_step.py in each given configuration, in turn, PAIRS times; each side reports
 * the median of STEPS steps after a warm-up, timed inside its own process (wall clock and the
 * process's CPU time). On a shared machine the pairs see the same load, so their ratio is the
 * number to quote. A developer tool (not a bench section):
 *   node --import tsx bench/ab_train.ts [pairs] [steps] [configs, e.g. module/1,module/2]
 * A config `variant/threads/1` also sets OPENBLAS_NUM_THREADS=1 (PyTorch wholly on one thread;
 * compare with distil under OMP_NUM_THREADS=1, which this process passes on to its child).
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REFERENCE_MODEL } from '../src/nn/config.ts';
import { loadLine, median, TRAIN_BATCH, TRAIN_SEQ } from './common.ts';
import { runChild, type StepResult } from './sections/train_step.ts';
import { detectTorch, runPythonJson } from './torch.ts';

const [pArg = '3', sArg = '10', cArg = 'module/1,module/2'] = process.argv.slice(2);
const PAIRS = Number(pArg), STEPS = Number(sArg), WARMUP = 2;
const configs = cArg.split(',').map((c) => {
  const [variant, threads, blas] = c.split('/');
  return { variant, threads: Number(threads), env: blas ? { OPENBLAS_NUM_THREADS: blas } : undefined, name: c };
});
const python = detectTorch();
if (!python) throw new Error('ab_train: PyTorch is not installed for /usr/bin/python3');
const script = join(dirname(fileURLToPath(import.meta.url)), 'torch', 'train_step.py');
const range = (xs: number[]) => `median ${median(xs).toFixed(3)}, range ${Math.min(...xs).toFixed(3)}-${Math.max(...xs).toFixed(3)}`;

console.log(`train step, REFERENCE_MODEL batch 8 x 128, median of ${STEPS} steps after ${WARMUP} per side; PyTorch ${cArg}; load ${loadLine()}`);
const wall: number[] = [], cpu: number[] = [], mem: number[] = [];
for (let p = 0; p < PAIRS; p++) {
  const d = runChild(WARMUP, STEPS);
  let best: (StepResult & { config: string }) | null = null;
  const seen: string[] = [];
  for (const { variant, threads, env, name } of configs) {
    const t = runPythonJson<StepResult>(python, script, { variant, threads, B: TRAIN_BATCH, T: TRAIN_SEQ, warmup: WARMUP, steps: STEPS, config: REFERENCE_MODEL }, { timeoutMs: 30 * 60_000, env });
    seen.push(`${name} ${t.median_ms.toFixed(1)} ms (CPU ${t.cpu_ms?.toFixed(1)})`);
    if (!best || t.median_ms < best.median_ms) best = { ...t, config: name };
  }
  wall.push(d.median_ms / best!.median_ms);
  cpu.push(d.cpu_ms! / best!.cpu_ms!);
  mem.push(d.peak_rss_mb / best!.peak_rss_mb);
  console.log(`pair ${p + 1}: distil ${d.median_ms.toFixed(1)} ms (CPU ${d.cpu_ms!.toFixed(1)}, ${d.peak_rss_mb.toFixed(0)} MB); PyTorch ${seen.join(', ')}, ${best!.peak_rss_mb.toFixed(0)} MB; `
    + `time ratio distil / PyTorch ${(d.median_ms / best!.median_ms).toFixed(3)} (vs ${best!.config}); load ${loadLine()}`);
}
console.log(`time ratio distil / PyTorch (lower is faster): wall ${range(wall)}; CPU ${range(cpu)}; peak memory ${range(mem)}`);
