import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { loadDlm } from '../../src/diffusion-lm/model.ts';
import { dlmModelConfig, DLM_PRETRAIN_DEFAULTS } from '../../src/diffusion-lm/pretrain.ts';
import { DLM_TRAIN_DEFAULTS, validateDlmTrainConfig, type DlmTrainConfig } from '../../src/diffusion-lm/train-config.ts';

// The shipped checkpoint must be what its recorded recipe makes: same config as the file its command names,
// same shape as that config, and the comparison configs must start from it.
const CK = 'src/diffusion-lm/checkpoints/dlm-math';

test('shipped dlm-math: loads as a masked-diffusion LM whose shape and recipe match the pretraining config it names', () => {
  const recipe = JSON.parse(readFileSync(`${CK}/recipe.json`, 'utf8'));
  const cmd: string = recipe.commands[0];
  const file = /--config (\S+)/.exec(cmd)?.[1];
  assert.ok(file, `recipe command names a config: ${cmd}`);
  const cfg = { ...structuredClone(DLM_PRETRAIN_DEFAULTS), ...JSON.parse(readFileSync(file!, 'utf8')) };
  assert.deepEqual(recipe.config, cfg);
  assert.equal(Number(/--until (\d+)/.exec(cmd)?.[1] ?? cfg.steps), recipe.step);
  const l = loadDlm(CK);
  assert.equal(l.dlm.promptLength, cfg.promptLength);
  assert.equal(l.dlm.genLength, cfg.genLength);
  assert.equal(l.dlm.blockSize, cfg.blockSize);
  assert.equal(l.dlm.steps, cfg.sampleSteps);
  const m = dlmModelConfig(cfg, l.tokenizer.vocabSize);
  for (const k of ['hiddenSize', 'numLayers', 'numHeads', 'intermediateSize'] as const) assert.equal(l.model.config[k], m[k]);
});

test('comparison configs: valid for every algorithm and start from the shipped checkpoint', () => {
  for (const name of ['compare-levels23', 'compare-levels23-long']) {
    const file = JSON.parse(readFileSync(`src/diffusion-lm/configs/${name}.json`, 'utf8'));
    for (const algorithm of ['d-opsd', 'diffu-grpo', 'rft'] as const) {
      const c = validateDlmTrainConfig({ ...structuredClone(DLM_TRAIN_DEFAULTS), ...file, algorithm, name: algorithm } as DlmTrainConfig);
      assert.equal(c.checkpoint, CK, name);
    }
  }
});
