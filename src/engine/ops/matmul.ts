/**
 * Matrix products. Transposes are never materialised: both passes hand sgemm the stored
 * buffers with transA/transB, so a linear layer is three GEMMs per step and nothing else.
 */
import { kernels } from '../kernels/index.ts';
import { record, shapeStr, Tensor } from '../tensor.ts';
import { fail } from './util.ts';

/**
 * op(a) @ op(b), where op transposes the last two dimensions when asked. a is [..., M, K]
 * ([..., K, M] with transA); b is [..., K, N] ([..., N, K] with transB) with the same leading
 * (batch) dimensions, or 2-D and shared by every batch item (then a must not be transposed).
 */
export function matmul(a: Tensor, b: Tensor, opts: { transA?: boolean; transB?: boolean } = {}): Tensor {
  const transA = opts.transA ?? false, transB = opts.transB ?? false;
  if (a.shape.length < 2 || b.shape.length < 2) fail('matmul', `a is ${shapeStr(a.shape)} and b is ${shapeStr(b.shape)}: both need at least 2 dimensions`);
  const ra = a.shape.length, rb = b.shape.length;
  const M = transA ? a.shape[ra - 1] : a.shape[ra - 2];
  const Ka = transA ? a.shape[ra - 2] : a.shape[ra - 1];
  const Kb = transB ? b.shape[rb - 1] : b.shape[rb - 2];
  const N = transB ? b.shape[rb - 2] : b.shape[rb - 1];
  if (Ka !== Kb) fail('matmul', `a is ${shapeStr(a.shape)} but b is ${shapeStr(b.shape)}${transA || transB ? ` (transA ${transA}, transB ${transB})` : ''}: inner dimensions ${Ka} and ${Kb} differ`);
  const lead = a.shape.slice(0, ra - 2);
  const batch = lead.reduce((x, y) => x * y, 1);
  const shared = rb === 2 && ra > 2;
  if (!shared && (rb !== ra || b.shape.slice(0, rb - 2).some((d, i) => d !== lead[i])))
    fail('matmul', `a is ${shapeStr(a.shape)} but b is ${shapeStr(b.shape)}: batch dimensions differ`);
  if (shared && transA) fail('matmul', 'a transposed with a shared 2-D b is not supported; reshape a instead');
  const K = Ka;
  const out = Tensor.empty([...lead, M, N]);
  // A shared b with an untransposed a is one big 2-D product: fold the batch into M.
  const [bt, Mf] = shared ? [1, batch * M] : [batch, M];
  kernels().sgemm({ transA, transB, M: Mf, N, K, a: a.data, b: b.data, c: out.data, batch: bt });
  return record(out, [a, b], (g) => {
    const k = kernels();
    if (a.requiresGrad) {
      const beta = a.beginGrad() ? 1 : 0;
      if (!transA) k.sgemm({ transA: false, transB: !transB, M: Mf, N: K, K: N, a: g, b: b.data, c: a.gradBuf, beta, batch: bt, strideB: shared ? 0 : K * N });
      else k.sgemm({ transA: transB, transB: true, M: K, N: M, K: N, a: b.data, b: g, c: a.gradBuf, beta, batch: bt });
    }
    if (b.requiresGrad) {
      const beta = b.beginGrad() ? 1 : 0;
      if (!transB) k.sgemm({ transA: !transA, transB: false, M: K, N, K: Mf, a: a.data, b: g, c: b.gradBuf, beta, batch: bt });
      else k.sgemm({ transA: true, transB: transA, M: N, N: K, K: Mf, a: g, b: a.data, c: b.gradBuf, beta, batch: bt });
    }
  });
}

/**
 * y = x @ W^T + b, PyTorch's nn.Linear with W stored [out, in] (Hugging Face layout).
 * x is [..., in]; y is [..., out].
 */
export function linear(x: Tensor, W: Tensor, bias?: Tensor | null): Tensor {
  if (W.shape.length !== 2) fail('linear', `weight ${W.describe()} must be 2-D [out, in]`);
  const [O, I] = W.shape;
  const r = x.shape.length;
  if (r < 1 || x.shape[r - 1] !== I) fail('linear', `x is ${shapeStr(x.shape)} but weight ${W.describe()} expects ${I} input features`);
  if (bias && (bias.shape.length !== 1 || bias.shape[0] !== O)) fail('linear', `bias ${bias.describe()} must be [${O}]`);
  const N = x.size / I;
  const out = Tensor.empty([...x.shape.slice(0, r - 1), O]);
  const k = kernels();
  let beta = 0;
  if (bias) {
    // Start from the broadcast bias and let the GEMM add into it (beta = 1): no extra pass.
    const o = out.data, bd = bias.data;
    for (let n = 0; n < N; n++) o.set(bd, n * O);
    beta = 1;
  }
  k.sgemm({ transA: false, transB: true, M: N, N: O, K: I, a: x.data, b: W.data, c: out.data, beta });
  return record(out, bias ? [x, W, bias] : [x, W], (g) => {
    const k = kernels();
    if (x.requiresGrad) {
      const beta = x.beginGrad() ? 1 : 0;
      k.sgemm({ transA: false, transB: false, M: N, N: I, K: O, a: g, b: W.data, c: x.gradBuf, beta });
    }
    if (W.requiresGrad) {
      const beta = W.beginGrad() ? 1 : 0;
      k.sgemm({ transA: true, transB: false, M: O, N: I, K: N, a: g, b: x.data, c: W.gradBuf, beta });
    }
    if (bias && bias.requiresGrad) {
      const acc = bias.beginGrad();
      k.sumRows(g, N, O, bias.gradBuf, acc);
    }
  });
}
