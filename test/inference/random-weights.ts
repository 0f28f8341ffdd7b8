/** Random weights for a ModelConfig, keyed by Hugging Face names (test helper). */
import type { ModelConfig } from '../../src/nn/config.ts';
import { Rng } from '../../src/util/rng.ts';

export function randomWeights(c: ModelConfig, seed: number, scale = 0.08): Map<string, Float32Array> {
  const rng = new Rng(seed);
  const m = new Map<string, Float32Array>();
  const rand = (n: number, s = scale) => Float32Array.from({ length: n }, () => rng.normal() * s);
  const ones = (n: number) => Float32Array.from({ length: n }, () => 1 + rng.normal() * 0.1);
  const D = c.hiddenSize, F = c.intermediateSize, q = c.numHeads * c.headDim, kv = c.numKvHeads * c.headDim;
  m.set('model.embed_tokens.weight', rand(c.vocabSize * D, 0.5));
  for (let i = 0; i < c.numLayers; i++) {
    const p = `model.layers.${i}.`;
    m.set(p + 'input_layernorm.weight', ones(D));
    m.set(p + 'self_attn.q_proj.weight', rand(q * D));
    m.set(p + 'self_attn.k_proj.weight', rand(kv * D));
    m.set(p + 'self_attn.v_proj.weight', rand(kv * D));
    m.set(p + 'self_attn.o_proj.weight', rand(D * q));
    if (c.attentionBias) {
      m.set(p + 'self_attn.q_proj.bias', rand(q));
      m.set(p + 'self_attn.k_proj.bias', rand(kv));
      m.set(p + 'self_attn.v_proj.bias', rand(kv));
    }
    if (c.qkNorm) {
      m.set(p + 'self_attn.q_norm.weight', ones(c.headDim));
      m.set(p + 'self_attn.k_norm.weight', ones(c.headDim));
    }
    m.set(p + 'post_attention_layernorm.weight', ones(D));
    m.set(p + 'mlp.gate_proj.weight', rand(F * D));
    m.set(p + 'mlp.up_proj.weight', rand(F * D));
    m.set(p + 'mlp.down_proj.weight', rand(D * F));
  }
  m.set('model.norm.weight', ones(D));
  if (!c.tieWordEmbeddings) m.set('lm_head.weight', rand(c.vocabSize * D, 0.3));
  return m;
}

export const TINY: ModelConfig = {
  architecture: 'llama', vocabSize: 23, hiddenSize: 16, intermediateSize: 24, numLayers: 2,
  numHeads: 4, numKvHeads: 2, headDim: 4, maxPositions: 128, ropeTheta: 10000, rmsNormEps: 1e-5,
  tieWordEmbeddings: false, attentionBias: false, qkNorm: false,
};
