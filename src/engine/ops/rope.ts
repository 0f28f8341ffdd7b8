/** Rotary position embedding (Hugging Face rotate_half). Its backward is the inverse rotation. */
import { kernels } from '../kernels/index.ts';
import { acquire, release } from '../pool.ts';
import { record, shapeStr, Tensor } from '../tensor.ts';
import { fail } from './util.ts';

/**
 * x [rows, H * Dh] (or [rows, H, Dh]); positions[row] is each row's absolute position.
 */
export function rope(x: Tensor, H: number, Dh: number, positions: Int32Array, theta: number): Tensor {
  if (Dh % 2 !== 0) fail('rope', `head dimension ${Dh} must be even`);
  const rows = x.size / (H * Dh);
  if (!Number.isInteger(rows) || x.shape[0] !== rows) fail('rope', `x is ${shapeStr(x.shape)}, not [rows, ${H} heads x ${Dh}]`);
  if (positions.length !== rows) fail('rope', `positions has ${positions.length} entries but x has ${rows} rows`);
  const out = Tensor.empty(x.shape);
  kernels().rope(x.data, rows, H, Dh, positions, theta, false, out.data);
  return record(out, [x], (g) => {
    if (!x.requiresGrad) return;
    const k = kernels();
    if (!x.beginGrad()) k.rope(g, rows, H, Dh, positions, theta, true, x.gradBuf);
    else {
      const t = acquire(g.length);
      k.rope(g, rows, H, Dh, positions, theta, true, t);
      k.axpy(1, t, x.gradBuf);
      release(t);
    }
  });
}
