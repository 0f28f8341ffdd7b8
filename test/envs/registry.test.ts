import { test } from 'node:test';
import assert from 'node:assert/strict';
import { envNames, getEnv, registerEnv } from '../../src/envs/registry.ts';

test('built-in envs are registered and constructed by name with options', async () => {
  for (const n of ['math', 'science', 'code', 'math-jsonl', 'mcq-jsonl', 'humaneval-js']) assert.ok(envNames().includes(n), n);
  const math = await getEnv('math');
  assert.equal(math.name, 'math');
  const units = await getEnv('science', { task: 'units' });
  assert.ok(units.tasks('train', 3, 0).every((t) => t.meta.kind === 'units'));
  const mcq = await getEnv('mcq-jsonl', { path: new URL('../fixtures/data/mcq-sample.jsonl', import.meta.url).pathname });
  assert.equal(mcq.tasks('test', 100, 0).length, 5);
  // The code env is imported lazily; creating it starts no sandbox until evaluate().
  const code = await getEnv('code');
  assert.equal(code.name, 'code');
  await code.close?.();
  const he = await getEnv('humaneval-js', { path: new URL('../fixtures/data/humaneval-js-sample.jsonl', import.meta.url).pathname });
  assert.ok(he.tasks('test', 100, 0).length > 0);
  await he.close?.();
});

test('unknown names list the known ones; duplicate or bad names are refused', async () => {
  await assert.rejects(getEnv('nope'), /unknown env 'nope'; known envs: ambiguous, code, humaneval-js, lock, math, math-jsonl, mcq-jsonl, science/);
  assert.throws(() => registerEnv('math', () => { throw new Error('unused'); }), /already registered/);
  assert.throws(() => registerEnv('Bad Name', () => { throw new Error('unused'); }), /lowercase/);
});

test('a registered factory is used', async () => {
  registerEnv('registry-test-env', (o) => ({
    name: 'registry-test-env', description: String(o?.tag), levels: [1],
    tasks: () => [], evaluate: async () => ({ reward: 0, correct: false, feedback: { summary: '', items: [] } }),
  }));
  assert.equal((await getEnv('registry-test-env', { tag: 'hi' })).description, 'hi');
});
