import { test } from 'node:test';
import assert from 'node:assert/strict';
import { captureLog as capture } from './helpers.ts';
import commands, { corrupt, formatLevels } from '../../src/cli/commands/env.ts';
import { UsageError } from '../../src/cli/command.ts';
import { Rng } from '../../src/util/rng.ts';

const [sample, list] = commands;

test('env list shows every env with its levels, and what file envs need', async () => {
  assert.equal(list.name, 'env list');
  const { code, out } = await capture(() => list.run([]));
  assert.equal(code, 0);
  assert.match(out, /^math {2}levels 1-24$/m);
  assert.match(out, /^science {2}levels 1-9$/m);
  assert.match(out, /^math-jsonl {2}\(.*needs a JSONL file/m);
  assert.match(out, /^code /m);
});

test('env sample prints tasks, references, a wrong answer and its feedback; same seed same output', async () => {
  const args = ['--env', 'math', '--n', '2', '--level', '3', '--seed', '4', '--context', 'critique'];
  const a = await capture(() => sample.run(args));
  const b = await capture(() => sample.run(args));
  assert.equal(a.code, 0);
  assert.equal(a.out, b.out);
  assert.equal(a.out.match(/^--- math\/train\/3\/\d{4} \(level 3\)$/gm)?.length, 2);
  assert.equal(a.out.match(/^reference check: correct \(reward 1\)$/gm)?.length, 2);
  assert.match(a.out, /^ {2}- \[(wrong_step|wrong_answer|format)\] /m);
  assert.match(a.out, /^teacher context \(critique\):\n {2}Q: /m);
});

test('env sample works for a file env and for the test split', async () => {
  const path = new URL('../fixtures/data/gsm8k-sample.jsonl', import.meta.url).pathname;
  const { code, out } = await capture(() => sample.run(['--env', 'math-jsonl', '--path', path, '--n', '1', '--split', 'test']));
  assert.equal(code, 0);
  assert.match(out, /^--- math-jsonl\/test\/1\/line\d+ \(level 1\)$/m);
  assert.match(out, /feedback: wrong final answer \(reward 0\)/);
});

test('bad arguments are usage errors', async () => {
  await assert.rejects(sample.run([]), (e: Error) => e instanceof UsageError && /--env NAME is required/.test(e.message));
  await assert.rejects(sample.run(['--env', 'nope']), /unknown env 'nope'; envs: (.*, )?code, humaneval-js, (.*, )?math, math-jsonl, mcq-jsonl, science/);
  await assert.rejects(sample.run(['--env', 'math', '--n', 'many']), /--n must be an integer/);
  await assert.rejects(sample.run(['--env', 'math', '--level', 'x']), /--level takes integers/);
  await assert.rejects(sample.run(['--env', 'math', '--bogus', '1']), /unknown option --bogus/);
  await assert.rejects(sample.run(['--env', 'math', '--context', 'vibes']), /unknown --context 'vibes'/);
});

test('corrupt changes exactly one character of a reference (a digit when there is one)', () => {
  const ref = '4-5=9\n9*3=7\nA: 7';
  const out = corrupt(ref, new Rng(1));
  const diff = [...ref].filter((c, i) => out[i] !== c);
  assert.equal(out.length, ref.length);
  assert.equal(diff.length, 1);
  assert.equal(corrupt('Answer: B', new Rng(1)), 'Answer: C');
  assert.equal(formatLevels([1, 2, 3, 5, 7, 8]), '1-3, 5, 7-8');
});

test('wrongAttempt uses the env slip models where they exist', async () => {
  const { wrongAttempt } = await import('../../src/cli/commands/env.ts');
  const chem = { id: 'c', env: 'science', level: 1, prompt: 'Q: H2+O2=H2O\n', reference: 'A: 2H2+O2=2H2O', meta: { kind: 'chem', equation: 'H2+O2=H2O', coefficients: [2, 1, 2] } };
  assert.match(wrongAttempt(chem, new Rng(1)), /^A: \d*H2\+\d*O2=\d*H2O$/);
  const other = { id: 'o', env: 'x', level: 1, prompt: 'p', reference: 'Answer: A', meta: {} };
  assert.equal(wrongAttempt(other, new Rng(1)), 'Answer: B');
});
