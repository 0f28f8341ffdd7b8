/**
 * Random network distillation (docs/rnd.md): a fixed, randomly initialised target network f and a
 * predictor f_hat trained to match it on the observations seen so far. The intrinsic reward of an
 * observation is the predictor's error, mean_j (f(x)_j - f_hat(x)_j)^2 (mean over the output
 * features), large on what the predictor has rarely seen and falling as it is seen again.
 *
 * Observations are whitened by running per-feature statistics (std + 1e-8: a bucket never seen has
 * variance 0) and clipped to [-5, 5]; the
 * rewards are divided by the running std of the intrinsic return R <- gamma R + r (a forward
 * filter per batch slot; gamma = 0: the std of r itself). Running statistics combine batch
 * moments as Chan et al.'s parallel algorithm, starting from mean 0, variance 1, count 1e-4.
 *
 * Everything is float64 and seeded, and the whole state (predictor, its Adam moments, running
 * statistics, filter) round-trips through state()/load() exactly, so a resumed run continues
 * bit-for-bit. The target is rebuilt from its seed.
 */
import { Rng } from '../util/rng.ts';

/** Running mean and (population) variance of a vector, updated from batch moments. */
export class RunningMeanStd {
  mean: Float64Array;
  var: Float64Array;
  count = 1e-4;

  constructor(dim: number) {
    this.mean = new Float64Array(dim);
    this.var = new Float64Array(dim).fill(1);
  }

  /** Adds a batch of rows (each of length dim). */
  update(rows: ArrayLike<number>[]): void {
    const n = rows.length, d = this.mean.length;
    if (!n) return;
    const tot = this.count + n;
    for (let j = 0; j < d; j++) {
      let m = 0;
      for (const r of rows) m += r[j];
      m /= n;
      let v = 0;
      for (const r of rows) v += (r[j] - m) ** 2;
      v /= n;
      const delta = m - this.mean[j];
      const m2 = this.var[j] * this.count + v * n + (delta * delta * this.count * n) / tot;
      this.mean[j] += (delta * n) / tot;
      this.var[j] = m2 / tot;
    }
    this.count = tot;
  }
}

/** A dense layer stack with ReLU between layers: weights [out][in] row-major, then biases. */
export interface Mlp {
  sizes: number[];
  /** Per layer l: W_l of sizes[l+1] x sizes[l], then b_l of sizes[l+1]. */
  params: Float64Array[];
}

export function initMlp(sizes: number[], rng: Rng): Mlp {
  const params: Float64Array[] = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    // He-normal weights (the source uses orthogonal init with gain sqrt 2: same scale), zero biases.
    const scale = Math.sqrt(2 / sizes[l]);
    params.push(Float64Array.from({ length: sizes[l + 1] * sizes[l] }, () => rng.normal() * scale));
    params.push(new Float64Array(sizes[l + 1]));
  }
  return { sizes, params };
}

/** Activations of every layer (post-ReLU for hidden layers, linear output last). */
export function mlpForward(net: Mlp, x: ArrayLike<number>): Float64Array[] {
  const acts: Float64Array[] = [Float64Array.from(x)];
  const L = net.sizes.length - 1;
  for (let l = 0; l < L; l++) {
    const W = net.params[2 * l], b = net.params[2 * l + 1];
    const nin = net.sizes[l], nout = net.sizes[l + 1], h = acts[l];
    const y = new Float64Array(nout);
    for (let o = 0; o < nout; o++) {
      let s = b[o];
      const row = o * nin;
      for (let i = 0; i < nin; i++) s += W[row + i] * h[i];
      y[o] = l < L - 1 && s < 0 ? 0 : s;
    }
    acts.push(y);
  }
  return acts;
}

/** Mean squared difference between two equal-length vectors. */
export function meanSquaredError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let j = 0; j < a.length; j++) s += (a[j] - b[j]) ** 2;
  return s / a.length;
}

/**
 * Gradient of L = mean over rows of meanSquaredError(f_hat(x), target) with respect to the
 * predictor's parameters (same layout as net.params), and L itself.
 */
export function mseGradient(net: Mlp, xs: ArrayLike<number>[], targets: ArrayLike<number>[]): { loss: number; grads: Float64Array[] } {
  const grads = net.params.map((p) => new Float64Array(p.length));
  const L = net.sizes.length - 1, n = xs.length, out = net.sizes[L];
  let loss = 0;
  xs.forEach((x, r) => {
    const acts = mlpForward(net, x);
    loss += meanSquaredError(acts[L], targets[r]) / n;
    let delta = Float64Array.from(acts[L], (y, j) => (2 * (y - targets[r][j])) / (out * n));
    for (let l = L - 1; l >= 0; l--) {
      const W = net.params[2 * l], gW = grads[2 * l], gb = grads[2 * l + 1];
      const nin = net.sizes[l], h = acts[l];
      const prev = new Float64Array(nin);
      for (let o = 0; o < delta.length; o++) {
        const d = delta[o];
        if (d === 0) continue;
        gb[o] += d;
        const row = o * nin;
        for (let i = 0; i < nin; i++) {
          gW[row + i] += d * h[i];
          prev[i] += d * W[row + i];
        }
      }
      // Through the ReLU of the layer below (its output h; the input layer has none).
      if (l > 0) for (let i = 0; i < nin; i++) if (h[i] <= 0) prev[i] = 0;
      delta = prev;
    }
  });
  return { loss, grads };
}

export interface RndOptions {
  inputDim: number;
  hidden: number;
  outputDim: number;
  lr: number;
  /** Predictor updates (full batch) per call of step(). */
  updates: number;
  /** Discount of the intrinsic return whose running std normalises the reward (0: std of r). */
  gamma: number;
  seed: number;
}

