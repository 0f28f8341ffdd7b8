/**
 * One training step (forward, cross-entropy, backward, AdamW) of REFERENCE_MODEL at batch 8 x
 * seq 128: median ms after warm-up, and peak RSS. Ours runs in a child process (this file with
 * --child) so that other sections' memory does not pollute its peak RSS; PyTorch runs the same
 * model (bench/torch/train_step.py, written as an nn.Module and as F.linear over a parameter
 * dict) with 1 and with 2 torch threads each, and the fastest counts.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REFERENCE_MODEL } from '../../src/nn/config.ts';
import { TRAIN_BATCH, TRAIN_SEQ } from '../common.ts';
import type { BenchContext, BenchSection } from '../section.ts';
import { runPythonJson } from '../torch.ts';

const here = fileURLToPath(import.meta.url);
const root = join(dirname(here), '..', '..');
const B = TRAIN_BATCH, T = TRAIN_SEQ;

export interface StepResult {
  median_ms: number;
  best_ms: number;
  /** Median CPU time of a step, all threads of the process (ms). */
  cpu_ms?: number;
  peak_rss_mb: number;
  engine?: string;
  threads?: number;
  loss: number;
}

/**
 * Peak resident memory of this process. On Linux getrusage's maxRSS survives exec, so a child
 * spawned by a parent that holds a large model would report the parent's peak; /proc's VmHWM
 * is the child's own.
 */
function peakRssMb(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) / 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS / 1024;
}

/** The measured loop, run in the child process. */
async function child(warmup: number, steps: number): Promise<StepResult> {
  const { kernelsName } = await import('../../src/engine/index.ts');
  const { cpuMs, referenceTrainStep } = await import('../common.ts');
  const { step: oneStep } = referenceTrainStep();
  let loss = 0;
  const step = () => {
    loss = oneStep();
  };
  for (let i = 0; i < warmup; i++) step();
  const times: number[] = [], cpus: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now(), c0 = cpuMs();
    step();
    cpus.push(cpuMs() - c0);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  cpus.sort((a, b) => a - b);
  return {
    median_ms: times[Math.floor(times.length / 2)],
    best_ms: times[0],
    cpu_ms: cpus[Math.floor(cpus.length / 2)],
    peak_rss_mb: peakRssMb(),
    engine: kernelsName(),
    loss,
  };
}

export function runChild(warmup: number, steps: number): StepResult {
  const r = spawnSync(process.execPath, ['--import', 'tsx', here, '--child', String(warmup), String(steps)], {
    cwd: root,
    encoding: 'utf8',
    timeout: 30 * 60_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  const lines = (r.stdout ?? '').split('\n').filter((l) => l.trim());
  if (r.status !== 0 || !lines.length) throw new Error(`train_step child failed (${r.status ?? r.signal}): ${(r.stderr ?? '').slice(-2000)}`);
  return JSON.parse(lines[lines.length - 1]) as StepResult;
}

const round = (x: number, d = 1) => Number(x.toFixed(d));

const section: BenchSection = {
  name: 'train_step',
  order: 30,
  async run(ctx: BenchContext) {
    const { tryNativeKernels, nativeError } = await import('../../src/engine/kernels/index.ts');
    const native = process.env.DISTIL_ENGINE !== 'js' && tryNativeKernels() !== null;
    // The TypeScript kernels take tens of seconds per step here: one step says enough.
    const [warmup, steps] = !native ? [0, 1] : ctx.quick ? [1, 2] : [2, 10];
    if (!native) ctx.note(`train_step: running on the TypeScript kernels (${process.env.DISTIL_ENGINE === 'js' ? 'DISTIL_ENGINE=js' : nativeError()?.split('\n')[0]}): one step only`);
    ctx.note(`train_step: REFERENCE_MODEL, batch ${B} x ${T}, ${steps} steps after ${warmup} warm-up`);
    const ours = runChild(warmup, steps);
    ctx.record({ impl: `distil (${ours.engine})`, threads: null, median_ms: round(ours.median_ms), best_ms: round(ours.best_ms), peak_rss_mb: round(ours.peak_rss_mb), loss: round(ours.loss, 4) });
    let torch: StepResult | null = null;
    if (ctx.torchPython) {
      // torch.set_num_threads(1) leaves OpenBLAS its own threads; 2 torch threads can oversubscribe. Keep the fastest.
      for (const variant of ['module', 'functional']) {
        for (const threads of [1, 2]) {
          try {
            const t = runPythonJson<StepResult>(ctx.torchPython, join(root, 'bench', 'torch', 'train_step.py'), { variant, threads, B, T, warmup, steps, config: REFERENCE_MODEL }, { timeoutMs: 30 * 60_000 });
            ctx.record({ impl: `pytorch ${variant}`, threads, median_ms: round(t.median_ms), best_ms: round(t.best_ms), peak_rss_mb: round(t.peak_rss_mb), loss: round(t.loss, 4) });
            if (!torch || t.median_ms < torch.median_ms) torch = { ...t, engine: `${variant}/${threads}t` };
          } catch (e) {
            ctx.note(`train_step: pytorch ${variant} with ${threads} thread(s) failed: ${(e as Error).message}`);
          }
        }
      }
      if (torch) ctx.note(`train_step: the PyTorch reference is ${torch.engine} (the fastest)`);
    } else ctx.note('train_step: no PyTorch, only our numbers');
    return {
      train_step_ms: round(ours.median_ms),
      torch_train_step_ms: torch ? round(torch.median_ms) : null,
      train_step_ratio: torch ? round(ours.median_ms / torch.median_ms, 3) : null,
      peak_rss_mb: round(ours.peak_rss_mb),
      torch_peak_rss_mb: torch ? round(torch.peak_rss_mb) : null,
    };
  },
};

export default section;

if (process.argv[2] === '--child') {
  const r = await child(Number(process.argv[3] ?? 2), Number(process.argv[4] ?? 10));
  process.stdout.write(JSON.stringify(r) + '\n');
}
