/**
 * Between model folders and the engine's Transformer: build a model from loaded weights, and
 * take a model's parameters back out as a WeightMap for saving.
 */
import { Transformer } from '../nn/transformer.ts';
import { loadModelFolder, type LoadOptions, type ModelFolder } from './folder.ts';
import type { ModelConfig } from '../nn/config.ts';
import { checkWeights } from './expected-weights.ts';
import type { WeightMap } from './types.ts';
import { InputError, asInputError } from '../util/errors.ts';

/**
 * A Transformer holding `weights` (copied in; the map is checked against the config first, so
 * a missing or misshapen tensor is an error naming it rather than a half-loaded model).
 */
export function transformerFromWeights(config: ModelConfig, weights: WeightMap, origin = 'the weights'): Transformer {
  const w: WeightMap = new Map(weights);
  checkWeights(config, w, { configFile: 'the config', weightsFile: origin }); // extras are dropped from w
  const model = new Transformer(config);
  for (const [name, t] of w) model.load(name, t.data);
  return model;
}

/** The model's parameters by Hugging Face name, as views of its buffers (save them before training on). */
export function weightsOfTransformer(model: Transformer): WeightMap {
  const out: WeightMap = new Map();
  for (const [name, p] of model.params) out.set(name, { shape: [...p.shape], data: p.data });
  return out;
}

/**
 * Load a model folder straight into a new Transformer: each tensor is read into the model's
 * own parameter buffer (no second copy), then the whole set is checked against the config.
 */
export function loadTransformer(path: string, opts: Omit<LoadOptions, 'into' | 'weights'> = {}): { model: Transformer; folder: ModelFolder } {
  let model: Transformer | null = null;
  const folder = loadModelFolder(path, {
    ...opts,
    into: (config) => {
      model = new Transformer(config);
      const params = model.params;
      return (name, numel) => {
        const p = params.get(name);
        return p && p.size === numel ? p.data : undefined;
      };
    },
  });
  const m = model as Transformer | null;
  if (!m) throw new InputError(`${path}: no weights were read`);
  try {
    checkWeights(folder.config, new Map(folder.weights), { configFile: 'config.json', weightsFile: path });
  } catch (e) {
    throw asInputError(e);
  }
  // Tensors that could not go straight into the model (e.g. a tied lm_head stored anyway) are copied.
  for (const [name, t] of folder.weights) {
    const p = m.params.get(name);
    if (p && p.data !== t.data) p.data.set(t.data);
  }
  return { model: m, folder };
}
