import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getEnv } from '../../../src/envs/registry.ts';
import { ambiguousSolutions, filledDigit, slipAmbiguous } from '../../../src/envs/ambiguous/index.ts';
import { slippedAttempt } from '../../../src/recipes/slips.ts';
import { Rng } from '../../../src/util/rng.ts';

test('ambiguous: every solution of a*d = b (mod 10) is one reward function; reward is their mean', async () => {
  const env = await getEnv('ambiguous');
  const tasks = env.tasks('train', 40, 3);
  for (const t of tasks) {
    const { a, b } = t.meta as { a: number; b: number };
    assert.equal(t.prompt, `Q: ${a}*?=${b}\n`);
    const sol = ambiguousSolutions(t);
    assert.equal(sol.length, 2);
    for (const s of sol) assert.equal((a * Number(s)) % 10, b);
    assert.equal((await env.evaluate(t, t.reference!)).correct, true);
  }
  const t = { id: 'x', env: 'ambiguous', prompt: 'Q: 2*?=4\n', level: 2, meta: { a: 2, b: 4, solutions: ['2', '7'] } };
  assert.deepEqual(await env.evaluate(t, '2*7=4\n4*2=8\nA: 8'), {
    reward: 0.5, correct: true, answer: '7', components: { 'd=2': 0, 'd=7': 1 },
    feedback: { summary: '7 is one of the 2 solutions', items: [] },
  });
  const wrong = await env.evaluate(t, '2*3=4\nA: 7');
  assert.deepEqual([wrong.reward, wrong.correct, wrong.components], [0, false, { 'd=2': 0, 'd=7': 0 }]);
  assert.equal((await env.evaluate(t, ' 2 * 2 = 4 \nA: 2')).answer, '2');
  const none = await env.evaluate(t, 'A: 2\n2*2=4');
  assert.deepEqual([none.reward, none.answer, none.feedback.items[0].kind], [0, undefined, 'format']);
  // Level 5: a = 5 has five solutions.
  for (const t5 of env.tasks('test', 4, 1, { levels: [5] })) assert.equal(ambiguousSolutions(t5).length, 5);
  assert.throws(() => env.tasks('train', 1, 0, { levels: [3] }), /level 3 does not exist/);
  await assert.rejects(getEnv('ambiguous', { foo: 1 }), /unknown option\(s\) foo/);
});

test('ambiguous: references take the solutions in turn; the slip model writes the equation with a wrong digit', async () => {
  const env = await getEnv('ambiguous');
  const tasks = env.tasks('train', 60, 5);
  const refDigits = new Set<string>();
  for (const [i, t] of tasks.entries()) {
    const sol = ambiguousSolutions(t);
    const { a, b } = t.meta as { a: number; b: number };
    assert.equal(t.reference, `${a}*${sol[i % sol.length]}=${b}\nA: ${sol[i % sol.length]}`);
    refDigits.add(`${t.prompt}${filledDigit(a, b, t.reference!)}`);
  }
  // Both solutions of a question appear among the references, not only the smallest.
  const prompts = new Set(tasks.map((t) => t.prompt));
  assert.ok(refDigits.size > prompts.size, `${refDigits.size} (prompt, digit) pairs over ${prompts.size} prompts`);
  const t = tasks[0];
  const { a, b } = t.meta as { a: number; b: number };
  const rng = new Rng(3);
  const seen = new Set<string>();
  for (let j = 0; j < 200; j++) {
    const s = slipAmbiguous(t, rng);
    const d = filledDigit(a, b, s);
    assert.ok(d !== null, s);
    assert.equal(s, `${a}*${d}=${b}\nA: ${d}`);
    assert.equal((await env.evaluate(t, s)).correct, false);
    seen.add(d!);
  }
  assert.equal(seen.size, 8, 'every one of the 8 non-solutions');
  // The pretraining corpus uses it as the env's slip.
  assert.equal(filledDigit(a, b, slippedAttempt(t, new Rng(1))) !== null, true);
  assert.equal((await env.evaluate(t, slippedAttempt(t, new Rng(1)))).correct, false);
});
