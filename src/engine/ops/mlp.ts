/**
 * The Llama MLP, down(silu(gate(h)) * up(h)), as one op. Same maths as composing linear,
 * swiglu and linear; fused because:
 * - when the gate and up weights are adjacent in memory (the Transformer packs them as one
 *   [2I, d] buffer; the Hugging Face-named tensors are views into it), the two input
 *   projections are ONE GEMM forward and one per gradient backward, with K = 2I for dh
 *   (no beta = 1 re-read of dh);
 * - the hidden activations are kept transposed, [I, N]: GU^T = Wgu h^T puts gate^T and up^T
 *   in two contiguous blocks that the elementwise SwiGLU kernels read directly. Every GEMM
 *   takes its operands as stored, through transA/transB.
 * Without adjacency (weights loaded separately) it runs the two projections as two GEMMs.
 */
import { kernels } from '../kernels/index.ts';
import { acquire, release } from '../pool.ts';
import { record, shapeStr, Tensor } from '../tensor.ts';
import { fail } from './util.ts';

/** b starts right where a ends, in the same memory. */
function adjacent(a: Float32Array, b: Float32Array): boolean {
  return a.buffer === b.buffer && b.byteOffset === a.byteOffset + a.byteLength;
}

function joined(a: Float32Array, b: Float32Array): Float32Array {
  return new Float32Array(a.buffer, a.byteOffset, a.length + b.length);
}

/** h [..., d]; gate, up [I, d]; down [d, I] -> [..., d]. */
export function swigluMlp(h: Tensor, gate: Tensor, up: Tensor, down: Tensor): Tensor {
  const r = h.shape.length;
  const d = h.shape[r - 1];
  if (gate.shape.length !== 2 || gate.shape[1] !== d) fail('swigluMlp', `h is ${shapeStr(h.shape)} but gate ${gate.describe()} must be [I, ${d}]`);
  const I = gate.shape[0];
  if (up.shape[0] !== I || up.shape[1] !== d || up.shape.length !== 2) fail('swigluMlp', `up ${up.describe()} must be [${I}, ${d}] like gate`);
  if (down.shape.length !== 2 || down.shape[0] !== d || down.shape[1] !== I) fail('swigluMlp', `down ${down.describe()} must be [${d}, ${I}]`);
  const N = h.size / d, IN = I * N;
  const k = kernels();
  // gu = [gate^T; up^T], [2I, N].
  const gu = acquire(2 * IN);
  const packedW = adjacent(gate.data, up.data);
  if (packedW) k.sgemm({ transA: false, transB: true, M: 2 * I, N, K: d, a: joined(gate.data, up.data), b: h.data, c: gu });
  else {
    k.sgemm({ transA: false, transB: true, M: I, N, K: d, a: gate.data, b: h.data, c: gu.subarray(0, IN) });
    k.sgemm({ transA: false, transB: true, M: I, N, K: d, a: up.data, b: h.data, c: gu.subarray(IN) });
  }
  const sT = acquire(IN); // silu(gate) * up, transposed [I, N]
  k.swiglu(gu.subarray(0, IN), gu.subarray(IN), sT);
  const out = Tensor.empty([...h.shape.slice(0, r - 1), d]);
  k.sgemm({ transA: true, transB: true, M: N, N: d, K: I, a: sT, b: down.data, c: out.data });

  return record(
    out,
    [h, gate, up, down],
    (g) => {
      const k = kernels();
      if (down.requiresGrad) {
        const beta = down.beginGrad() ? 1 : 0;
        k.sgemm({ transA: true, transB: true, M: d, N: I, K: N, a: g, b: sT, c: down.gradBuf, beta });
      }
      if (!h.requiresGrad && !gate.requiresGrad && !up.requiresGrad) return;
      const dsT = acquire(IN);
      k.sgemm({ transA: true, transB: true, M: I, N, K: d, a: down.data, b: g, c: dsT });
      const dgu = acquire(2 * IN);
      k.swigluBackward(gu.subarray(0, IN), gu.subarray(IN), dsT, dgu.subarray(0, IN), dgu.subarray(IN), false);
      release(dsT);
      if (h.requiresGrad) {
        const beta = h.beginGrad() ? 1 : 0;
        if (packedW) k.sgemm({ transA: true, transB: false, M: N, N: d, K: 2 * I, a: dgu, b: joined(gate.data, up.data), c: h.gradBuf, beta });
        else {
          k.sgemm({ transA: true, transB: false, M: N, N: d, K: I, a: dgu.subarray(0, IN), b: gate.data, c: h.gradBuf, beta });
          k.sgemm({ transA: true, transB: false, M: N, N: d, K: I, a: dgu.subarray(IN), b: up.data, c: h.gradBuf, beta: 1 });
        }
      }
      const gAcc = gate.requiresGrad ? gate.beginGrad() : null;
      const uAcc = up.requiresGrad ? up.beginGrad() : null;
      if (gAcc !== null && gAcc === uAcc && adjacent(gate.gradBuf, up.gradBuf))
        k.sgemm({ transA: false, transB: false, M: 2 * I, N: d, K: N, a: dgu, b: h.data, c: joined(gate.gradBuf, up.gradBuf), beta: gAcc ? 1 : 0 });
      else {
        if (gAcc !== null) k.sgemm({ transA: false, transB: false, M: I, N: d, K: N, a: dgu.subarray(0, IN), b: h.data, c: gate.gradBuf, beta: gAcc ? 1 : 0 });
        if (uAcc !== null) k.sgemm({ transA: false, transB: false, M: I, N: d, K: N, a: dgu.subarray(IN), b: h.data, c: up.gradBuf, beta: uAcc ? 1 : 0 });
      }
      release(dgu);
    },
    [gu, sT],
  );
}
