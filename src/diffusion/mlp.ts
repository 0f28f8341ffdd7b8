/**
 * A plain multilayer perceptron over engine ops: linear -> SiLU -> ... -> linear. The denoiser
 * and the digit classifier are both one of these; inputs are data (concatenated outside the tape).
 */
import { linear, silu, Tensor } from '../engine/index.ts';
import type { Rng } from '../util/rng.ts';

export interface MlpConfig {
  /** Layer widths, input first, output last, e.g. [330, 256, 256, 256]. */
  sizes: number[];
  /** Zero the last layer so the initial output is 0 (a denoiser starts by predicting no noise). */
  zeroLast?: boolean;
}

export class Mlp {
  readonly params = new Map<string, Tensor>();
  private readonly layers: { W: Tensor; b: Tensor }[] = [];

  constructor(readonly config: MlpConfig, rng: Rng) {
    const s = config.sizes;
    if (s.length < 2 || s.some((d) => !(Number.isInteger(d) && d > 0))) throw new Error(`mlp: sizes must be >= 2 positive integers, got [${s}]`);
    for (let l = 0; l + 1 < s.length; l++) {
      const [i, o] = [s[l], s[l + 1]];
      const w = new Float32Array(o * i);
      const last = l + 2 === s.length;
      if (!(last && config.zeroLast)) {
        const std = 1 / Math.sqrt(i);
        for (let k = 0; k < w.length; k++) w[k] = rng.normal() * std;
      }
      const W = Tensor.param(w, [o, i], `layers.${l}.weight`);
      const b = Tensor.param(new Float32Array(o), [o], `layers.${l}.bias`);
      this.params.set(W.name!, W);
      this.params.set(b.name!, b);
      this.layers.push({ W, b });
    }
  }

  get inputSize(): number {
    return this.config.sizes[0];
  }
  get outputSize(): number {
    return this.config.sizes[this.config.sizes.length - 1];
  }

  /** x [N, in] -> [N, out]. */
  forward(x: Tensor): Tensor {
    let h = x;
    this.layers.forEach(({ W, b }, l) => {
      h = linear(h, W, b);
      if (l + 1 < this.layers.length) h = silu(h);
    });
    return h;
  }

  load(weights: Map<string, { shape: number[]; data: Float32Array }>, source: string): void {
    loadParams(this.params, weights, source);
  }
}

/** Copy weights into parameters (names and shapes must match exactly). */
export function loadParams(params: Map<string, Tensor>, weights: Map<string, { shape: number[]; data: Float32Array }>, source: string): void {
  for (const [name, p] of params) {
    const w = weights.get(name);
    if (!w) throw new Error(`${source}: tensor ${name} is missing`);
    if (w.data.length !== p.size || w.shape.join(',') !== p.shape.join(',')) throw new Error(`${source}: tensor ${name} has shape [${w.shape}] but the model needs [${p.shape}]`);
    p.data.set(w.data);
  }
  if (weights.size !== params.size) throw new Error(`${source}: holds ${weights.size} tensors but the model has ${params.size}`);
}

/** A [rows, cols] weight with N(0, 1/cols) entries (or zeros). */
export function initWeight(rng: Rng | null, rows: number, cols: number, name: string): Tensor {
  const w = new Float32Array(rows * cols);
  if (rng) {
    const std = 1 / Math.sqrt(cols);
    for (let k = 0; k < w.length; k++) w[k] = rng.normal() * std;
  }
  return Tensor.param(w, [rows, cols], name);
}
