/** Random weights for a ModelConfig, keyed by Hugging Face names (test helper). */
import type { ModelConfig } from '../../src/nn/config.ts';
import { Rng } from '../../src/util/rng.ts';
import { parameterShapes } from '../../src/nn/transformer.ts';

export function randomWeights(c: ModelConfig, seed: number, scale = 0.08): Map<string, Float32Array> {
  const rng = new Rng(seed);
  const m = new Map<string, Float32Array>();
  for (const [name, shape] of parameterShapes(c)) {
    const n = shape.reduce((a, b) => a * b, 1);
    // Norm weights near 1; the embedding and LM head larger than the projections so that
    // logits are far from uniform (greedy and sampling tests need clear preferences).
    const s = name.endsWith('norm.weight') ? 0.1 : name === 'model.embed_tokens.weight' ? 0.5 : name === 'lm_head.weight' ? 0.3 : scale;
    const base = name.endsWith('norm.weight') ? 1 : 0;
    m.set(name, Float32Array.from({ length: n }, () => base + rng.normal() * s));
  }
  return m;
}

export const TINY: ModelConfig = {
  architecture: 'llama', vocabSize: 23, hiddenSize: 16, intermediateSize: 24, numLayers: 2,
  numHeads: 4, numKvHeads: 2, headDim: 4, maxPositions: 128, ropeTheta: 10000, rmsNormEps: 1e-5,
  tieWordEmbeddings: false, attentionBias: false, qkNorm: false,
};
