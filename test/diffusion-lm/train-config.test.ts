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

test("dlm train reward: 'answer' counts a lucky answer after wrong work, 'work' does not; anything else refused", async () => {
  const { createMathEnv } = await import('../../src/envs/math/index.ts');
  const { countsAsCorrect } = await import('../../src/diffusion-lm/trainer.ts');
  const env = createMathEnv();
  const [task] = env.tasks('test', 1, 0, { levels: [2] });
  const answer = task.reference!.split('\n').at(-1)!;
  const clean = await env.evaluate(task, task.reference!);
  const lucky = await env.evaluate(task, `1+1=3\n3*3=9\n${answer}`); // right answer, wrong lines
  const wrong = await env.evaluate(task, `1+1=3\n3*3=9\nA: 99`);
  assert.deepEqual([clean, lucky, wrong].map((o) => countsAsCorrect(o, 'answer')), [true, true, false]);
  assert.deepEqual([clean, lucky, wrong].map((o) => countsAsCorrect(o, 'work')), [true, false, false]);
  assert.equal(validateDlmTrainConfig(base()).reward, 'answer');
  assert.throws(() => validateDlmTrainConfig(base({ reward: 'steps' as 'work' })), /reward must be 'answer' \(the final answer\) or 'work'/);
});
