/** Shape changes and row selection. A reshape is a view: it shares the buffer, only the gradient is copied back. */
import { record, shapeStr, sizeOf, Tensor } from '../tensor.ts';
import { checkIds, fail, gradAdd } from './util.ts';

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

/** x [R, C] -> [rows.length, C], out[i] = x[rows[i]] (repeats allowed); backward scatters back. */
export function gatherRows(x: Tensor, rows: Int32Array): Tensor {
  if (x.shape.length !== 2) fail('gatherRows', `x is ${shapeStr(x.shape)}; it must be 2-D [rows, columns]`);
  const [R, C] = x.shape;
  checkIds('gatherRows', rows, R, 'rows');
  const out = Tensor.empty([rows.length, C]);
  const xd = x.data, o = out.data;
  for (let i = 0; i < rows.length; i++) o.set(xd.subarray(rows[i] * C, rows[i] * C + C), i * C);
  return record(out, [x], (g) => {
    const dx = x.zeroedGrad();
    for (let i = 0; i < rows.length; i++) {
      const src = i * C, dst = rows[i] * C;
      for (let j = 0; j < C; j++) dx[dst + j] += g[src + j];
    }
  });
}
