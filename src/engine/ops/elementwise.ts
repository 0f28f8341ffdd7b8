/**
 * Elementwise arithmetic. Broadcasting is what the model needs and no more: equal shapes, or
 * (for add/sub) b a vector over a's last dimension, e.g. a bias.
 */
import { kernels } from '../kernels/index.ts';
import { acquire, release } from '../pool.ts';
import { record, shapeStr, Tensor } from '../tensor.ts';
import { fail, gradAdd, gradAddScaled, rowsCols, sameShape } from './util.ts';

function isRowVector(a: Tensor, b: Tensor): boolean {
  return b.shape.length === 1 && a.shape.length >= 1 && a.shape[a.shape.length - 1] === b.shape[0] && a.shape.length > 1;
}

function addOrSub(op: 'add' | 'sub', a: Tensor, b: Tensor): Tensor {
  const sign = op === 'add' ? 1 : -1;
  const k = kernels();
  const out = Tensor.empty(a.shape);
  if (isRowVector(a, b)) {
    const [R, C] = rowsCols(op, a, 'a');
    if (sign === 1) k.addRowVector(a.data, b.data, R, C, out.data);
    else {
      const nb = acquire(C);
      k.scale(b.data, -1, nb);
      k.addRowVector(a.data, nb, R, C, out.data);
      release(nb);
    }
    return record(out, [a, b], (g) => {
      if (a.requiresGrad) gradAdd(a, g);
      if (b.requiresGrad) {
        if (sign === 1) {
          const acc = b.beginGrad();
          kernels().sumRows(g, R, C, b.gradBuf, acc);
        } else {
          const t = acquire(C);
          kernels().sumRows(g, R, C, t, false);
          gradAddScaled(b, -1, t);
          release(t);
        }
      }
    });
  }
  if (a.size !== b.size) fail(op, `a is ${shapeStr(a.shape)} but b is ${shapeStr(b.shape)}: shapes must be equal, or b a vector over a's last dimension`);
  sameShape(op, a, b);
  if (sign === 1) k.add(a.data, b.data, out.data);
  else k.sub(a.data, b.data, out.data);
  return record(out, [a, b], (g) => {
    if (b.requiresGrad) gradAddScaled(b, sign, g);
    // out's gradient is not needed after this: a (e.g. the residual stream) can take it over.
    if (a.requiresGrad && !a.takeGradOf(out)) gradAdd(a, g);
  });
}

/** a + b (b: same shape, or a vector over a's last dimension). */
export function add(a: Tensor, b: Tensor): Tensor {
  return addOrSub('add', a, b);
}

/** a - b (b: same shape, or a vector over a's last dimension). */
export function sub(a: Tensor, b: Tensor): Tensor {
  return addOrSub('sub', a, b);
}

/** a * b, same shapes. */
export function mul(a: Tensor, b: Tensor): Tensor {
  sameShape('mul', a, b);
  const out = Tensor.empty(a.shape);
  kernels().mul(a.data, b.data, out.data);
  return record(out, [a, b], (g) => {
    const k = kernels();
    for (const [x, other] of [[a, b], [b, a]] as const) {
      if (!x.requiresGrad) continue;
      if (!x.beginGrad()) k.mul(g, other.data, x.gradBuf);
      else {
        const t = acquire(g.length);
        k.mul(g, other.data, t);
        k.axpy(1, t, x.gradBuf);
        release(t);
      }
    }
  });
}

/** a * s for a constant number s. */
export function scale(a: Tensor, s: number): Tensor {
  const out = Tensor.empty(a.shape);
  kernels().scale(a.data, s, out.data);
  return record(out, [a], (g) => gradAddScaled(a, s, g));
}
