import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMathEnv } from '../../../src/envs/math/index.ts';
import { applyMod10, generateChain } from '../../../src/envs/math/chain.ts';
import { reduceExpression } from '../../../src/envs/math/arith.ts';
import { verifyMath } from '../../../src/envs/math/verify.ts';
import { mathTestFraction } from '../../../src/envs/math/levels.ts';
import { splitOf } from '../../../src/envs/loaders/split.ts';
import type { Task } from '../../../src/envs/types.ts';
import { Rng } from '../../../src/util/rng.ts';

const env = createMathEnv();

/** A fixed chain task: 4-5*3*2 -> 9, 7, 4. */
const chain: Task = {
  id: 't', env: 'math', level: 3, prompt: 'Q: 4-5*3*2\n', reference: '4-5=9\n9*3=7\n7*2=4\nA: 4',
  meta: { kind: 'chain', steps: ['4-5=9', '9*3=7', '7*2=4'], answer: '4', answerLine: 'A: 4' },
};

test('mod-10 chain arithmetic, left to right', () => {
  assert.equal(applyMod10(4, '-', 5), 9);
  assert.equal(applyMod10(9, '*', 3), 7);
  assert.equal(applyMod10(7, '+', 8), 5);
  const g = generateChain(4, new Rng(1));
  const steps = g.meta.steps as string[];
  assert.equal(steps.length, 4);
  assert.match(g.prompt, /^Q: \d([+\-*]\d){4}\n$/);
  assert.equal(g.reference, [...steps, `A: ${g.meta.answer}`].join('\n'));
  // Each step starts from the previous result.
  for (let i = 1; i < steps.length; i++) assert.equal(steps[i][0], steps[i - 1].at(-1));
});

test('multi-digit arithmetic reduces * first, then left to right', () => {
  const r = reduceExpression([12, 3, 45, 6], ['+', '*', '-']);
  assert.deepEqual(r.steps, ['3*45=135', '12+135=147', '147-6=141']);
  assert.equal(r.value, 12 + 3 * 45 - 6);
});

test('tasks are deterministic by seed and differ across seeds', () => {
  const a = env.tasks('train', 20, 7, { levels: [3, 13, 17, 18, 19] });
  const b = env.tasks('train', 20, 7, { levels: [3, 13, 17, 18, 19] });
  const c = env.tasks('train', 20, 8, { levels: [3, 13, 17, 18, 19] });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.map((t) => t.prompt), c.map((t) => t.prompt));
  assert.equal(new Set(a.map((t) => t.id)).size, 20);
});

test('every generated reference verifies as correct with no feedback items, at every level', async () => {
  for (const level of env.levels) {
    for (const t of env.tasks('train', 5, level, { levels: [level] })) {
      const o = await env.evaluate(t, t.reference!);
      assert.deepEqual([o.correct, o.reward, o.feedback.items], [true, 1, []], `${t.prompt} -> ${t.reference}`);
    }
  }
});

test('test split never coincides with train, even on level 1 (300 prompts in all)', () => {
  for (const level of [1, 2, 5, 14, 17]) {
    const train = new Set(env.tasks('train', 2000, 1, { levels: [level] }).map((t) => t.prompt));
    const test = env.tasks('test', 500, 2, { levels: [level] }).map((t) => t.prompt);
    assert.ok(test.every((p) => !train.has(p)), `level ${level}`);
  }
  // Level 1's whole space is 10 digits x 3 ops x 10 digits; about a fifth of it is test-only.
  const all: string[] = [];
  for (let a = 0; a < 10; a++) for (const op of '+-*') for (let b = 0; b < 10; b++) all.push(`Q: ${a}${op}${b}\n`);
  const testSpace = new Set(all.filter((p) => splitOf('math', p, mathTestFraction(1)) === 'test'));
  assert.ok(testSpace.size >= 30 && testSpace.size <= 90, `level-1 test space has ${testSpace.size} prompts`);
  const test1 = new Set(env.tasks('test', 200, 3, { levels: [1] }).map((t) => t.prompt));
  assert.ok([...test1].every((p) => testSpace.has(p)));
  assert.ok(test1.size > testSpace.size / 2, 'a large test draw covers most of the test space');
  const train1 = env.tasks('train', 500, 3, { levels: [1] }).map((t) => t.prompt);
  assert.ok(train1.every((p) => all.includes(p) && !testSpace.has(p)));
});

