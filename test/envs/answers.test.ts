/**
 * Outcome.answer (the canonical final answer, for label-free voting) and Outcome.components
 * (named reward channels): equivalent answers get the same string, different ones differ, no
 * answer gives none.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getEnv } from '../../src/envs/registry.ts';
import { canonicalAnswer } from '../../src/envs/loaders/answers.ts';
import { canonicalCode } from '../../src/envs/code/index.ts';
import { LETTERS } from '../../src/envs/loaders/mcq.ts';

test('math: the answer line, canonical; components answer and work', async () => {
  const env = await getEnv('math');
  for (const task of env.tasks('test', 6, 1, { levels: [3, 14, 17] })) {
    const ref = task.reference!;
    const right = await env.evaluate(task, ref);
    assert.ok(right.correct && right.answer !== undefined, task.id);
    assert.deepEqual(right.components, { answer: 1, work: 1 });
    const spaced = await env.evaluate(task, ref.replace(/(A|answer)\s*:\s*(.*)$/im, (_m, a, v) => `${a}:   ${v} .`));
    assert.equal(spaced.answer, right.answer, `${task.id}: spacing and a final period do not change the answer`);
    const noAnswer = await env.evaluate(task, ref.split('\n').filter((l) => !/^(A|answer)\s*:/i.test(l.trim())).join('\n'));
    assert.equal(noAnswer.answer, undefined);
  }
  const [t] = env.tasks('test', 1, 2, { levels: [3] });
  const lines = t.reference!.split('\n');
  const wrongAnswer = lines.map((l) => (/^A:/.test(l) ? `A: ${(Number(l.slice(2)) + 1) % 10}` : l)).join('\n');
  const o = await env.evaluate(t, wrongAnswer);
  assert.notEqual(o.answer, (await env.evaluate(t, t.reference!)).answer);
  assert.deepEqual(o.components, { answer: 0, work: 1 }, 'right work, wrong answer');
  const wrongStep = [lines[0].replace(/=(\d)$/, (_m, d) => `=${(Number(d) + 1) % 10}`), ...lines.slice(1)].join('\n');
  assert.equal((await env.evaluate(t, wrongStep)).components?.work, 0);
});

test('science: chem answers are the coefficients, units answers value and unit', async () => {
  const env = await getEnv('science');
  const tasks = env.tasks('test', 40, 3);
  for (const kind of ['chem', 'units']) {
    const task = tasks.find((x) => x.meta.kind === kind)!;
    assert.ok(task, `a ${kind} task`);
    const right = await env.evaluate(task, task.reference!);
    assert.ok(right.correct && right.answer, `${kind}: ${JSON.stringify(right)}`);
    assert.equal((await env.evaluate(task, task.reference!.replace(/ +/g, '  '))).answer, right.answer, `${kind}: spacing`);
    assert.equal((await env.evaluate(task, '')).answer, undefined);
  }
});

test('file envs and code: canonical spellings', () => {
  assert.equal(canonicalAnswer('\\boxed{}1,000.0'.replace('\\boxed{}', '')), '1000');
  assert.equal(canonicalAnswer('$\\frac{1}{2}$'), '0.5');
  assert.equal(canonicalAnswer(' 0.50 '), '0.5');
  assert.equal(canonicalAnswer('x+1'), 'x+1');
  assert.equal(LETTERS[2], 'C');
  assert.equal(canonicalCode('```js\nfunction f(x) {\n  return x+1;\n}\n```'), canonicalCode('function f(x) { return x+1; }'));
  assert.notEqual(canonicalCode('function f(x){return x+1}'), canonicalCode('function f(x){return x+2}'));
});
