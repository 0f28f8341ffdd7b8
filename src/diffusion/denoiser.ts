/**
 * The epsilon-prediction network: a residual MLP over the P pixels of x_t, with the condition
 * (sinusoidal embedding of t, one-hot digit) projected into every layer, not only the first:
 * a plain MLP that sees the digit once drew the wrong digit about half the time.
 *
 *   h_0 = silu(W_0 x_t + U_0 c + b_0)
 *   h_l = h_{l-1} + silu(W_l h_{l-1} + U_l c + b_l)      l = 1..depth-1
 *   eps = W_out h + b_out                                  (W_out starts at 0)
 *
 * The condition is data, not on the tape.
 */
import { add, linear, silu, Tensor } from '../engine/index.ts';
import type { Rng } from '../util/rng.ts';
import { checkDigit, NUM_CLASSES } from './digits.ts';
import { initWeight, loadParams } from './mlp.ts';

export const TIME_DIM = 64;
const COND = TIME_DIM + NUM_CLASSES;

export interface DenoiserConfig {
  imageSize: number;
  hidden: number;
  depth: number;
}

export function timeEmbedding(t: number, out: Float32Array, offset: number): void {
  const half = TIME_DIM / 2;
  for (let i = 0; i < half; i++) {
    const f = Math.exp((-Math.log(10000) * i) / half);
    out[offset + i] = Math.sin(t * f);
    out[offset + half + i] = Math.cos(t * f);
  }
}

export class Denoiser {
  readonly params = new Map<string, Tensor>();
  readonly P: number;
  private readonly layers: { W: Tensor; U: Tensor; b: Tensor }[] = [];
  private readonly out: { W: Tensor; b: Tensor };

  constructor(readonly config: DenoiserConfig, rng: Rng) {
    const { imageSize, hidden: H, depth } = config;
    if (!(Number.isInteger(imageSize) && imageSize >= 2 && Number.isInteger(H) && H >= 1 && Number.isInteger(depth) && depth >= 1))
      throw new Error(`denoiser: imageSize >= 2, hidden >= 1 and depth >= 1 must be integers, got ${JSON.stringify(config)}`);
    this.P = imageSize * imageSize;
    const add_ = (t: Tensor) => (this.params.set(t.name!, t), t);
    for (let l = 0; l < depth; l++) {
      this.layers.push({
        W: add_(initWeight(rng, H, l === 0 ? this.P : H, `layers.${l}.weight`)),
        U: add_(initWeight(rng, H, COND, `layers.${l}.cond.weight`)),
        b: add_(Tensor.param(new Float32Array(H), [H], `layers.${l}.bias`)),
      });
    }
    this.out = { W: add_(initWeight(null, this.P, H, 'out.weight')), b: add_(Tensor.param(new Float32Array(this.P), [this.P], 'out.bias')) };
  }

  load(weights: Map<string, { shape: number[]; data: Float32Array }>, source: string): void {
    loadParams(this.params, weights, source);
  }

  /** Predicted noise [n, P] for rows (x_t, t, digit). */
  predict(xt: Float32Array, ts: ArrayLike<number>, labels: ArrayLike<number>): Tensor {
    const P = this.P, n = labels.length;
    if (xt.length !== n * P) throw new Error(`denoiser: x_t holds ${xt.length} values, expected ${n} images of ${P} pixels; the checkpoint was trained for ${this.config.imageSize}x${this.config.imageSize} images`);
    const cond = new Float32Array(n * COND);
    for (let r = 0; r < n; r++) {
      checkDigit(labels[r]);
      timeEmbedding(ts[r], cond, r * COND);
      cond[r * COND + TIME_DIM + labels[r]] = 1;
    }
    const c = Tensor.from(cond, [n, COND]);
    let h = Tensor.from(xt, [n, P]);
    this.layers.forEach(({ W, U, b }, l) => {
      const a = silu(add(linear(h, W, b), linear(c, U)));
      h = l === 0 ? a : add(h, a);
    });
    return linear(h, this.out.W, this.out.b);
  }
}
