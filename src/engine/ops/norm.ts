/** RMSNorm over the last dimension (Llama/Qwen): y = x / sqrt(mean(x^2) + eps) * w. */
import { kernels } from '../kernels/index.ts';
import { acquire } from '../pool.ts';
import { record, shapeStr, Tensor } from '../tensor.ts';
import { fail, rowsCols } from './util.ts';

/**
 * x [..., C], w [D] where C is D or a multiple of D: each group of D values is normalised on
 * its own. The multiple serves Qwen3's per-head q/k norm on a [rows, H * Dh] tensor, w [Dh].
 */
export function rmsnorm(x: Tensor, w: Tensor, eps: number): Tensor {
  const [rows, C] = rowsCols('rmsnorm', x);
  const D = w.shape[0];
  if (w.shape.length !== 1 || D === 0 || C % D !== 0) fail('rmsnorm', `x is ${shapeStr(x.shape)} but weight ${w.describe()} must be [${C}] or [a divisor of ${C}]`);
  const R = (rows * C) / D;
  const out = Tensor.empty(x.shape);
  const rstd = acquire(R);
  kernels().rmsnorm(x.data, w.data, R, D, eps, out.data, rstd);
  return record(
    out,
    [x, w],
    (g) => {
      // The kernel always accumulates dw; dx is overwritten on its first contribution.
      const dw = w.requiresGrad ? w.zeroedGrad() : new Float32Array(D);
      if (x.requiresGrad) {
        const acc = x.beginGrad();
        kernels().rmsnormBackward(x.data, w.data, rstd, g, R, D, x.gradBuf, dw, acc);
      } else kernels().rmsnormBackward(x.data, w.data, rstd, g, R, D, new Float32Array(R * D), dw, false);
    },
    [rstd],
  );
}
