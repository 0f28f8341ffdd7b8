import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMathEnv } from '../../../src/envs/math/index.ts';
import { slipAttempt } from '../../../src/envs/math/slips.ts';
import { Rng } from '../../../src/util/rng.ts';

const env = createMathEnv();

test('a slipped attempt is flagged at its first slip, and later steps follow from the wrong value', async () => {
  const rng = new Rng(5);
  for (const t of env.tasks('train', 30, 2, { levels: [3, 6, 13, 15] })) {
    const { completion, slipSteps } = slipAttempt(t, rng, 2);
    const o = await env.evaluate(t, completion);
    const first = o.feedback.items[0];
    assert.deepEqual([first.kind, first.where?.step], ['wrong_step', slipSteps[0]], `${t.prompt}${completion}`);
    // Carried on: after the first slip, no line is malformed (each applies its operation).
    const lines = completion.split('\n');
    assert.equal(lines.length, (t.meta.steps as string[]).length + 1);
  }
});

test('deterministic, and refuses tasks without operation steps', () => {
  const [t] = env.tasks('train', 1, 0, { levels: [5] });
  assert.deepEqual(slipAttempt(t, new Rng(1)), slipAttempt(t, new Rng(1)));
  const [eq] = env.tasks('train', 1, 0, { levels: [17] });
  assert.throws(() => slipAttempt(eq, new Rng(1)), /only chain and arith/);
});

test('a chain slip propagates: 4-5*3*2 with a slip at step 1', () => {
  const t = { id: 't', env: 'math', level: 3, prompt: 'Q: 4-5*3*2\n', meta: { kind: 'chain', steps: ['4-5=9', '9*3=7', '7*2=4'], answer: '4' } };
  for (let seed = 0; seed < 20; seed++) {
    const { completion, slipSteps } = slipAttempt(t, new Rng(seed));
    if (slipSteps[0] !== 1) continue;
    const [l0, l1, l2] = completion.split('\n');
    assert.equal(l0, '4-5=9');
    assert.match(l1, /^9\*3=\d$/);
    assert.notEqual(l1, '9*3=7');
    const carried = Number(l1.at(-1));
    assert.equal(l2, `${carried}*2=${(carried * 2) % 10}`);
    return;
  }
  assert.fail('no seed in 0-19 slipped at step 1');
});
