/**
 * LoRA (low-rank adaptation) for the Transformer's seven projections.
 *
 * An adapted projection computes  y = x W^T + b + scale * (x A^T) B^T  with the base weight W
 * [out, in] frozen, A [r, in] and B [out, r] trained, and scale = alpha / r (alpha / sqrt(r)
 * with rsLoRA). A starts kaiming-uniform as in PEFT (U(-1/sqrt(in), 1/sqrt(in)), what
 * kaiming_uniform_(a = sqrt(5)) gives) and B at zero, so a fresh adapter leaves the model's
 * output exactly unchanged.
 *
 * Dropout on the adapter input is not supported: PEFT's lora_dropout only acts in training
 * mode and is 0 in most recipes; a config asking for another value is refused rather than
 * silently ignored (see `checkLoraConfig`).
 *
 * Usage:
 *   const lora = attachLora(model, { r: 8, alpha: 16, targetModules: ['q_proj', 'v_proj'] }, rng);
 *   const opt = new AdamW(lora.parameters(), { lr });   // base weights are frozen (requiresGrad false)
 *   ... model.forward(...) now runs through the adapters ...
 *   lora.merge();   // W += scale * B @ A in place: plain forward / KV-cache decoders see the adapted model
 *   lora.unmerge(); // back to the base weights (bit-for-bit: merge() keeps a copy of them)
 *   lora.detach();  // remove the adapters, restore requiresGrad of the base
 *
 * Names follow PEFT: an adapter's module is its base weight's Hugging Face name without
 * `.weight` (`model.layers.0.self_attn.q_proj`), its tensors `<module>.lora_A.weight` and
 * `<module>.lora_B.weight`; models/peft.ts adds PEFT's `base_model.model.` prefix on disk.
 */
import { kernels } from '../engine/kernels/index.ts';
import { acquire, release } from '../engine/pool.ts';
import { fail } from '../engine/ops/util.ts';
import { linear } from '../engine/ops/matmul.ts';
import { record, shapeStr, Tensor } from '../engine/tensor.ts';
import type { Rng } from '../util/rng.ts';
import type { Transformer } from './transformer.ts';

/** The projections LoRA can adapt, by their Hugging Face short names. */
export const LORA_TARGETS = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] as const;
export type LoraTarget = (typeof LORA_TARGETS)[number];

const ROLE: Record<LoraTarget, 'q' | 'k' | 'v' | 'o' | 'gate' | 'up' | 'down'> = {
  q_proj: 'q', k_proj: 'k', v_proj: 'v', o_proj: 'o', gate_proj: 'gate', up_proj: 'up', down_proj: 'down',
};
const BLOCK: Record<LoraTarget, 'self_attn' | 'mlp'> = {
  q_proj: 'self_attn', k_proj: 'self_attn', v_proj: 'self_attn', o_proj: 'self_attn', gate_proj: 'mlp', up_proj: 'mlp', down_proj: 'mlp',
};

export interface LoraConfig {
  /** Rank of every adapter (positive integer). */
  r: number;
  /** Scaling numerator: scale = alpha / r (or alpha / sqrt(r) with useRslora). */
  alpha: number;
  /** Which projections of each layer get an adapter. */
  targetModules: readonly LoraTarget[];
  /** Only these layer indices (PEFT's layers_to_transform); default every layer. */
  layers?: readonly number[];
  /** rsLoRA scaling alpha / sqrt(r) (PEFT's use_rslora). Default false. */
  useRslora?: boolean;
  /** Must be 0 or absent: dropout is not implemented (see the file comment). */
  dropout?: number;
}

/** One adapted projection. */
export interface LoraAdapter {
  /** `model.layers.{layer}.{self_attn|mlp}.{target}`. */
  module: string;
  layer: number;
  target: LoraTarget;
  /** The frozen base weight [out, in] (a parameter of the model). */
  base: Tensor;
  /** [r, in], trainable. */
  A: Tensor;
  /** [out, r], trainable. */
  B: Tensor;
  scale: number;
}

