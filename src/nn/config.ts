/**
 * The architecture of a decoder-only transformer, in the terms of Hugging Face's config.json
 * (Llama, Qwen2, Qwen3, SmolLM). Parameter names follow Hugging Face exactly
 * (`model.embed_tokens.weight`, `model.layers.{i}.self_attn.q_proj.weight`, ...) and linear
 * weights are stored [out_features, in_features], so checkpoints load without renaming.
 */
export type Architecture = 'llama' | 'qwen2' | 'qwen3';

export interface ModelConfig {
  architecture: Architecture;
  vocabSize: number;
  hiddenSize: number; // d_model
  intermediateSize: number; // SwiGLU hidden
  numLayers: number;
  numHeads: number;
  numKvHeads: number; // grouped-query attention: numHeads % numKvHeads === 0
  headDim: number; // usually hiddenSize / numHeads
  maxPositions: number;
  ropeTheta: number;
  rmsNormEps: number;
  tieWordEmbeddings: boolean;
  /** Qwen2: q/k/v projections have biases. */
  attentionBias: boolean;
  /** Qwen3: RMSNorm over each head of q and k before RoPE. */
  qkNorm: boolean;
  bosTokenId?: number;
  eosTokenId?: number | number[];
  padTokenId?: number;
}

/** The engine issue's reference model: Llama-style, 4 layers, d 256, 4 heads, SwiGLU 688, vocab 512. */
export const REFERENCE_MODEL: ModelConfig = {
  architecture: 'llama',
  vocabSize: 512,
  hiddenSize: 256,
  intermediateSize: 688,
  numLayers: 4,
  numHeads: 4,
  numKvHeads: 4,
  headDim: 64,
  maxPositions: 1024,
  ropeTheta: 10000,
  rmsNormEps: 1e-5,
  tieWordEmbeddings: false,
  attentionBias: false,
  qkNorm: false,
};
