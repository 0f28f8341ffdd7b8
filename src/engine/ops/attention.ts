/**
 * Grouped-query attention over the [B*T, H*Dh] layout that linear layers produce, so no
 * transposes happen around it: causal (query t sees keys 0..t) by default, or bidirectional
 * (every query sees every key of its sequence, as masked-diffusion LMs need). The kernel saves
 * each query's log-sum-exp for the backward.
 *
 * Bidirectional needs no kernel of its own: the kernels let query i see keys
 * [kvStart, min(qOffset + i + 1, kvLen)), so with qOffset = T - 1 every row's window is the
 * whole sequence, forward and backward alike.
 */
import { kernels } from '../kernels/index.ts';
import { acquire } from '../pool.ts';
import { record, shapeStr, Tensor } from '../tensor.ts';
import { fail } from './util.ts';

export interface AttentionShape {
  B: number;
  T: number;
  Hq: number;
  Hkv: number;
  Dh: number;
  /** Default 1 / sqrt(Dh). */
  scale?: number;
  /** Default true (query t sees keys 0..t); false: every query sees all T keys. */
  causal?: boolean;
}

/** q [B*T, Hq*Dh], k and v [B*T, Hkv*Dh] -> [B*T, Hq*Dh]; query t sees keys 0..t of its own sequence (all of them if !causal). */
export function attention(q: Tensor, k: Tensor, v: Tensor, s: AttentionShape): Tensor {
  const { B, T, Hq, Hkv, Dh } = s;
  if (Hq % Hkv !== 0) fail('attention', `query heads ${Hq} must be a multiple of key/value heads ${Hkv}`);
  if (q.size !== B * T * Hq * Dh) fail('attention', `q is ${shapeStr(q.shape)} but B ${B} x T ${T} x Hq ${Hq} x Dh ${Dh} = ${B * T * Hq * Dh} elements`);
  for (const [name, t] of [['k', k], ['v', v]] as const)
    if (t.size !== B * T * Hkv * Dh) fail('attention', `${name} is ${shapeStr(t.shape)} but B ${B} x T ${T} x Hkv ${Hkv} x Dh ${Dh} = ${B * T * Hkv * Dh} elements`);
  const scale = s.scale ?? 1 / Math.sqrt(Dh);
  const out = Tensor.empty(q.shape);
  const lse = acquire(B * Hq * T);
  const qOffset = s.causal === false ? Math.max(0, T - 1) : 0;
  const args = { q: q.data, k: k.data, v: v.data, out: out.data, lse, B, Tq: T, S: T, kvLen: T, qOffset, Hq, Hkv, Dh, scale };
  kernels().attention(args);
  return record(
    out,
    [q, k, v],
    (g) => {
      // The kernel accumulates into dq, dk, dv; gradients that nobody needs go to scratch.
      const dq = q.requiresGrad ? q.zeroedGrad() : new Float32Array(q.size);
      const dk = k.requiresGrad ? k.zeroedGrad() : new Float32Array(k.size);
      const dv = v.requiresGrad ? v.zeroedGrad() : new Float32Array(v.size);
      kernels().attentionBackward({ ...args, q: q.data, k: k.data, v: v.data, out: out.data, dOut: g, dq, dk, dv });
    },
    [lse],
  );
}
