import { test } from 'node:test';
import assert from 'node:assert/strict';
import { answersEqual, extractAnswer, lastBoxed } from '../../../src/envs/loaders/answers.ts';
import { loadMathJsonl } from '../../../src/envs/loaders/gsm8k.ts';
import { extractChoice, loadMcqJsonl } from '../../../src/envs/loaders/mcq.ts';
import { createMathJsonlEnv } from '../../../src/envs/loaders/math-jsonl-env.ts';
import { createMcqJsonlEnv } from '../../../src/envs/loaders/mcq-env.ts';

const data = (f: string) => new URL(`../../fixtures/data/${f}`, import.meta.url).pathname;

test('final answers: #### and \\boxed (nested braces), answer:, last number', () => {
  assert.equal(extractAnswer('so 3+4=7\n#### 7'), '7');
  assert.equal(extractAnswer('first \\boxed{1} then \\boxed{\\frac{1}{2}} done'), '\\frac{1}{2}');
  assert.equal(lastBoxed('\\boxed{x^{2}+1}'), 'x^{2}+1');
  assert.equal(extractAnswer('work\nAnswer: 12'), '12');
  assert.equal(extractAnswer('So the answer is 15.'), '15');
  assert.equal(extractAnswer('I got 3, then 1,250'), '1,250');
  assert.equal(extractAnswer('no numbers here'), null);
});

test('answer equivalence: numbers, thousands separators, fractions, LaTeX', () => {
  const same = [['1,000', '1000'], ['1000.0', '1000'], ['3/4', '0.75'], ['\\frac{3}{4}', '0.75'], ['\\dfrac{3}{4}', '3/4'], ['\\tfrac34', '0.75'], ['$42$', '42'], ['\\frac{-1}{2}', '-0.5'], ['90^\\circ', '90'], ['10\\%', '10'], ['x + 1', 'x+1'], ['\\text{5}', '5']];
  for (const [a, b] of same) assert.ok(answersEqual(a, b), `${a} = ${b}`);
  const differ = [['42', '43'], ['1,00', '100'], ['3/4', '0.7'], ['x+1', 'x+2'], ['1/0', '0']];
  for (const [a, b] of differ) assert.ok(!answersEqual(a, b), `${a} != ${b}`);
});

test('GSM8K file: questions, final answers after ####, annotations stripped', () => {
  const rows = loadMathJsonl(data('gsm8k-sample.jsonl'));
  assert.equal(rows.length, 4, 'blank lines are skipped');
  assert.deepEqual(rows.map((r) => r.answer), ['24', '950', '21', '2.5']);
  assert.ok(rows[0].solution!.includes('3*4=12 apples') && !rows[0].solution!.includes('<<'));
  assert.deepEqual(rows.map((r) => r.line), [1, 2, 3, 5]);
});

test('MATH file: answer from \\boxed, level from "Level 2", explicit answer field', () => {
  const rows = loadMathJsonl(data('math-sample.jsonl'));
  assert.deepEqual(rows.map((r) => [r.id, r.answer, r.level]), [['prealg/1', '\\frac{3}{4}', 1], ['alg/2', '4', 2], ['line3', '3,600', 1]]);
});

test('malformed math lines fail with file and line number', () => {
  assert.throws(() => loadMathJsonl(data('math-bad-json.jsonl')), (e: Error) => e.message.startsWith(`${data('math-bad-json.jsonl')}:2: not valid JSON`));
  assert.throws(() => loadMathJsonl(data('math-missing-answer.jsonl')), (e: Error) => e.message.startsWith(`${data('math-missing-answer.jsonl')}:3: no final answer`));
  assert.throws(() => loadMathJsonl(data('does-not-exist.jsonl')), /cannot read .*does-not-exist\.jsonl/);
});

