import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DLM_TRAIN_DEFAULTS, validateDlmTrainConfig, type DlmTrainConfig } from '../../src/diffusion-lm/train-config.ts';

const base = (over: Partial<DlmTrainConfig> = {}): DlmTrainConfig =>
  ({ ...structuredClone(DLM_TRAIN_DEFAULTS), checkpoint: 'src/diffusion-lm/checkpoints/dlm-math', algorithm: 'd-opsd', name: 'x', ...over }) as DlmTrainConfig;

test('dlm train config: evaluation on test by default, val on request (to choose an lr), anything else refused', () => {
  assert.equal(validateDlmTrainConfig(base()).evalSplit, 'test');
  assert.equal(validateDlmTrainConfig(base({ evalSplit: 'val' })).evalSplit, 'val');
  assert.throws(() => validateDlmTrainConfig(base({ evalSplit: 'train' as 'val' })), /evalSplit must be 'test' or 'val'/);
});
