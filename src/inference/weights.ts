/**
 * The plain view of a model that inference needs: its config and its parameter buffers by
 * Hugging Face name. Inference runs without autograd, straight on the kernels, so it can keep
 * a KV cache and fuse a whole decode step; it must agree with src/nn's training forward
 * (tested), which is the one to read to understand the model.
 */
import type { ModelConfig } from '../nn/config.ts';

export type WeightMap = ReadonlyMap<string, Float32Array>;

export interface LayerWeights {
  inputNorm: Float32Array;
  q: Float32Array;
  k: Float32Array;
  v: Float32Array;
  o: Float32Array;
  qBias?: Float32Array;
  kBias?: Float32Array;
  vBias?: Float32Array;
  qNorm?: Float32Array;
  kNorm?: Float32Array;
  postNorm: Float32Array;
  gate: Float32Array;
  up: Float32Array;
  down: Float32Array;
}

export interface ResolvedWeights {
  embed: Float32Array;
  layers: LayerWeights[];
  finalNorm: Float32Array;
  /** [V, D]; the embedding itself when tied. */
  lmHead: Float32Array;
}

/** Picks every buffer out of the map once, checking sizes, so the hot loop does no lookups. */
export function resolveWeights(config: ModelConfig, weights: WeightMap): ResolvedWeights {
  const D = config.hiddenSize, F = config.intermediateSize, Dh = config.headDim;
  const qDim = config.numHeads * Dh, kvDim = config.numKvHeads * Dh;
  const get = (name: string, size: number): Float32Array => {
    const w = weights.get(name);
    if (!w) throw new Error(`inference: weight '${name}' is missing (is the config right for this checkpoint?)`);
    if (w.length !== size) throw new Error(`inference: weight '${name}' has ${w.length} values, expected ${size}`);
    return w;
  };
  const layers: LayerWeights[] = [];
  for (let i = 0; i < config.numLayers; i++) {
    const p = `model.layers.${i}.`;
    layers.push({
      inputNorm: get(p + 'input_layernorm.weight', D),
      q: get(p + 'self_attn.q_proj.weight', qDim * D),
      k: get(p + 'self_attn.k_proj.weight', kvDim * D),
      v: get(p + 'self_attn.v_proj.weight', kvDim * D),
      o: get(p + 'self_attn.o_proj.weight', D * qDim),
      qBias: config.attentionBias ? get(p + 'self_attn.q_proj.bias', qDim) : undefined,
      kBias: config.attentionBias ? get(p + 'self_attn.k_proj.bias', kvDim) : undefined,
      vBias: config.attentionBias ? get(p + 'self_attn.v_proj.bias', kvDim) : undefined,
      qNorm: config.qkNorm ? get(p + 'self_attn.q_norm.weight', Dh) : undefined,
      kNorm: config.qkNorm ? get(p + 'self_attn.k_norm.weight', Dh) : undefined,
      postNorm: get(p + 'post_attention_layernorm.weight', D),
      gate: get(p + 'mlp.gate_proj.weight', F * D),
      up: get(p + 'mlp.up_proj.weight', F * D),
      down: get(p + 'mlp.down_proj.weight', D * F),
    });
  }
  const embed = get('model.embed_tokens.weight', config.vocabSize * D);
  return {
    embed,
    layers,
    finalNorm: get('model.norm.weight', D),
    lmHead: config.tieWordEmbeddings ? embed : get('lm_head.weight', config.vocabSize * D),
  };
}
