/** softmax and logSoftmax over the last dimension; backward uses the saved output. */
import { kernels } from '../kernels/index.ts';
import { record, Tensor } from '../tensor.ts';
import { rowsCols } from './util.ts';

export function softmax(x: Tensor): Tensor {
  const [R, D] = rowsCols('softmax', x);
  const out = Tensor.empty(x.shape);
  kernels().softmax(x.data, R, D, out.data);
  return record(out, [x], (g) => {
    const acc = x.beginGrad();
    kernels().softmaxBackward(out.data, g, R, D, x.gradBuf, acc);
  });
}

export function logSoftmax(x: Tensor): Tensor {
  const [R, D] = rowsCols('logSoftmax', x);
  const out = Tensor.empty(x.shape);
  kernels().logSoftmax(x.data, R, D, out.data);
  return record(out, [x], (g) => {
    const acc = x.beginGrad();
    kernels().logSoftmaxBackward(out.data, g, R, D, x.gradBuf, acc);
  });
}
