import { test } from 'node:test';
import assert from 'node:assert/strict';
import { drawTasks, fnv1a, splitOf } from '../../../src/envs/loaders/split.ts';

test('hash is stable (fixed values) and the test fraction is respected', () => {
  // Pinned: changing the hash would silently move prompts between train and test.
  assert.equal(fnv1a(''), 1572119809);
  assert.equal(fnv1a('Q: 4-5*3*2\n'), 181570377);
  assert.notEqual(fnv1a('Q: 1+2\n'), fnv1a('Q: 2+1\n'));
  let test = 0;
  for (let i = 0; i < 4000; i++) if (splitOf('x', `p${i}`, 0.125) === 'test') test++;
  assert.ok(Math.abs(test / 4000 - 0.125) < 0.02, `${test}`);
});

test('draws respect the partition key, not the spelling', () => {
  // Two spellings of each of 50 problems: the key decides the split for both.
  const tasks = (split: 'train' | 'test') =>
    drawTasks({ env: 'k', split, n: 200, seed: 1, levels: [1], testFraction: () => 0.3,
      generate: (_l, rng) => { const k = rng.int(50); return { prompt: `${rng.int(2) ? 'a' : 'b'}${k}`, key: String(k), meta: { k } }; } });
  const train = new Set(tasks('train').map((t) => t.meta.k));
  assert.ok(tasks('test').every((t) => !train.has(t.meta.k)));
});

test('bad requests fail clearly', () => {
  const base = { env: 'e', split: 'test' as const, seed: 0, levels: [1], generate: () => ({ prompt: 'same', meta: {} }) };
  assert.throws(() => drawTasks({ ...base, n: -1 }), /n must be a non-negative integer/);
  assert.throws(() => drawTasks({ ...base, n: 1, levels: [] }), /no levels/);
  // 'same' falls on one side only: asking the other side finds nothing.
  const side = splitOf('e', 'same', 0.5);
  const other = side === 'test' ? 'train' : 'test';
  assert.throws(() => drawTasks({ ...base, split: other, n: 1, testFraction: () => 0.5, maxAttempts: 20 }), /found no .* prompt at level 1 in 20 attempts/);
  assert.equal(drawTasks({ ...base, split: side, n: 3, testFraction: () => 0.5 }).length, 3, 'repeats once the space is exhausted');
});

test('val: disjoint from test, inside the train space, and drawing it changes neither train nor test', async () => {
  const { inSplit } = await import('../../../src/envs/loaders/split.ts');
  for (let i = 0; i < 4000; i++) {
    const p = `p${i}`;
    // train and test membership is exactly the old partition.
    assert.equal(inSplit('x', p, 'test', 0.125), splitOf('x', p, 0.125) === 'test');
    assert.equal(inSplit('x', p, 'train', 0.125), splitOf('x', p, 0.125) === 'train');
    if (inSplit('x', p, 'val', 0.125)) assert.equal(splitOf('x', p, 0.125), 'train');
  }
  let val = 0;
  for (let i = 0; i < 4000; i++) if (inSplit('x', `p${i}`, 'val', 0.125)) val++;
  assert.ok(Math.abs(val / 4000 - 0.125) < 0.02, `val share ${val / 4000}: as wide as test`);
  const { getEnv } = await import('../../../src/envs/registry.ts');
  for (const [name, levels] of [['math', [5, 6]], ['science', [1]]] as const) {
    const env = await getEnv(name);
    const test = new Set(env.tasks('test', 200, 20261127, { levels: [...levels] }).map((t) => t.prompt));
    const vals = env.tasks('val', 200, 20261127, { levels: [...levels] });
    assert.equal(vals.length, 200);
    assert.ok(vals.every((t) => !test.has(t.prompt) && t.id.includes('/val/')), `${name}: a val prompt is a test prompt`);
  }
});