test('unknown levels are refused with the list of levels', () => {
  assert.throws(() => env.tasks('train', 1, 0, { levels: [42] }), /unknown level\(s\) 42; levels are 1, 2/);
});

test('wrong step: first wrong line reported with step, line, span, expected and actual', async () => {
  const completion = '4-5=9\n9*3=8\n8*2=6\nA: 6';
  const o = await verifyMath(chain, completion);
  assert.equal(o.correct, false);
  assert.equal(o.reward, 0);
  const [step, answer] = o.feedback.items;
  assert.deepEqual(step, {
    kind: 'wrong_step', text: 'line 2 should be 9*3=7', where: { step: 1, line: 2, span: [6, 11] }, expected: '9*3=7', actual: '9*3=8',
  });
  assert.equal(completion.slice(6, 11), '9*3=8');
  assert.deepEqual([answer.kind, answer.expected, answer.actual], ['wrong_answer', '4', '6']);
  assert.equal(o.feedback.items.length, 2);
});

test('right steps but a wrong final answer: only the answer is flagged', async () => {
  const o = verifyMath(chain, '4-5=9\n9*3=7\n7*2=4\nA: 5');
  assert.equal(o.correct, false);
  assert.deepEqual(o.feedback.items.map((i) => [i.kind, i.where?.line, i.expected, i.actual]), [['wrong_answer', 4, '4', '5']]);
});

test('right answer with a wrong step: correct (reward is the final answer) but the step is still reported', () => {
  const o = verifyMath(chain, '4-5=9\n9*3=8\n7*2=4\nA: 4');
  assert.equal(o.correct, true);
  assert.equal(o.reward, 1);
  assert.equal(o.feedback.items[0].kind, 'wrong_step');
});

test('malformed completions get format feedback', () => {
  const noAnswer = verifyMath(chain, '4-5=9\n9*3=7\n7*2=4');
  assert.equal(noAnswer.correct, false);
  assert.deepEqual(noAnswer.feedback.items.map((i) => i.kind), ['format']);
  assert.match(noAnswer.feedback.items[0].text, /no answer line/);

  const garbage = verifyMath(chain, '4-5=9\nhello\nA: 4');
  assert.equal(garbage.feedback.items[0].kind, 'format');
  assert.deepEqual(garbage.feedback.items[0].where, { step: 1, line: 2, span: [6, 11] });

  const empty = verifyMath(chain, '');
  assert.equal(empty.correct, false);
  assert.equal(empty.feedback.items[0].kind, 'format');
});

test('missing and extra steps are located', () => {
  const missing = verifyMath(chain, '4-5=9\nA: 4');
  assert.deepEqual([missing.feedback.items[0].kind, missing.feedback.items[0].where?.step, missing.feedback.items[0].expected], ['missing_step', 1, '9*3=7']);
  const extra = verifyMath(chain, '4-5=9\n9*3=7\n7*2=4\n4+0=4\nA: 4');
  assert.deepEqual([extra.feedback.items[0].kind, extra.feedback.items[0].where?.line, extra.feedback.items[0].expected], ['extra_step', 4, 'A: 4']);
});

