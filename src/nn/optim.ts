/**
 * AdamW (decoupled weight decay, PyTorch semantics) over named parameters, one kernel call
 * per parameter. Parameters without a gradient this step are skipped, like PyTorch; each keeps
 * its own step count for bias correction. State round-trips through stateDict() for resume.
 */
import { kernels } from '../engine/kernels/index.ts';
import type { Tensor } from '../engine/tensor.ts';
import { isNoDecay } from './params.ts';

export interface AdamWOptions {
  lr: number;
  beta1?: number; // default 0.9
  beta2?: number; // default 0.999
  eps?: number; // default 1e-8
  weightDecay?: number; // default 0.01, applied to the decay group only (see params.ts)
  /** Override which parameters decay (default: isNoDecay by name). */
  noDecay?: (name: string, t: Tensor) => boolean;
}

export interface AdamWState {
  /** Steps taken by the optimiser. */
  step: number;
  /** Per parameter: steps it took part in. */
  paramSteps: Record<string, number>;
  /** `${name}.exp_avg` and `${name}.exp_avg_sq` moment buffers. */
  tensors: Record<string, Float32Array>;
}

interface Slot {
  name: string;
  p: Tensor;
  m: Float32Array;
  v: Float32Array;
  step: number;
  decay: boolean;
}

export class AdamW {
  lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  /** Steps taken so far. */
  steps = 0;
  private slots: Slot[] = [];

  constructor(params: Map<string, Tensor>, opts: AdamWOptions) {
    this.lr = opts.lr;
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0.01;
    const noDecay = opts.noDecay ?? ((n: string, t: Tensor) => isNoDecay(n, t));
    for (const [name, p] of params) {
      if (!p.requiresGrad) continue;
      // Moments are allocated lazily (first step) so a frozen model costs no optimiser memory.
      this.slots.push({ name, p, m: new Float32Array(0), v: new Float32Array(0), step: 0, decay: !noDecay(name, p) });
    }
  }

  /** One update with the current gradients; `lr` overrides this.lr (e.g. from a schedule). */
  step(lr: number = this.lr): void {
    const k = kernels();
    this.steps++;
    for (const s of this.slots) {
      const g = s.p.grad;
      if (!g) continue;
      if (s.m.length !== s.p.size) {
        s.m = new Float32Array(s.p.size);
        s.v = new Float32Array(s.p.size);
      }
      s.step++;
      k.adamw({ param: s.p.data, grad: g, m: s.m, v: s.v, lr, beta1: this.beta1, beta2: this.beta2, eps: this.eps, weightDecay: s.decay ? this.weightDecay : 0, step: s.step });
    }
  }

  zeroGrad(): void {
    for (const s of this.slots) s.p.zeroGrad();
  }

  /** Names in the decay group (for logging and tests). */
  decayed(): string[] {
    return this.slots.filter((s) => s.decay).map((s) => s.name);
  }

  stateDict(): AdamWState {
    const tensors: Record<string, Float32Array> = {};
    const paramSteps: Record<string, number> = {};
    for (const s of this.slots) {
      paramSteps[s.name] = s.step;
      if (s.m.length) {
        tensors[`${s.name}.exp_avg`] = Float32Array.from(s.m);
        tensors[`${s.name}.exp_avg_sq`] = Float32Array.from(s.v);
      }
    }
    return { step: this.steps, paramSteps, tensors };
  }

  loadStateDict(st: AdamWState): void {
    this.steps = st.step;
    for (const s of this.slots) {
      s.step = st.paramSteps[s.name] ?? 0;
      const m = st.tensors[`${s.name}.exp_avg`], v = st.tensors[`${s.name}.exp_avg_sq`];
      if (!m || !v) {
        if (s.step > 0) throw new Error(`AdamW state: ${s.name} took ${s.step} steps but its moments are missing`);
        s.m = new Float32Array(0);
        s.v = new Float32Array(0);
        continue;
      }
      if (m.length !== s.p.size || v.length !== s.p.size)
        throw new Error(`AdamW state: ${s.name} has ${s.p.size} elements but the saved moments have ${m.length}/${v.length}`);
      s.m = Float32Array.from(m);
      s.v = Float32Array.from(v);
    }
  }
}
