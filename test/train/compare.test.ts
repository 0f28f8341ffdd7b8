import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planComparison, type CompareConfig } from '../../src/train/compare.ts';

const base: CompareConfig = {
  model: 'some-model-folder', envs: ['math'], seeds: [0],
  methods: [{ label: 'distil', algorithm: 'distil' }, { label: 'grpo', algorithm: 'grpo' }],
};
const plan = (c: Record<string, unknown>) => planComparison({ ...base, ...c } as CompareConfig, join(tmpdir(), 'distil-compare-plan'));

test('a comparison plan is validated whole before any run: keys, methods, per-env settings, every run config', () => {
  assert.equal(plan({}).length, 2);
  assert.throws(() => plan({ seed: [1] }), /compare config: unknown key 'seed' \(did you mean 'seeds'\?\)/);
  assert.throws(() => plan({ methods: [{ label: 'x', algorithm: 'grpo', algorithmOption: {} }] }), /compare config: methods\[0\]: unknown key 'algorithmOption' \(did you mean 'algorithmOptions'\?\)/);
  assert.throws(() => plan({ perEnv: { maths: { levels: [3] } } }), /perEnv has settings for 'maths', which is not in envs \(did you mean 'math'\?\)/);
  // A typo inside one method's algorithm options fails the whole plan, naming the run.
  assert.throws(
    () => plan({ methods: [{ label: 'ok', algorithm: 'grpo' }, { label: 'bad', algorithm: 'distil', algorithmOptions: { context: 'feedbak' } }] }),
    /compare run bad\/math\/seed 0|distil: option 'context' must be one of .*got "feedbak" \(did you mean 'feedback'\?\)/,
  );
  assert.throws(() => plan({ base: { stpes: 10 } }), /unknown option 'stpes' \(did you mean 'steps'\?\)/);
});

test('a method may start from its own model (train.model): a second stage from each first-stage checkpoint', () => {
  const runs = plan({ methods: [{ label: 'a', algorithm: 'grpo', train: { model: 'stage1/a/model' } }, { label: 'b', algorithm: 'grpo' }] });
  assert.deepEqual(runs.map((r) => r.config.model), ['stage1/a/model', 'some-model-folder']);
  assert.throws(() => plan({ methods: [{ label: 'a', algorithm: 'grpo', train: { model: '' } }] }), /method 'a': train.model must be a model folder/);
  // {seed} names the first stage's run of the same seed.
  const staged = plan({ seeds: [0, 2], methods: [{ label: 'a', algorithm: 'grpo', train: { model: 'stage1/a/seed-{seed}/model' } }] });
  assert.deepEqual(staged.map((r) => [r.config.seed, r.config.model]), [[0, 'stage1/a/seed-0/model'], [2, 'stage1/a/seed-2/model']]);
});

test('levels outside the checkpoint\'s training are refused unless the config says untrainedLevels (then a warning)', () => {
  const math = 'src/recipes/checkpoints/tiny-math-2to6';
  const c = { ...base, model: math, perEnv: { math: { levels: [8] } } } as CompareConfig;
  assert.throws(() => planComparison(c, join(tmpdir(), 'distil-compare-plan')), /level\(s\) 8 of math are outside .* \(or set untrainedLevels: true/);
  const warnings: string[] = [];
  assert.equal(planComparison({ ...c, untrainedLevels: true }, join(tmpdir(), 'distil-compare-plan'), { warnings }).length, 2);
  assert.match(warnings.join('\n'), /level\(s\) 8 of math are outside .*allowed by untrainedLevels/);
});