/** Check a LoraConfig against a model; throws naming the bad field (`origin` says where it came from). */
export function checkLoraConfig(cfg: LoraConfig, numLayers: number, origin = 'LoraConfig'): void {
  const bad = (msg: string): never => {
    throw new Error(`${origin}: ${msg}`);
  };
  if (!(Number.isInteger(cfg.r) && cfg.r > 0)) bad(`r must be a positive integer, got ${cfg.r}`);
  if (!(typeof cfg.alpha === 'number' && Number.isFinite(cfg.alpha))) bad(`alpha must be a finite number, got ${cfg.alpha}`);
  if (!Array.isArray(cfg.targetModules) || cfg.targetModules.length === 0)
    bad(`target modules must be a non-empty list of ${LORA_TARGETS.join(', ')}`);
  for (const t of cfg.targetModules)
    if (!(LORA_TARGETS as readonly string[]).includes(t)) bad(`unknown target module "${t}": LoRA can adapt ${LORA_TARGETS.join(', ')}`);
  if (new Set(cfg.targetModules).size !== cfg.targetModules.length) bad(`target modules list ${JSON.stringify(cfg.targetModules)} repeats a module`);
  if (cfg.layers !== undefined) {
    if (!Array.isArray(cfg.layers) || cfg.layers.length === 0) bad('layers, when given, must be a non-empty list of layer indices');
    for (const l of cfg.layers) if (!(Number.isInteger(l) && l >= 0 && l < numLayers)) bad(`layer ${l} does not exist (the model has layers 0..${numLayers - 1})`);
  }
  if (cfg.dropout !== undefined && cfg.dropout !== 0)
    bad(`dropout ${cfg.dropout} is not supported (LoRA dropout is not implemented); use 0`);
}

export function loraScale(cfg: Pick<LoraConfig, 'r' | 'alpha' | 'useRslora'>): number {
  return cfg.useRslora ? cfg.alpha / Math.sqrt(cfg.r) : cfg.alpha / cfg.r;
}

/**
 * y = x W^T + b + scale * (x A^T) B^T, as one op: x [..., in], W [out, in], A [r, in],
 * B [out, r], bias [out] or none. Gradients flow to every input that requires them
 * (the adapters' usual case: A and B and x, with W and b frozen).
 */
export function loraLinear(x: Tensor, W: Tensor, bias: Tensor | null | undefined, A: Tensor, B: Tensor, scale: number): Tensor {
  if (W.shape.length !== 2) fail('loraLinear', `weight ${W.describe()} must be 2-D [out, in]`);
  const [O, I] = W.shape;
  const rk = x.shape.length;
  if (rk < 1 || x.shape[rk - 1] !== I) fail('loraLinear', `x is ${shapeStr(x.shape)} but weight ${W.describe()} expects ${I} input features`);
  if (A.shape.length !== 2 || A.shape[1] !== I) fail('loraLinear', `lora_A ${A.describe()} must be [r, ${I}]`);
  const R = A.shape[0];
  if (B.shape.length !== 2 || B.shape[0] !== O || B.shape[1] !== R) fail('loraLinear', `lora_B ${B.describe()} must be [${O}, ${R}] (out of ${W.describe()}, rank of lora_A)`);
  if (bias && (bias.shape.length !== 1 || bias.shape[0] !== O)) fail('loraLinear', `bias ${bias.describe()} must be [${O}]`);
  const N = x.size / I;
  const k = kernels();
  const out = Tensor.empty([...x.shape.slice(0, rk - 1), O]);
  let beta = 0;
  if (bias) {
    const o = out.data, bd = bias.data;
    for (let n = 0; n < N; n++) o.set(bd, n * O);
    beta = 1;
  }
  k.sgemm({ transA: false, transB: true, M: N, N: O, K: I, a: x.data, b: W.data, c: out.data, beta });
  const xa = acquire(N * R); // x A^T [N, r], kept for dB
  k.sgemm({ transA: false, transB: true, M: N, N: R, K: I, a: x.data, b: A.data, c: xa });
  k.sgemm({ transA: false, transB: true, M: N, N: O, K: R, a: xa, b: B.data, c: out.data, alpha: scale, beta: 1 });
  const parents = bias ? [x, W, A, B, bias] : [x, W, A, B];
  return record(
    out,
    parents,
    (g) => {
      const k = kernels();
      if (B.requiresGrad) {
        const beta = B.beginGrad() ? 1 : 0;
        k.sgemm({ transA: true, transB: false, M: O, N: R, K: N, a: g, b: xa, c: B.gradBuf, alpha: scale, beta });
      }
      if (W.requiresGrad) {
        const beta = W.beginGrad() ? 1 : 0;
        k.sgemm({ transA: true, transB: false, M: O, N: I, K: N, a: g, b: x.data, c: W.gradBuf, beta });
      }
      if (bias && bias.requiresGrad) {
        const acc = bias.beginGrad();
        k.sumRows(g, N, O, bias.gradBuf, acc);
      }
      if (!A.requiresGrad && !x.requiresGrad) return;
      const gxa = acquire(N * R); // d(x A^T) = scale * g B, [N, r]
      k.sgemm({ transA: false, transB: false, M: N, N: R, K: O, a: g, b: B.data, c: gxa, alpha: scale });
      if (A.requiresGrad) {
        const beta = A.beginGrad() ? 1 : 0;
        k.sgemm({ transA: true, transB: false, M: R, N: I, K: N, a: gxa, b: x.data, c: A.gradBuf, beta });
      }
      if (x.requiresGrad) {
        const beta = x.beginGrad() ? 1 : 0;
        k.sgemm({ transA: false, transB: false, M: N, N: I, K: O, a: g, b: W.data, c: x.gradBuf, beta });
        k.sgemm({ transA: false, transB: false, M: N, N: I, K: R, a: gxa, b: A.data, c: x.gradBuf, beta: 1 });
      }
      release(gxa);
    },
    [xa],
  );
}

