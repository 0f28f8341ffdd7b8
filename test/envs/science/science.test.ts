import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createScienceEnv } from '../../../src/envs/science/index.ts';

test('mixed env draws both sub-tasks, deterministically, and every reference passes', async () => {
  const env = createScienceEnv();
  const a = env.tasks('train', 40, 3, { levels: [1, 2, 3, 4] });
  assert.deepEqual(a, env.tasks('train', 40, 3, { levels: [1, 2, 3, 4] }));
  const kinds = new Set(a.map((t) => t.meta.kind));
  assert.deepEqual([...kinds].sort(), ['chem', 'units']);
  for (const t of [...a, ...env.tasks('test', 20, 1, { levels: [5] })]) {
    const o = await env.evaluate(t, t.reference!);
    assert.deepEqual([o.correct, o.feedback.items], [true, []], `${t.prompt}${t.reference}`);
  }
});

test('sub-task option picks one; units has levels 1-4, 6-7 (the hidden unit) and 8-9 (four of them), chem 1-5, mixed all', () => {
  const units = createScienceEnv({ task: 'units' });
  assert.deepEqual(units.levels, [1, 2, 3, 4, 6, 7, 8, 9]);
  assert.deepEqual(createScienceEnv().levels, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.ok(units.tasks('train', 10, 0).every((t) => t.meta.kind === 'units'));
  const chem = createScienceEnv({ task: 'chem' });
  assert.deepEqual(chem.levels, [1, 2, 3, 4, 5]);
  assert.ok(chem.tasks('train', 10, 0, { levels: [5] }).every((t) => t.meta.kind === 'chem' && / \+ /.test(t.prompt)));
  assert.throws(() => createScienceEnv({ task: 'physics' as never }), /chem, units or mixed/);
});

test('level-1 prompts are short enough for a character model', () => {
  const env = createScienceEnv();
  for (const t of env.tasks('train', 50, 9, { levels: [1] })) {
    assert.ok(t.prompt.length <= 24 && t.reference!.length <= 40, `${t.prompt}${t.reference}`);
  }
});

test('train and test never share a reaction (any species order) or a conversion', () => {
  for (const task of ['chem', 'units'] as const) {
    const env = createScienceEnv({ task });
    for (const level of env.levels) {
      // A reaction is the same whatever the species order: compare sorted species.
      const species = (side: string) => (side.includes(' + ') ? side.split(' + ') : side.split(/\+(?=[A-Z(])/));
      const key = (p: string) => (task === 'chem' ? p.slice(3).trim().split(/\s*=\s*/).map((s) => species(s).sort().join('+')).join('=') : p);
      const train = new Set(env.tasks('train', 200, 1, { levels: [level] }).map((t) => key(t.prompt)));
      const test = env.tasks('test', 60, 1, { levels: [level] }).map((t) => key(t.prompt));
      assert.ok(test.length > 0 && test.every((p) => !train.has(p)), `${task} level ${level}`);
    }
  }
});

test('the split of a prompt does not depend on the sub-task option', () => {
  const mixed = createScienceEnv();
  const one = { units: createScienceEnv({ task: 'units' }), chem: createScienceEnv({ task: 'chem' }) };
  for (const level of [1, 4]) {
    const prompts = (env: typeof mixed, split: 'train' | 'test', n: number) => new Set(env.tasks(split, n, 2, { levels: [level] }).map((t) => t.prompt));
    const [mixedTrain, mixedTest] = [prompts(mixed, 'train', 300), prompts(mixed, 'test', 120)];
    for (const env of [one.units, one.chem]) {
      for (const p of prompts(env, 'test', 60)) assert.ok(!mixedTrain.has(p), `level ${level}: ${p}`);
      for (const p of prompts(env, 'train', 200)) assert.ok(!mixedTest.has(p), `level ${level}: ${p}`);
    }
  }
});
