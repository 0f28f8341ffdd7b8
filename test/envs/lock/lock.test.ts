import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getEnv } from '../../../src/envs/registry.ts';
import { lockCode } from '../../../src/envs/lock/index.ts';

test('lock: reward 1 only for the hidden code on the answer line; codes fixed by the lock number', async () => {
  const env = await getEnv('lock', { locks: 4 });
  const tasks = env.tasks('train', 12, 0, { levels: [2, 3] });
  for (const t of tasks) {
    const code = lockCode(t.meta.lock as number, t.level);
    assert.equal(t.meta.code, code);
    assert.equal(code.length, t.level);
    assert.ok(code[0] !== '0');
    assert.equal(t.prompt, `Q: lock ${t.meta.lock}\n`);
    assert.ok((t.meta.lock as number) < 4);
    assert.equal((await env.evaluate(t, `1+1=2\nA: ${code}`)).reward, 1);
    assert.equal((await env.evaluate(t, `A: ${code}0`)).reward, 0);
    assert.equal((await env.evaluate(t, code)).reward, 0);
  }
  assert.equal(lockCode(3, 2), lockCode(3, 2));
  await assert.rejects(getEnv('lock', { locks: 0 }), /locks must be a whole number >= 1/);
  await assert.rejects(getEnv('lock', { lokcs: 2 }), /unknown option\(s\) lokcs/);
});

test('lock answerInPrompt: the prompt ends with `A: `, the first line of the completion is the answer', async () => {
  const env = await getEnv('lock', { locks: 4, answerInPrompt: true });
  const tasks = env.tasks('train', 8, 0, { levels: [2] });
  for (const t of tasks) {
    const code = String(t.meta.code);
    assert.equal(t.prompt, `Q: lock ${t.meta.lock}\nA: `);
    assert.equal(t.reference, code);
    assert.equal((await env.evaluate(t, code)).reward, 1);
    assert.equal((await env.evaluate(t, ` ${code}\n1+1=2`)).reward, 1);
    assert.equal((await env.evaluate(t, `${code}0`)).reward, 0);
    assert.equal((await env.evaluate(t, `1+1=2\n${code}`)).reward, 0);
    const empty = await env.evaluate(t, '');
    assert.equal(empty.reward, 0);
    assert.equal(empty.feedback.summary, 'no answer line');
  }
  await assert.rejects(getEnv('lock', { answerInPrompt: 'yes' }), /answerInPrompt must be true or false/);
});