/** The PEFT module path of target `t` in layer `i`. */
export function loraModuleName(layer: number, target: LoraTarget): string {
  return `model.layers.${layer}.${BLOCK[target]}.${target}`;
}

/** Parse a module path (`model.layers.3.mlp.up_proj`) back into layer and target, or null. */
export function parseLoraModuleName(module: string): { layer: number; target: LoraTarget } | null {
  const m = /^model\.layers\.(\d+)\.(self_attn|mlp)\.([a-z_]+)$/.exec(module);
  if (!m) return null;
  const target = m[3] as LoraTarget;
  if (!(LORA_TARGETS as readonly string[]).includes(target) || BLOCK[target] !== m[2]) return null;
  return { layer: Number(m[1]), target };
}

/** Adapters attached to a Transformer. Made by attachLora. */
export class LoraModel {
  readonly model: Transformer;
  readonly config: LoraConfig;
  /** In layer order, then q, k, v, o, gate, up, down. */
  readonly adapters: LoraAdapter[] = [];
  private readonly byWeight = new Map<Tensor, LoraAdapter>();
  private readonly frozen: Map<Tensor, boolean>;
  private savedBase: Map<LoraAdapter, Float32Array> | null = null;
  private mergedFlag = false;
  private attached = true;

  constructor(model: Transformer, config: LoraConfig, rng?: Rng) {
    checkLoraConfig(config, model.config.numLayers);
    if (model.projection) throw new Error('attachLora: this model already has adapters attached; detach() them first');
    this.model = model;
    this.config = { ...config, targetModules: [...config.targetModules], layers: config.layers && [...config.layers] };
    const scale = loraScale(config);
    const layers = config.layers ? new Set(config.layers) : null;
    for (let i = 0; i < model.config.numLayers; i++) {
      if (layers && !layers.has(i)) continue;
      for (const target of LORA_TARGETS) {
        if (!config.targetModules.includes(target)) continue;
        const base = model.layers[i][ROLE[target]];
        const [O, I] = base.shape;
        const module = loraModuleName(i, target);
        const a = new Float32Array(config.r * I);
        if (rng) {
          const bound = 1 / Math.sqrt(I);
          for (let j = 0; j < a.length; j++) a[j] = (2 * rng.next() - 1) * bound;
        }
        const A = Tensor.param(a, [config.r, I], `${module}.lora_A.weight`);
        const B = Tensor.param(new Float32Array(O * config.r), [O, config.r], `${module}.lora_B.weight`);
        const ad: LoraAdapter = { module, layer: i, target, base, A, B, scale };
        this.adapters.push(ad);
        this.byWeight.set(base, ad);
      }
    }
    // Freeze the base model (AdamW and clipping then skip it); detach() restores the flags.
    this.frozen = new Map([...model.params.values()].map((p) => [p, p.requiresGrad]));
    for (const p of model.params.values()) p.requiresGrad = false;
    model.projection = {
      adapts: (W) => !this.mergedFlag && this.byWeight.has(W),
      linear: (x, W, bias) => {
        const ad = this.mergedFlag ? undefined : this.byWeight.get(W);
        return ad ? loraLinear(x, W, bias, ad.A, ad.B, ad.scale) : linear(x, W, bias);
      },
    };
  }

