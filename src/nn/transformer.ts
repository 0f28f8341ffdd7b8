/**
 * A decoder-only transformer driven by a ModelConfig: Llama, Qwen2 (q/k/v biases), Qwen3
 * (RMSNorm over each q and k head before RoPE), with grouped-query attention, RoPE, SwiGLU,
 * RMSNorm, and tied or untied embeddings. Pre-norm residual blocks:
 *
 *   x = embed(ids)                 (attention is causal unless forward() is told otherwise)
 *   for each layer:
 *     h = rmsnorm(x);  x = x + o_proj(attention(rope(q_proj(h)), rope(k_proj(h)), v_proj(h)))
 *     h = rmsnorm(x);  x = x + down_proj(silu(gate_proj(h)) * up_proj(h))
 *   logits = lm_head(rmsnorm(x))        (lm_head is embed_tokens when tied)
 *
 * Activations are [B*T, features] row-major throughout, the layout attention and the linear
 * layers share, so the forward is a list of kernel calls with no transposes or copies (the
 * fused MLP op keeps its hidden activations transposed inside, see engine/ops/mlp.ts).
 *
 * For inference code (a fused KV-cache decode) everything is plain data:
 * - `model.config` — the architecture; `model.layers[i]` — that layer's parameter tensors by
 *   role (`.data` is the Float32Array, linear weights [out, in] as in Hugging Face);
 *   `model.embed`, `model.finalNorm`, `model.lmHead` (=== embed when tied).
 * - `model.params` — the same tensors keyed by Hugging Face name. To load weights, copy into
 *   them with `model.load(name, data)` (never replace the Map's entries: `layers` holds them too).
 *   All values live in one buffer, `model.weights` (checkpoint order), each tensor a view of it.
 * - RoPE: kernels().rope(x, rows, H, Dh, positions, config.ropeTheta, false, out) on [rows, H*Dh];
 *   attention: kernels().attention with q [B, Tq, Hq, Dh], k/v [B, S, Hkv, Dh] (the cache), qOffset.
 */
import { attention } from '../engine/ops/attention.ts';
import { add } from '../engine/ops/elementwise.ts';
import { embedding } from '../engine/ops/embedding.ts';
import { linear } from '../engine/ops/matmul.ts';
import { rmsnorm } from '../engine/ops/norm.ts';
import { rope } from '../engine/ops/rope.ts';
import { gatherRows } from '../engine/ops/shape.ts';
import { swigluMlp } from '../engine/ops/mlp.ts';
import { swiglu } from '../engine/ops/activation.ts';
import { checkIds } from '../engine/ops/util.ts';
import { Tensor } from '../engine/tensor.ts';
import type { Rng } from '../util/rng.ts';
import type { ModelConfig } from './config.ts';

/** One decoder layer's parameters, by role. Optional ones exist only for the architectures that have them. */
export interface LayerParams {
  inputNorm: Tensor;
  q: Tensor;
  k: Tensor;
  v: Tensor;
  o: Tensor;
  qBias?: Tensor; // Qwen2
  kBias?: Tensor;
  vBias?: Tensor;
  qNorm?: Tensor; // Qwen3, [headDim]
  kNorm?: Tensor;
  postNorm: Tensor;
  gate: Tensor;
  up: Tensor;
  down: Tensor;
}

/**
 * Set by nn/lora.ts while LoRA adapters are attached: the linear for the seven projections,
 * given the base weight; `adapts(W)` says whether it changes that weight's output (an adapted
 * MLP runs unfused).
 */
export interface ProjectionHook {
  adapts: (W: Tensor) => boolean;
  linear: (x: Tensor, W: Tensor, bias?: Tensor) => Tensor;
}

export interface ForwardOptions {
  /** Absolute position of each of the B*T tokens (default 0..T-1 in every sequence). */
  positions?: Int32Array;
  /**
   * Only these rows (indices into the B*T tokens) get logits: the lm_head GEMM and the logits
   * memory then scale with the trained positions, not with prompts. Default: every row.
   */
  outputRows?: Int32Array;
  /** Default true. false: bidirectional attention (every token sees the whole sequence), for masked-diffusion LMs. */
  causal?: boolean;
}