test('spacing, blank lines, commuted operands and text after the answer are tolerated', () => {
  const o = verifyMath(chain, ' 4 - 5 = 9\n\n3*9=7\n7 * 2 = 4\nA:4\nQ: next problem');
  assert.deepEqual([o.correct, o.feedback.items], [true, []]);
  // Subtraction does not commute.
  assert.equal(verifyMath(chain, '5-4=9\n9*3=7\n7*2=4\nA: 4').feedback.items[0].kind, 'wrong_step');
});

test('linear equations: step lines are compared as equations, answer as a number', async () => {
  const [t] = env.tasks('test', 1, 3, { levels: [18] });
  const steps = t.meta.steps as string[];
  assert.equal(steps.length, 3);
  const spaced = steps.map((s) => s.replace('=', ' = ')).join('\n') + `\nanswer: x=${t.meta.answer}`;
  assert.equal((await env.evaluate(t, spaced)).correct, true);
  const wrong = [steps[0], steps[1].replace(/=(-?\d+)$/, (_, v) => `=${Number(v) + 1}`), steps[2], `answer: ${t.meta.answer}`].join('\n');
  const o = await env.evaluate(t, wrong);
  assert.deepEqual([o.feedback.items[0].kind, o.feedback.items[0].where?.step, o.feedback.items[0].expected], ['wrong_step', 1, steps[1]]);
});

test('hidden-operator chains (levels 20-24): one # per task, a#b = a+b+k with the world offset', async () => {
  const { getEnv } = await import('../../../src/envs/registry.ts');
  const { slipAttempt } = await import('../../../src/envs/math/slips.ts');
  assert.equal(applyMod10(4, '#', 3, 7), 4);
  assert.equal(applyMod10(9, '#', 9, 1), 9);
  const world = await getEnv('math');
  for (const t of world.tasks('train', 40, 1, { levels: [20, 22, 24] })) {
    assert.equal((t.prompt.match(/#/g) ?? []).length, 1, t.prompt);
    assert.equal((t.meta.hidden as { offset: number }).offset, 7);
    assert.equal((t.meta.steps as string[]).length, t.level - 18);
    const hashStep = (t.meta.steps as string[]).find((s) => s.includes('#'))!;
    const [, a, b, r] = /^(\d)#(\d)=(\d)$/.exec(hashStep)!.map(Number);
    assert.equal(r, (a + b + 7) % 10);
    assert.equal((await world.evaluate(t, t.reference!)).reward, 1);
  }
  // A corpus world draws k per task from its candidates; an attempt believes one of them.
  const corpus = await getEnv('math', { hiddenOffsets: [1, 3, 5, 7] });
  const ks = new Set(corpus.tasks('train', 60, 2, { levels: [22] }).map((t) => (t.meta.hidden as { offset: number }).offset));
  assert.deepEqual([...ks].sort(), [1, 3, 5, 7]);
  const t = corpus.tasks('train', 1, 3, { levels: [21] })[0];
  const wrongHash = [0, 1, 2, 3, 4, 5].map((s) => slipAttempt(t, new Rng(s), 1).completion);
  assert.ok(wrongHash.every((c) => c.includes('#')));
  // Feedback on a wrong # step names its right value.
  const k = (t.meta.hidden as { offset: number }).offset;
  const bad = (t.reference as string).replace(/(\d)#(\d)=(\d)/, (_m, a, b) => `${a}#${b}=${(Number(a) + Number(b) + k + 1) % 10}`);
  const out = await corpus.evaluate(t, bad);
  assert.equal(out.feedback.items[0].kind, 'wrong_step');
  assert.match(out.feedback.items[0].text, /should be \d#\d=\d/);
});

test('hidden offsets are validated', async () => {
  const { getEnv } = await import('../../../src/envs/registry.ts');
  await assert.rejects(getEnv('math', { hiddenOffsets: [10] }), /hiddenOffsets/);
  await assert.rejects(getEnv('math', { hiddenOffsets: [] }), /hiddenOffsets/);
  await assert.rejects(getEnv('math', { hiddenOffsets: [3, 3] }), /hiddenOffsets/);
});