test('multiple-choice files in four shapes', () => {
  const rows = loadMcqJsonl(data('mcq-sample.jsonl'));
  assert.deepEqual(rows.map((r) => [r.id, r.answer, r.choices.length]), [['q1', 1, 4], ['q2', 2, 3], ['q3', 1, 4], ['q4', 1, 3], ['q5', 1, 4]]);
  assert.equal(rows[3].question, 'Water boils at sea level at about which temperature?');
  assert.throws(() => loadMcqJsonl(data('mcq-bad-answer.jsonl')), (e: Error) => e.message.startsWith(`${data('mcq-bad-answer.jsonl')}:2: answer "E" is not one of the 2 choices`));
});

test('choice extraction from completions', () => {
  const ch = ['Oxygen', 'Carbon dioxide', 'Nitrogen', 'Helium'];
  assert.equal(extractChoice('Plants use CO2.\nAnswer: B', ch), 1);
  assert.equal(extractChoice('The answer is (C).', ch), 2);
  assert.equal(extractChoice('answer: a', ch), 0);
  assert.equal(extractChoice('\\boxed{D}', ch), 3);
  assert.equal(extractChoice(' B ', ch), 1);
  assert.equal(extractChoice('Answer: carbon dioxide', ch), 1);
  assert.equal(extractChoice('Answer: F', ch), null);
  assert.equal(extractChoice('I am not sure', ch), null);
  assert.equal(extractChoice('Answer: A\nwait, Answer: C', ch), 2, 'the last stated answer counts');
});

test('math-jsonl env: tasks from a file, numeric answer check', async () => {
  const env = createMathJsonlEnv({ path: data('gsm8k-sample.jsonl') });
  const tasks = env.tasks('test', 10, 0);
  assert.equal(tasks.length, 4);
  assert.equal(tasks[0].prompt, 'Q: Mia has 12 apples and buys 3 bags with 4 apples each. How many apples does she have now?\n');
  assert.equal((await env.evaluate(tasks[0], tasks[0].reference!)).correct, true);
  assert.equal((await env.evaluate(tasks[1], 'That leaves 950.0 students.\nanswer: 950')).correct, true);
  const wrong = await env.evaluate(tasks[1], '#### 1,000');
  assert.deepEqual([wrong.correct, wrong.feedback.items[0].kind, wrong.feedback.items[0].expected, wrong.feedback.items[0].actual], [false, 'wrong_answer', '950', '1,000']);
  assert.equal((await env.evaluate(tasks[1], 'no idea')).feedback.items[0].kind, 'format');
  // Sub-sampling is seeded and keeps file order.
  assert.deepEqual(env.tasks('test', 2, 5), env.tasks('test', 2, 5));
  assert.throws(() => env.tasks('train', 1, 0), /no train file/);
  const math = createMathJsonlEnv({ path: data('math-sample.jsonl') });
  assert.deepEqual(math.levels, [1, 2]);
  const [half] = math.tasks('test', 10, 0, { levels: [1] });
  assert.equal((await math.evaluate(half, 'so it is $\\boxed{0.75}$')).correct, true);
  assert.throws(() => createMathJsonlEnv({}), /needs a JSONL file/);
  assert.throws(() => math.tasks('test', 1, 0, { levels: [5] }), /no test rows at level\(s\) 5; the file has levels 1, 2/);
});

test('mcq-jsonl env: train rows that repeat a test question are dropped', async () => {
  const env = createMcqJsonlEnv({ test: data('mcq-sample.jsonl'), train: data('mcq-train-sample.jsonl') });
  const train = env.tasks('train', 10, 0);
  assert.deepEqual(train.map((t) => t.id), ['mcq-jsonl/train/1/t1', 'mcq-jsonl/train/1/t3']);
  const [t] = env.tasks('test', 1, 0, { levels: [2] });
  assert.equal(t.prompt, 'Q: How many protons does a carbon atom have?\nA. 4\nB. 6\nC. 8\nD. 12\n');
  assert.equal((await env.evaluate(t, 'Carbon has 6.\nAnswer: B')).correct, true);
  const o = await env.evaluate(t, 'Answer: C');
  assert.deepEqual([o.reward, o.feedback.items[0].kind, o.feedback.items[0].expected, o.feedback.items[0].actual], [0, 'wrong_answer', 'B', 'C']);
});