/** Every parameter's Hugging Face name and shape, in checkpoint order. */
export function parameterShapes(c: ModelConfig): [string, number[]][] {
  const d = c.hiddenSize, qd = c.numHeads * c.headDim, kvd = c.numKvHeads * c.headDim;
  const out: [string, number[]][] = [['model.embed_tokens.weight', [c.vocabSize, d]]];
  for (let i = 0; i < c.numLayers; i++) {
    const p = `model.layers.${i}.`;
    out.push([p + 'input_layernorm.weight', [d]]);
    out.push([p + 'self_attn.q_proj.weight', [qd, d]], [p + 'self_attn.k_proj.weight', [kvd, d]], [p + 'self_attn.v_proj.weight', [kvd, d]]);
    if (c.attentionBias) out.push([p + 'self_attn.q_proj.bias', [qd]], [p + 'self_attn.k_proj.bias', [kvd]], [p + 'self_attn.v_proj.bias', [kvd]]);
    out.push([p + 'self_attn.o_proj.weight', [d, qd]]);
    if (c.qkNorm) out.push([p + 'self_attn.q_norm.weight', [c.headDim]], [p + 'self_attn.k_norm.weight', [c.headDim]]);
    out.push([p + 'post_attention_layernorm.weight', [d]]);
    out.push([p + 'mlp.gate_proj.weight', [c.intermediateSize, d]], [p + 'mlp.up_proj.weight', [c.intermediateSize, d]], [p + 'mlp.down_proj.weight', [d, c.intermediateSize]]);
  }
  out.push(['model.norm.weight', [d]]);
  if (!c.tieWordEmbeddings) out.push(['lm_head.weight', [c.vocabSize, d]]);
  return out;
}

export class Transformer {
  readonly config: ModelConfig;
  readonly params = new Map<string, Tensor>();
  readonly embed: Tensor;
  readonly layers: LayerParams[] = [];
  readonly finalNorm: Tensor;
  readonly lmHead: Tensor;
  /** Every parameter's values, concatenated in checkpoint order (each tensor's `.data` is a view into it). */
  readonly weights: Float32Array;
  /** Their gradient storage, laid out the same way (read gradients through `tensor.grad`). */
  readonly grads: Float32Array;
  private lastPositions: Int32Array | null = null;
  /** LoRA adapters (nn/lora.ts); null: plain linears. */
  projection: ProjectionHook | null = null;

  /**
   * With an Rng: weights ~ N(0, 0.02), the projections that write into the residual stream
   * (o_proj, down_proj) scaled by 1/sqrt(2 * layers) as in GPT-2, norms 1, biases 0.
   * Without: all zeros except norms (for loading a checkpoint right after).
   */
  constructor(config: ModelConfig, rng?: Rng) {
    validate(config);
    this.config = config;
    const residualScale = 1 / Math.sqrt(2 * config.numLayers);
    // All parameters live in one buffer, in checkpoint order, and so do their gradients: gate_proj
    // and up_proj are then adjacent, which lets the MLP run them as one GEMM (ops/mlp.ts).
    const shapes = parameterShapes(config);
    const total = shapes.reduce((t, [, s]) => t + s.reduce((a, b) => a * b, 1), 0);
    this.weights = new Float32Array(total);
    this.grads = new Float32Array(total);
    let offset = 0;
    for (const [name, shape] of shapes) {
      const n = shape.reduce((a, b) => a * b, 1);
      const data = this.weights.subarray(offset, offset + n);
      const grad = this.grads.subarray(offset, offset + n);
      offset += n;
      if (/norm\.weight$/.test(name)) data.fill(1);
      else if (rng && !name.endsWith('.bias')) {
        const std = 0.02 * (/o_proj|down_proj/.test(name) ? residualScale : 1);
        for (let i = 0; i < data.length; i++) data[i] = rng.normal() * std;
      }
      this.params.set(name, Tensor.param(data, shape, name, grad));
    }
    const P = (n: string) => this.params.get(n)!;
    const opt = (n: string) => this.params.get(n);
    this.embed = P('model.embed_tokens.weight');
    for (let i = 0; i < config.numLayers; i++) {
      const p = `model.layers.${i}.`;
      this.layers.push({
        inputNorm: P(p + 'input_layernorm.weight'),
        q: P(p + 'self_attn.q_proj.weight'),
        k: P(p + 'self_attn.k_proj.weight'),
        v: P(p + 'self_attn.v_proj.weight'),
        o: P(p + 'self_attn.o_proj.weight'),
        qBias: opt(p + 'self_attn.q_proj.bias'),
        kBias: opt(p + 'self_attn.k_proj.bias'),
        vBias: opt(p + 'self_attn.v_proj.bias'),
        qNorm: opt(p + 'self_attn.q_norm.weight'),
        kNorm: opt(p + 'self_attn.k_norm.weight'),
        postNorm: P(p + 'post_attention_layernorm.weight'),
        gate: P(p + 'mlp.gate_proj.weight'),
        up: P(p + 'mlp.up_proj.weight'),
        down: P(p + 'mlp.down_proj.weight'),
      });
    }
    this.finalNorm = P('model.norm.weight');
    this.lmHead = config.tieWordEmbeddings ? this.embed : P('lm_head.weight');
  }

