/**
 * Working with a model's named parameters: weight-decay groups and gradient-norm clipping.
 */
import { kernels } from '../engine/kernels/index.ts';
import type { Tensor } from '../engine/tensor.ts';

/**
 * Norm weights, biases and embeddings are not decayed (the usual GPT/Llama recipe); every
 * other matrix is, including an untied lm_head.
 */
export function isNoDecay(name: string, t?: Tensor): boolean {
  return /norm\.weight$|\.bias$|embed_tokens/.test(name) || (t !== undefined && t.shape.length < 2);
}

export function paramGroups(params: Map<string, Tensor>): { decay: string[]; noDecay: string[] } {
  const decay: string[] = [], noDecay: string[] = [];
  for (const [name, t] of params) (isNoDecay(name, t) ? noDecay : decay).push(name);
  return { decay, noDecay };
}

export interface ClipResult {
  /** Global L2 norm of all gradients before clipping (NaN/Infinity when some gradient is not finite). */
  norm: number;
  finite: boolean;
  /** Factor the gradients were multiplied by (1 when under the limit, or when not finite: nothing is touched). */
  scale: number;
}

/**
 * Scale all gradients so that their global L2 norm is at most maxNorm (PyTorch's
 * clip_grad_norm_). A non-finite norm is reported, not fixed: the caller should skip the step.
 */
export function clipGradNorm(params: Iterable<Tensor>, maxNorm: number): ClipResult {
  const k = kernels();
  let ss = 0;
  const withGrad: Float32Array[] = [];
  for (const p of params) {
    const g = p.grad;
    if (!g) continue;
    withGrad.push(g);
    ss += k.sumSquares(g);
  }
  const norm = Math.sqrt(ss);
  if (!Number.isFinite(norm)) return { norm, finite: false, scale: 1 };
  const scale = norm > maxNorm ? maxNorm / (norm + 1e-6) : 1;
  if (scale !== 1) for (const g of withGrad) k.scale(g, scale, g);
  return { norm, finite: true, scale };
}

export function countParams(params: Map<string, Tensor>): number {
  let n = 0;
  for (const t of params.values()) n += t.size;
  return n;
}
