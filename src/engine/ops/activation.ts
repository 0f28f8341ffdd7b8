/** Activations: SiLU, and SwiGLU's silu(gate) * up fused into one pass each way. */
import { kernels } from '../kernels/index.ts';
import { record, Tensor } from '../tensor.ts';
import { sameShape } from './util.ts';

export function silu(x: Tensor): Tensor {
  const out = Tensor.empty(x.shape);
  kernels().silu(x.data, out.data);
  return record(out, [x], (g) => {
    const acc = x.beginGrad();
    kernels().siluBackward(x.data, g, x.gradBuf, acc);
  });
}

/** silu(gate) * up, the Llama MLP's gating. */
export function swiglu(gate: Tensor, up: Tensor): Tensor {
  sameShape('swiglu', gate, up);
  const out = Tensor.empty(gate.shape);
  kernels().swiglu(gate.data, up.data, out.data);
  return record(out, [gate, up], (g) => {
    // One kernel writes both gradients; when only one side needs it, the other goes to scratch.
    const gAcc = gate.requiresGrad ? gate.beginGrad() : false;
    const uAcc = up.requiresGrad ? up.beginGrad() : false;
    const dg = gate.requiresGrad ? gate.gradBuf : new Float32Array(g.length);
    const du = up.requiresGrad ? up.gradBuf : new Float32Array(g.length);
    if (gAcc === uAcc) kernels().swigluBackward(gate.data, up.data, g, dg, du, gAcc);
    else {
      // Rare: one gradient is fresh, the other accumulates. Zero the fresh one and accumulate both.
      (gAcc ? du : dg).fill(0);
      kernels().swigluBackward(gate.data, up.data, g, dg, du, true);
    }
  });
}