  /** ids [B*T] -> logits [B*T, vocab] ([outputRows.length, vocab] if given), on the tape unless under noGrad. */
  forward(ids: Int32Array, B: number, T: number, opts: ForwardOptions = {}): Tensor {
    const c = this.config;
    if (ids.length !== B * T) throw new Error(`forward: ids has ${ids.length} tokens but B ${B} x T ${T} = ${B * T}`);
    checkIds('forward', ids, c.vocabSize, 'ids');
    const pos = opts.positions ?? this.defaultPositions(B, T);
    if (pos.length !== B * T) throw new Error(`forward: positions has ${pos.length} entries but B ${B} x T ${T} = ${B * T}`);
    const { numHeads: Hq, numKvHeads: Hkv, headDim: Dh, rmsNormEps: eps, ropeTheta: theta } = c;

    let x = embedding(this.embed, ids);
    for (const L of this.layers) {
      // Attention block.
      const h = rmsnorm(x, L.inputNorm, eps);
      const P = this.projection, lin = P ? P.linear : linear;
      let q = lin(h, L.q, L.qBias);
      let k = lin(h, L.k, L.kBias);
      const v = lin(h, L.v, L.vBias);
      if (L.qNorm && L.kNorm) {
        q = rmsnorm(q, L.qNorm, eps); // per head: the weight is [headDim]
        k = rmsnorm(k, L.kNorm, eps);
      }
      q = rope(q, Hq, Dh, pos, theta);
      k = rope(k, Hkv, Dh, pos, theta);
      x = add(x, lin(attention(q, k, v, { B, T, Hq, Hkv, Dh, causal: opts.causal }), L.o));
      // MLP block: down(silu(gate(h)) * up(h)), one fused op (same maths) unless LoRA adapts it.
      const hm = rmsnorm(x, L.postNorm, eps);
      const adapted = P && (P.adapts(L.gate) || P.adapts(L.up) || P.adapts(L.down));
      x = add(x, adapted ? lin(swiglu(lin(hm, L.gate), lin(hm, L.up)), L.down) : swigluMlp(hm, L.gate, L.up, L.down));
    }
    if (opts.outputRows) x = gatherRows(x, opts.outputRows); // norm is per row: gather first
    return linear(rmsnorm(x, this.finalNorm, eps), this.lmHead);
  }

  /** Parameters in checkpoint order (the tied lm_head appears once, as embed_tokens). */
  parameters(): Tensor[] {
    return [...this.params.values()];
  }

  zeroGrad(): void {
    for (const p of this.params.values()) p.zeroGrad();
  }

  /** Copy a checkpoint tensor into the parameter of that Hugging Face name (shape-checked). */
  load(name: string, data: Float32Array): void {
    const p = this.params.get(name);
    if (!p) throw new Error(`load: this ${this.config.architecture} model has no parameter ${name}`);
    if (data.length !== p.size) throw new Error(`load: ${name} is [${p.shape.join(', ')}] (${p.size} values) but the given data has ${data.length}`);
    p.data.set(data);
  }

  private defaultPositions(B: number, T: number): Int32Array {
    // Only the last shape is cached: lengths that vary from step to step must not pile up.
    const p = this.lastPositions;
    if (p && p.length === B * T && (T === 0 || p[T - 1] === T - 1) && (B * T <= T || p[T] === 0)) return p;
    const fresh = new Int32Array(B * T);
    for (let i = 0; i < B * T; i++) fresh[i] = i % T;
    this.lastPositions = fresh;
    return fresh;
  }
}

function validate(c: ModelConfig): void {
  const bad = (msg: string) => {
    throw new Error(`ModelConfig: ${msg}`);
  };
  for (const key of ['vocabSize', 'hiddenSize', 'intermediateSize', 'numLayers', 'numHeads', 'numKvHeads', 'headDim'] as const)
    if (!(Number.isInteger(c[key]) && c[key] > 0)) bad(`${key} must be a positive integer, got ${c[key]}`);
  if (c.numHeads % c.numKvHeads !== 0) bad(`numHeads ${c.numHeads} must be a multiple of numKvHeads ${c.numKvHeads}`);
  if (c.headDim % 2 !== 0) bad(`headDim ${c.headDim} must be even for RoPE`);
}
