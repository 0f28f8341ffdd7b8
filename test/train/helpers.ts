/** A tiny model folder with a printable-ASCII character tokenizer, for trainer tests. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CharTokenizer } from '../../src/models/char-tokenizer.ts';
import { saveModelFolder } from '../../src/models/folder.ts';
import { weightsOfTransformer } from '../../src/models/transformer-io.ts';
import type { ModelConfig } from '../../src/nn/config.ts';
import { Transformer } from '../../src/nn/transformer.ts';
import { Rng } from '../../src/util/rng.ts';

export const ASCII = '\n' + Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('');

export function tinyModelFolder(seed = 1, over: Partial<ModelConfig> = {}): string {
  const tok = new CharTokenizer(ASCII);
  const config: ModelConfig = {
    architecture: 'llama', vocabSize: tok.vocabSize, hiddenSize: 32, intermediateSize: 64, numLayers: 2,
    numHeads: 4, numKvHeads: 2, headDim: 8, maxPositions: 512, ropeTheta: 10000, rmsNormEps: 1e-5,
    tieWordEmbeddings: true, attentionBias: false, qkNorm: false, ...over,
  };
  const model = new Transformer(config, new Rng(seed));
  const dir = join(mkdtempSync(join(tmpdir(), 'distil-train-')), 'model');
  saveModelFolder(dir, { config, weights: weightsOfTransformer(model), tokenizer: tok });
  return dir;
}
