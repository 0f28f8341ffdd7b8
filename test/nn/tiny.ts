/** A tiny config of each architecture for tests. */
import type { ModelConfig } from '../../src/nn/config.ts';

export function tinyConfig(arch: 'llama' | 'qwen2' | 'qwen3', over: Partial<ModelConfig> = {}): ModelConfig {
  return {
    architecture: arch,
    vocabSize: 11,
    hiddenSize: 8,
    intermediateSize: 12,
    numLayers: 2,
    numHeads: 4,
    numKvHeads: 2,
    headDim: 4,
    maxPositions: 64,
    ropeTheta: 10000,
    rmsNormEps: 1e-5,
    tieWordEmbeddings: arch === 'qwen2',
    attentionBias: arch === 'qwen2',
    qkNorm: arch === 'qwen3',
    ...over,
  };
}