  get merged(): boolean {
    return this.mergedFlag;
  }

  /** The trainable tensors by name (`<module>.lora_A.weight`, `<module>.lora_B.weight`), for the optimiser. */
  parameters(): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    for (const ad of this.adapters) {
      out.set(ad.A.name!, ad.A);
      out.set(ad.B.name!, ad.B);
    }
    return out;
  }

  zeroGrad(): void {
    for (const ad of this.adapters) {
      ad.A.zeroGrad();
      ad.B.zeroGrad();
    }
  }

  /**
   * Fold the adapters into the base weights: W += scale * B @ A, in place (so anything that
   * reads the model's weight buffers, e.g. a KV-cache decoder, sees the adapted model). The
   * forward then runs the plain linears. By default the base values are kept so that
   * unmerge() restores them bit-for-bit; keepBase false saves the memory and unmerge()
   * subtracts instead (float rounding then leaves ~1e-7 relative differences).
   */
  merge(opts: { keepBase?: boolean } = {}): void {
    this.checkAttached('merge');
    if (this.mergedFlag) throw new Error('LoraModel.merge: the adapters are already merged');
    this.savedBase = opts.keepBase === false ? null : new Map(this.adapters.map((ad) => [ad, Float32Array.from(ad.base.data)]));
    for (const ad of this.adapters) addDelta(ad, ad.scale);
    this.mergedFlag = true;
  }

  /** Undo merge(): the base weights as they were, the adapters active again. */
  unmerge(): void {
    this.checkAttached('unmerge');
    if (!this.mergedFlag) throw new Error('LoraModel.unmerge: the adapters are not merged');
    for (const ad of this.adapters) {
      const saved = this.savedBase?.get(ad);
      if (saved) ad.base.data.set(saved);
      else addDelta(ad, -ad.scale);
    }
    this.savedBase = null;
    this.mergedFlag = false;
  }

  /** Remove the adapters: the model runs its base weights again (merged ones, if merged) and its parameters' requiresGrad flags are restored. */
  detach(): void {
    this.checkAttached('detach');
    this.model.projection = null;
    for (const [p, flag] of this.frozen) p.requiresGrad = flag;
    this.savedBase = null;
    this.attached = false;
  }

  /** Merge into the base weights for good and detach (PEFT's merge_and_unload). */
  mergeAndUnload(): Transformer {
    this.merge({ keepBase: false });
    this.detach();
    return this.model;
  }

  private checkAttached(what: string): void {
    if (!this.attached) throw new Error(`LoraModel.${what}: the adapters were detached from the model`);
  }
}

/** W += s * B @ A for one adapter (sgemm with beta 1 straight into the base buffer). */
function addDelta(ad: LoraAdapter, s: number): void {
  const [O, I] = ad.base.shape;
  const R = ad.A.shape[0];
  kernels().sgemm({ transA: false, transB: false, M: O, N: I, K: R, a: ad.B.data, b: ad.A.data, c: ad.base.data, alpha: s, beta: 1 });
}

/**
 * Attach LoRA adapters to `model` (which must have none): every parameter of the model is
 * frozen (requiresGrad false) and its seven projections, where targeted, run through the
 * adapters. Without an Rng, A starts at zero too (for loading saved adapters right after).
 */
export function attachLora(model: Transformer, config: LoraConfig, rng?: Rng): LoraModel {
  return new LoraModel(model, config, rng);
}
