/** Reductions to a scalar (shape []). */
import { record, Tensor } from '../tensor.ts';

export function sum(x: Tensor): Tensor {
  let s = 0;
  const d = x.data;
  for (let i = 0; i < d.length; i++) s += d[i];
  const out = Tensor.empty([]);
  out.data[0] = s;
  return record(out, [x], (g) => {
    const acc = x.beginGrad();
    const buf = x.gradBuf, v = g[0];
    if (acc) for (let i = 0; i < buf.length; i++) buf[i] += v;
    else buf.fill(v);
  });
}

export function mean(x: Tensor): Tensor {
  let s = 0;
  const d = x.data;
  for (let i = 0; i < d.length; i++) s += d[i];
  const n = x.size;
  const out = Tensor.empty([]);
  out.data[0] = s / n;
  return record(out, [x], (g) => {
    const acc = x.beginGrad();
    const buf = x.gradBuf, v = g[0] / n;
    if (acc) for (let i = 0; i < buf.length; i++) buf[i] += v;
    else buf.fill(v);
  });
}