export interface RndStepResult {
  /** Raw prediction errors, before normalisation. */
  raw: Float64Array;
  /** raw / running std of the intrinsic return. */
  bonus: Float64Array;
  /** Predictor loss before its updates. */
  loss: number;
}

export class Rnd {
  readonly opts: RndOptions;
  readonly target: Mlp;
  predictor: Mlp;
  obsStats: RunningMeanStd;
  retStats = new RunningMeanStd(1);
  /** Forward filter of the intrinsic return, one per batch slot. */
  filter: number[] = [];
  private m: Float64Array[];
  private v: Float64Array[];
  private t = 0;

  constructor(opts: RndOptions) {
    this.opts = opts;
    const rng = new Rng(opts.seed);
    // The target is one layer shallower than the predictor, as in the source.
    this.target = initMlp([opts.inputDim, opts.hidden, opts.outputDim], rng);
    this.predictor = initMlp([opts.inputDim, opts.hidden, opts.hidden, opts.outputDim], rng);
    this.obsStats = new RunningMeanStd(opts.inputDim);
    this.m = this.predictor.params.map((p) => new Float64Array(p.length));
    this.v = this.predictor.params.map((p) => new Float64Array(p.length));
  }

  /** Whitened, clipped observation. */
  whiten(x: ArrayLike<number>): Float64Array {
    const { mean, var: v } = this.obsStats;
    return Float64Array.from(x, (xi, j) => Math.max(-5, Math.min(5, (xi - mean[j]) / Math.sqrt(v[j] + 1e-8))));
  }

  /** Raw intrinsic rewards of whitened observations (no state change). */
  errors(obs: Float64Array[]): Float64Array {
    return Float64Array.from(obs, (x) => meanSquaredError(mlpForward(this.predictor, x).at(-1)!, mlpForward(this.target, x).at(-1)!));
  }

  /**
   * One step on a batch of raw observations: update the observation statistics, score the
   * batch, normalise by the intrinsic return's running std, then train the predictor on it.
   */
  step(raw: ArrayLike<number>[]): RndStepResult {
    this.obsStats.update(raw);
    const obs = raw.map((x) => this.whiten(x));
    const errs = this.errors(obs);
    const g = this.opts.gamma;
    if (this.filter.length < errs.length) this.filter.push(...new Array(errs.length - this.filter.length).fill(0));
    const returns = Array.from(errs, (r, i) => [(this.filter[i] = g * this.filter[i] + r)]);
    this.retStats.update(returns);
    const std = Math.sqrt(this.retStats.var[0]);
    const bonus = Float64Array.from(errs, (r) => (std > 0 ? r / std : 0));
    const targets = obs.map((x) => mlpForward(this.target, x).at(-1)!);
    let loss = 0;
    for (let u = 0; u < this.opts.updates; u++) {
      const { loss: l, grads } = mseGradient(this.predictor, obs, targets);
      if (u === 0) loss = l;
      this.adam(grads);
    }
    return { raw: errs, bonus, loss };
  }

  private adam(grads: Float64Array[]): void {
    const b1 = 0.9, b2 = 0.999, eps = 1e-8;
    this.t++;
    const c1 = 1 - b1 ** this.t, c2 = 1 - b2 ** this.t;
    this.predictor.params.forEach((p, k) => {
      const g = grads[k], m = this.m[k], v = this.v[k];
      for (let i = 0; i < p.length; i++) {
        m[i] = b1 * m[i] + (1 - b1) * g[i];
        v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
        p[i] -= (this.opts.lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + eps);
      }
    });
  }

  /** Everything that changes as the run goes, as plain JSON (numbers round-trip exactly). */
  state(): RndState {
    return {
      predictor: this.predictor.params.map((p) => Array.from(p)),
      adam: { t: this.t, m: this.m.map((x) => Array.from(x)), v: this.v.map((x) => Array.from(x)) },
      obs: { mean: Array.from(this.obsStats.mean), var: Array.from(this.obsStats.var), count: this.obsStats.count },
      ret: { mean: this.retStats.mean[0], var: this.retStats.var[0], count: this.retStats.count },
      filter: [...this.filter],
    };
  }

  load(s: RndState): void {
    const shapes = this.predictor.params.map((p) => p.length);
    const ok = s && Array.isArray(s.predictor) && s.predictor.length === shapes.length && s.predictor.every((p, k) => p.length === shapes[k]) && s.obs?.mean?.length === this.opts.inputDim;
    if (!ok) throw new Error('rnd: the checkpoint holds RND state of another shape (were rndHidden or the featurisation changed?); resume with the options the run started with');
    this.predictor.params = s.predictor.map((p) => Float64Array.from(p));
    this.t = s.adam.t;
    this.m = s.adam.m.map((x) => Float64Array.from(x));
    this.v = s.adam.v.map((x) => Float64Array.from(x));
    this.obsStats.mean = Float64Array.from(s.obs.mean);
    this.obsStats.var = Float64Array.from(s.obs.var);
    this.obsStats.count = s.obs.count;
    this.retStats.mean[0] = s.ret.mean;
    this.retStats.var[0] = s.ret.var;
    this.retStats.count = s.ret.count;
    this.filter = [...s.filter];
  }
}

export interface RndState {
  predictor: number[][];
  adam: { t: number; m: number[][]; v: number[][] };
  obs: { mean: number[]; var: number[]; count: number };
  ret: { mean: number; var: number; count: number };
  filter: number[];
}
