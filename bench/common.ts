/**
 * Pieces the benchmark scripts share: timing helpers, the sampling loop every sampling
 * comparison runs (random 16-token prompts, temperature 1 over the whole vocabulary), a kernel
 * set that times each call, and the reference model's training step.
 */
import { loadavg } from 'node:os';
import type { Kernels } from '../src/engine/kernels/types.ts';
import { crossEntropy } from '../src/engine/ops/loss.ts';
import { Decoder } from '../src/inference/decoder.ts';
import { sample } from '../src/inference/sampler.ts';
import { AdamW } from '../src/nn/optim.ts';
import { REFERENCE_MODEL } from '../src/nn/presets.ts';
import { Transformer } from '../src/nn/transformer.ts';
import { Rng } from '../src/util/rng.ts';

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** CPU time of this process, all threads, in milliseconds. */
export function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** The 1, 5 and 15 minute load averages, for the line a measurement is printed on. */
export const loadLine = (): string => loadavg().map((x) => x.toFixed(1)).join(' ');

/**
 * The sampling comparisons' loop on `dec`: B requests of PROMPT random tokens (a fresh draw per
 * call from one generator), seeds 0..B-1, no stop ids, temperature 1 over the whole vocabulary.
 */
export function randomPromptSampler(dec: Decoder, B: number, PROMPT = 16): (maxTokens: number) => void {
  const rng = new Rng(0);
  const V = dec.config.vocabSize;
  return (maxTokens) => {
    sample(dec, Array.from({ length: B }, (_, i) => ({
      prompt: Array.from({ length: PROMPT }, () => rng.int(V)), maxTokens, seed: i, stopTokenIds: [],
    })), { decode: () => '', eosIds: [], padId: 0 });
  };
}

/** Median wall-clock and CPU seconds of `reps` generations of NEW tokens, after a 4-token warm-up. */
export function timeSampling(gen: (maxTokens: number) => void, reps: number, NEW: number): { wall: number; cpu: number } {
  gen(4);
  const walls: number[] = [], cpus: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now(), c0 = cpuMs();
    gen(NEW);
    cpus.push((cpuMs() - c0) / 1000);
    walls.push((performance.now() - t0) / 1000);
  }
  return { wall: median(walls), cpu: median(cpus) };
}

/** CPU milliseconds and calls of one kind of kernel call. */
export interface CallTotal { ms: number; calls: number }

/**
 * `base` with every kernel call timed in process CPU time: `keyOf` names a call (e.g. a GEMM by
 * its shape), and the totals by name accumulate in `totals`; `inKernels()` is the CPU time spent
 * inside any kernel since the last `reset()`.
 */
export function timedKernels(base: Kernels, keyOf: (op: string, args: unknown[]) => string) {
  const totals = new Map<string, CallTotal>();
  let inside = 0;
  const kernels = new Proxy(base, {
    get(target, prop, recv) {
      const f = Reflect.get(target, prop, recv);
      if (typeof f !== 'function') return f;
      return (...args: unknown[]) => {
        const key = keyOf(String(prop), args);
        const t0 = cpuMs();
        const r = f.apply(target, args);
        const dt = cpuMs() - t0;
        inside += dt;
        const e = totals.get(key) ?? { ms: 0, calls: 0 };
        e.ms += dt;
        e.calls++;
        totals.set(key, e);
        return r;
      };
    },
  }) as Kernels;
  return {
    kernels,
    totals,
    inKernels: () => inside,
    reset: () => {
      totals.clear();
      inside = 0;
    },
  };
}

/**
 * The training step every training benchmark times: REFERENCE_MODEL at batch 8 x 128 on random
 * tokens, cross-entropy, backward, AdamW on every weight. `phase` wraps each part (for profiles).
 */
export const TRAIN_BATCH = 8, TRAIN_SEQ = 128;
export function referenceTrainStep(phase: <R>(name: string, fn: () => R) => R = (_, fn) => fn()) {
  const B = TRAIN_BATCH, T = TRAIN_SEQ;
  const model = new Transformer(REFERENCE_MODEL, new Rng(0));
  const opt = new AdamW(model.params, { lr: 1e-3, weightDecay: 0.01 });
  const rng = new Rng(1);
  const V = REFERENCE_MODEL.vocabSize;
  const ids = new Int32Array(B * T).map(() => rng.int(V));
  const targets = new Int32Array(B * T).map(() => rng.int(V));
  /** One step; returns the loss. */
  const step = (): number => {
    phase('zero_grad', () => opt.zeroGrad());
    const logits = phase('forward', () => model.forward(ids, B, T));
    const loss = phase('loss', () => crossEntropy(logits, targets));
    phase('backward', () => loss.backward());
    phase('optimiser', () => opt.step());
    return loss.item();
  };
  return { B, T, step };
}
