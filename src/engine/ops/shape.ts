/** Shape changes. A reshape is a view: it shares the buffer, only the gradient is copied back. */
import { record, shapeStr, sizeOf, Tensor } from '../tensor.ts';
import { fail, gradAdd } from './util.ts';

/** Same data, another shape; one dimension may be -1 (inferred). */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const s = [...shape];
  const free = s.indexOf(-1);
  if (free >= 0) {
    const rest = s.reduce((p, d, i) => (i === free ? p : p * d), 1);
    if (rest === 0 || x.size % rest !== 0) fail('reshape', `cannot infer -1 in ${shapeStr(shape)} for ${x.size} elements`);
    s[free] = x.size / rest;
  }
  if (sizeOf(s) !== x.size) fail('reshape', `x is ${shapeStr(x.shape)} (${x.size} elements) but the new shape ${shapeStr(shape)} has ${sizeOf(s)}`);
  return record(Tensor.view(x, s), [x], (g) => gradAdd(x, g));
}

export const view = reshape;
