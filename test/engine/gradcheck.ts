/**
 * Test helpers: a central-difference gradient check, random tensors, and comparisons.
 * The check is over L = sum(f(inputs) * R) for a fixed random R, so every output element
 * contributes; analytic gradients come from f(...).backward(R).
 */
import { Tensor, noGrad } from '../../src/engine/index.ts';
import { Rng } from '../../src/util/rng.ts';

export function randn(rng: Rng, shape: number[], opts: { scale?: number; requiresGrad?: boolean; name?: string } = {}): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const d = new Float32Array(n);
  for (let i = 0; i < n; i++) d[i] = rng.normal() * (opts.scale ?? 1);
  return Tensor.from(d, shape, { requiresGrad: opts.requiresGrad ?? true, name: opts.name });
}

export function randIds(rng: Rng, n: number, limit: number): Int32Array {
  const ids = new Int32Array(n);
  for (let i = 0; i < n; i++) ids[i] = rng.int(limit);
  return ids;
}

export interface GradCheckResult {
  checked: number;
  worst: { input: number; index: number; analytic: number; numeric: number; err: number } | null;
  failures: number;
}

/**
 * Compare analytic and numeric gradients of every input that requires grad, at up to
 * `maxPerInput` positions each (spread evenly). A position fails when
 * |analytic - numeric| > atol + rtol * max(|analytic|, |numeric|).
 */
export function gradcheck(
  f: (...xs: Tensor[]) => Tensor,
  inputs: Tensor[],
  opts: { eps?: number; rtol?: number; atol?: number; maxPerInput?: number; seed?: number } = {},
): GradCheckResult {
  const eps = opts.eps ?? 1e-2, rtol = opts.rtol ?? 1e-2, atol = opts.atol ?? 2e-3, maxPer = opts.maxPerInput ?? 24;
  const rng = new Rng(opts.seed ?? 123);
  const out0 = f(...inputs);
  const R = new Float32Array(out0.size);
  for (let i = 0; i < R.length; i++) R[i] = rng.normal();
  for (const x of inputs) x.zeroGrad();
  out0.backward(R);
  const analytic = inputs.map((x) => (x.requiresGrad ? Float32Array.from(x.grad ?? new Float32Array(x.size)) : null));
  const L = (): number =>
    noGrad(() => {
      const y = f(...inputs).data;
      let s = 0;
      for (let i = 0; i < y.length; i++) s += y[i] * R[i];
      return s;
    });
  const res: GradCheckResult = { checked: 0, worst: null, failures: 0 };
  inputs.forEach((x, xi) => {
    const a = analytic[xi];
    if (!a) return;
    const step = Math.max(1, Math.floor(x.size / maxPer));
    for (let i = 0; i < x.size; i += step) {
      const orig = x.data[i];
      x.data[i] = orig + eps;
      const lp = L();
      x.data[i] = orig - eps;
      const lm = L();
      x.data[i] = orig;
      const num = (lp - lm) / (2 * eps);
      const err = Math.abs(a[i] - num);
      const tol = atol + rtol * Math.max(Math.abs(a[i]), Math.abs(num));
      res.checked++;
      if (err > tol) res.failures++;
      if (!res.worst || err / tol > res.worst.err) res.worst = { input: xi, index: i, analytic: a[i], numeric: num, err: err / tol };
    }
  });
  return res;
}

export function assertGrad(f: (...xs: Tensor[]) => Tensor, inputs: Tensor[], opts?: Parameters<typeof gradcheck>[2]): void {
  const r = gradcheck(f, inputs, opts);
  if (r.checked === 0) throw new Error('gradcheck checked nothing');
  if (r.failures > 0) throw new Error(`gradcheck: ${r.failures}/${r.checked} positions disagree; worst ${JSON.stringify(r.worst)}`);
}

/** Max |a - b| / (atol + rtol |b|) <= 1, with a readable message. */
export function assertClose(a: ArrayLike<number>, b: ArrayLike<number>, rtol = 1e-5, atol = 1e-5, what = 'values'): void {
  if (a.length !== b.length) throw new Error(`${what}: lengths ${a.length} and ${b.length} differ`);
  for (let i = 0; i < a.length; i++) {
    const err = Math.abs(a[i] - b[i]);
    if (!(err <= atol + rtol * Math.abs(b[i]))) throw new Error(`${what}[${i}]: got ${a[i]}, want ${b[i]} (|diff| ${err})`);
  }
}
