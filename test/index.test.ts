import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as distil from '../src/index.ts';

test('the package entry exposes each layer of the API', () => {
  for (const name of ['Tensor', 'Transformer', 'AdamW', 'loadModelFolder', 'saveModelFolder', 'CharTokenizer', 'Decoder', 'sample', 'score',
    'LocalBackend', 'OpenAICompatibleBackend', 'getEnv', 'buildTeacherContext', 'emaTeacher', 'createAlgorithm', 'train',
    'resolveTrainConfig', 'evaluatePolicy', 'passAtK', 'writeReport', 'Rng', 'stepJudge', 'modelJudge'] as const) {
    assert.equal(typeof (distil as Record<string, unknown>)[name], 'function', name);
  }
  assert.equal(typeof distil.losses.softCrossEntropy, 'function');
  assert.deepEqual(distil.algorithmNames().sort(), ['delta', 'distil', 'exprl', 'grpo', 'opd', 'opsd', 'rft', 'rlif', 'sdpo', 'setpg', 'sft']);
});
