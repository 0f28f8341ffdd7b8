/** Small helpers shared by the ops: shape checks with readable errors, and gradient plumbing. */
import { kernels } from '../kernels/index.ts';
import { shapeStr, type Tensor } from '../tensor.ts';

export function fail(op: string, msg: string): never {
  throw new Error(`${op}: ${msg}`);
}

export function sameShape(op: string, a: Tensor, b: Tensor): void {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i]))
    fail(op, `a is ${shapeStr(a.shape)} but b is ${shapeStr(b.shape)}: shapes must be equal`);
}

/** Last dimension, and the product of the others (rows), of a tensor of rank >= 1. */
export function rowsCols(op: string, t: Tensor, what = 'x'): [number, number] {
  if (t.shape.length < 1) fail(op, `${what} is a scalar; it needs at least one dimension`);
  const C = t.shape[t.shape.length - 1];
  return [C === 0 ? 0 : t.size / C, C];
}

/** t.grad (+)= src: overwrite on the first contribution, add afterwards. */
export function gradAdd(t: Tensor, src: Float32Array): void {
  const acc = t.beginGrad();
  if (acc) kernels().axpy(1, src, t.gradBuf);
  else kernels().copy(src, t.gradBuf);
}

/** t.grad (+)= s * src. */
export function gradAddScaled(t: Tensor, s: number, src: Float32Array): void {
  const acc = t.beginGrad();
  if (acc) kernels().axpy(s, src, t.gradBuf);
  else kernels().scale(src, s, t.gradBuf);
}

export function checkIds(op: string, ids: Int32Array, limit: number, what: string): void {
  for (let i = 0; i < ids.length; i++)
    if (!(ids[i] >= 0 && ids[i] < limit)) fail(op, `${what}[${i}] = ${ids[i]} is outside [0, ${limit})`);
}
