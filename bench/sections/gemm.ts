/**
 * SGEMM throughput (GFLOP/s, median of repetitions) of the native addon next to PyTorch on the
 * same shapes: square-ish, the two training shapes (512x512x2048 and 2048x512x512, MxNxK), the
 * transposed products a backward pass runs (A^T B for weight gradients, A B^T for input
 * gradients), a batch of small matrices (attention-sized), and decoding's few-row products.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchContext, BenchSection } from '../section.ts';
import { runPythonJson } from '../torch.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

interface Shape { name: string; M: number; N: number; K: number; batch: number; transA: boolean; transB: boolean }

const shape = (name: string, M: number, N: number, K: number, o: Partial<Shape> = {}): Shape =>
  ({ name, M, N, K, batch: 1, transA: false, transB: false, ...o });

const SHAPES: Shape[] = [
  shape('256x256x256', 256, 256, 256),
  shape('512x512x2048', 512, 512, 2048),
  shape('512x512x2048 A^T B', 512, 512, 2048, { transA: true }),
  shape('512x512x2048 A B^T', 512, 512, 2048, { transB: true }),
  shape('2048x512x512', 2048, 512, 512),
  shape('32 x 128x64x128', 128, 64, 128, { batch: 32 }),
  shape('1x2048x512 A B^T', 1, 2048, 512, { transB: true }),
  shape('8x2048x512 A B^T', 8, 2048, 512, { transB: true }),
];

type Sgemm = (
  tA: boolean, tB: boolean, M: number, N: number, K: number, alpha: number, a: Float32Array, lda: number,
  b: Float32Array, ldb: number, beta: number, c: Float32Array, ldc: number, batch: number, sA: number, sB: number, sC: number,
) => void;

function loadSgemm(): { sgemm: Sgemm; threads: number } {
  const path = join(root, 'native', 'build', 'distil.node');
  if (!existsSync(path)) throw new Error(`${path} is missing: build it with \`node native/build.mjs --force\``);
  const addon = createRequire(import.meta.url)(path) as { sgemm?: Sgemm; numThreads?: () => number };
  if (typeof addon.sgemm !== 'function') throw new Error(`${path} has no sgemm export: rebuild it`);
  return { sgemm: addon.sgemm, threads: addon.numThreads?.() ?? 1 };
}

function filled(n: number): Float32Array {
  const x = new Float32Array(n);
  let s = 12345;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0; // cheap deterministic fill: values do not matter
    x[i] = (s / 2 ** 32) * 2 - 1;
  }
  return x;
}

interface Timing { median: number; best: number }

const round = (x: number, digits: number) => Number(x.toFixed(digits));

function measureOurs(sgemm: Sgemm, s: Shape, reps: number, minSeconds: number): Timing {
  const { M, N, K, batch, transA, transB } = s;
  const a = filled(M * K * batch), b = filled(K * N * batch), c = new Float32Array(M * N * batch);
  const run = () => sgemm(transA, transB, M, N, K, 1, a, transA ? M : K, b, transB ? K : N, 0, c, N, batch, M * K, K * N, M * N);
  run();
  run();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < reps || (performance.now() - start < minSeconds * 1000 && times.length < 10 * reps)) {
    const t0 = performance.now();
    run();
    times.push((performance.now() - t0) / 1000);
  }
  times.sort((x, y) => x - y);
  const flops = 2 * M * N * K * batch;
  return { median: flops / times[Math.floor(times.length / 2)] / 1e9, best: flops / times[0] / 1e9 };
}

interface TorchOut { torch: string; threads: number; blas: string; results: Array<{ median_gflops: number; best_gflops: number }> }

function torchRun(python: string, shapes: Shape[], threads: number, reps: number, minSeconds: number): TorchOut {
  const script = join(root, 'bench', 'torch', 'gemm.py');
  return runPythonJson<TorchOut>(python, script, { threads, shapes, reps, min_seconds: minSeconds });
}

const section: BenchSection = {
  name: 'gemm',
  order: 10,
  async run(ctx: BenchContext) {
    const { sgemm, threads } = loadSgemm();
    const reps = ctx.quick ? 5 : 30;
    const minSeconds = ctx.quick ? 0.05 : 0.5;
    // How idle OpenMP threads wait matters on a shared machine (see bench/README.md).
    ctx.note(`native sgemm with ${threads} OpenMP threads, OMP_WAIT_POLICY=${process.env.OMP_WAIT_POLICY ?? '(unset: spin, then sleep)'}`);

    // PyTorch: pick its faster thread setting on the headline shape (with OpenBLAS, torch's own
    // threads and BLAS's threads can oversubscribe the two cores), then run every shape with it.
    let torch: TorchOut | null = null;
    if (ctx.torchPython) {
      const probe = SHAPES[1];
      let bestThreads = 1, bestRate = -1;
      for (const t of [1, 2]) {
        const out = torchRun(ctx.torchPython, [probe], t, ctx.quick ? 3 : 10, ctx.quick ? 0.05 : 0.3);
        const rate = out.results[0].median_gflops;
        ctx.note(`torch ${out.torch} (${out.blas}) with ${t} thread(s): ${rate.toFixed(1)} GFLOP/s on ${probe.name}`);
        if (rate > bestRate) [bestRate, bestThreads] = [rate, t];
      }
      torch = torchRun(ctx.torchPython, SHAPES, bestThreads, reps, minSeconds);
      ctx.note(`torch runs with torch.set_num_threads(${bestThreads}); BLAS: ${torch.blas}`);
    }

    const ours: Timing[] = [];
    for (const [i, s] of SHAPES.entries()) {
      const t = measureOurs(sgemm, s, reps, minSeconds);
      ours.push(t);
      const tr = torch?.results[i] ?? null;
      ctx.record({
        shape: s.name,
        ours_gflops: round(t.median, 2),
        ours_best: round(t.best, 2),
        torch_gflops: tr ? round(tr.median_gflops, 2) : null,
        torch_best: tr ? round(tr.best_gflops, 2) : null,
        ratio: tr ? round(t.median / tr.median_gflops, 3) : null,
      });
    }
    const torchAt = (i: number) => torch?.results[i]?.median_gflops ?? null;
    const r2 = (x: number | null) => (x === null ? null : round(x, 2));
    return {
      gemm_gflops: r2(ours[1].median),
      torch_gemm_gflops: r2(torchAt(1)),
      gemm_at_b_gflops: r2(ours[2].median),
      gemm_a_bt_gflops: r2(ours[3].median),
      gemm_batched_gflops: r2(ours[5].median),
      torch_gemm_batched_gflops: r2(torchAt(5)),
      torch_threads: torch?.threads ?? null,
    };
  },
};

export default section;
