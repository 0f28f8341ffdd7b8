/** Model shapes used by benchmarks and tests (weights are always made locally). */
import type { ModelConfig } from './config.ts';
export { REFERENCE_MODEL } from './config.ts';

/** The shape of SmolLM-135M (HuggingFaceTB/SmolLM-135M): Llama-style, GQA 9:3, tied embeddings. */
export const SMOLLM_135M_SHAPE: ModelConfig = {
  architecture: 'llama',
  vocabSize: 49152,
  hiddenSize: 576,
  intermediateSize: 1536,
  numLayers: 30,
  numHeads: 9,
  numKvHeads: 3,
  headDim: 64,
  maxPositions: 2048,
  ropeTheta: 10000,
  rmsNormEps: 1e-5,
  tieWordEmbeddings: true,
  attentionBias: false,
  qkNorm: false,
};
