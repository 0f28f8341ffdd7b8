/** GET /v1/models and the "model" field every request may carry (one model is served). */
import type { Engine } from './engine.ts';
import { ApiError } from './errors.ts';
import type { Body } from './params.ts';

const CREATED = Math.floor(Date.now() / 1000);

export function listModels(engine: Engine) {
  return {
    object: 'list',
    data: [{ id: engine.model.name, object: 'model', created: CREATED, owned_by: 'distil', root: engine.model.name, max_model_len: engine.maxPositions }],
  };
}

/** An absent model means the served one (as vLLM); another name is a 404. */
export function checkModel(engine: Engine, b: Body): void {
  const m = b.string('model');
  if (m !== undefined && m !== engine.model.name) {
    throw new ApiError(404, `The model \`${m}\` does not exist. This server serves \`${engine.model.name}\`.`, 'model', 'model_not_found');
  }
}
