import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHumanEvalJsEnv, humanEvalTasks, loadHumanEvalJs } from '../../../src/envs/loaders/humaneval.ts';
import { createCodeEnv } from '../../../src/envs/code/index.ts';
import { DataError } from '../../../src/envs/loaders/jsonl.ts';

const SAMPLE = new URL('../../fixtures/data/humaneval-js-sample.jsonl', import.meta.url).pathname;
const code = createCodeEnv({ timeoutMs: 2000 });
const dir = mkdtempSync(join(tmpdir(), 'distil-humaneval-'));
after(async () => {
  await code.close?.();
  rmSync(dir, { recursive: true, force: true });
});

test('the sample file loads into code tasks', () => {
  const tasks = humanEvalTasks(SAMPLE);
  assert.equal(tasks.length, 4);
  assert.deepEqual(tasks.map((t) => t.id), ['humaneval/JavaScript/0', 'humaneval/JavaScript/1', 'humaneval/JavaScript/2', 'humaneval/JavaScript/3']);
  assert.deepEqual(tasks.map((t) => t.meta.entry), ['has_close_elements', 'below_zero', 'decode_shift', 'rolling_max']);
  assert.deepEqual(tasks.map((t) => t.meta.checks), [5, 5, 1, 4]);
  assert.ok(tasks.every((t) => t.env === 'code' && t.meta.mode === 'script' && typeof t.reference === 'string'));
});

test('canonical solutions pass in the code env; both assertion styles count', async () => {
  for (const t of humanEvalTasks(SAMPLE)) {
    const o = await code.evaluate(t, t.reference!);
    assert.equal(o.correct, true, `${t.id}: ${JSON.stringify(o.feedback)}`);
    assert.equal(o.reward, 1);
  }
});

test('wrong completions get partial credit and say which assertion failed', async () => {
  const [close, below, shift, rolling] = humanEvalTasks(SAMPLE);
  const none = await code.evaluate(close, '  return false;\n}\n');
  assert.equal(none.reward, 2 / 5);
  assert.equal(none.feedback.items[0].kind, 'test_failed');
  assert.equal(none.feedback.items[0].where?.testCase, 0);
  assert.deepEqual([none.feedback.items[0].expected, none.feedback.items[0].actual], ['true', 'false']);
  assert.match(none.feedback.items[0].text, /assertion 1 \(test line 6\) deepEqual: got false, expected true/);
  const yes = await code.evaluate(below, '  return true;\n}\n');
  assert.equal(yes.reward, 2 / 5);
  // A loop of assertions counts each executed check.
  const id = await code.evaluate(shift, '  return s;\n}\n');
  assert.equal(id.reward, 0);
  const thrown = await code.evaluate(rolling, '  if (numbers.length > 4) throw new RangeError("too long");\n  return numbers;\n}\n');
  assert.equal(thrown.correct, false);
  assert.equal(thrown.reward, 2 / 4); // [] and [1,2,3,4] pass, [4,3,2,1] fails, the throw stops the rest
  assert.equal(thrown.feedback.items[0].where?.testCase, 2);
  const ex = thrown.feedback.items.find((i) => i.kind === 'exception');
  assert.ok(ex, JSON.stringify(thrown.feedback));
  assert.equal(ex.where?.line, 1); // line 1 of the completion
  assert.match(ex.text, /RangeError: too long/);
});

test('a completion that restates the whole function replaces the prompt\'s copy, helpers kept', async () => {
  const [, below, shift] = humanEvalTasks(SAMPLE);
  const full = "```js\nfunction decode_shift(s){\n  return s.split('').map((c) => String.fromCharCode((c.charCodeAt(0) - 102 + 26) % 26 + 97)).join('');\n}\n```";
  assert.equal((await code.evaluate(shift, full)).correct, true);
  const arrow = 'const below_zero = (ops) => { let b = 0; for (const o of ops) { b += o; if (b < 0) return true } return false }';
  assert.equal((await code.evaluate(below, arrow)).correct, true);
});

test('a syntax error in the completion is reported with its line in the completion', async () => {
  const [close] = humanEvalTasks(SAMPLE);
  const o = await code.evaluate(close, '  return (;\n}\n');
  assert.equal(o.feedback.items[0].kind, 'syntax_error');
  assert.equal(o.feedback.items[0].where?.line, 1);
});

test('malformed files fail with the file and line', () => {
  const bad = join(dir, 'bad.jsonl');
  const good = JSON.stringify({ task_id: 'a', prompt: 'function f(x){\n', entry_point: 'f', test: 'console.assert(f(1) === 1)' });
  writeFileSync(bad, `${good}\n{"task_id": "b", "prompt": oops}\n`);
  assert.throws(() => loadHumanEvalJs(bad), (e: Error) => e instanceof DataError && e.message.startsWith(`${bad}:2:`));
  writeFileSync(bad, `${good}\n${JSON.stringify({ task_id: 'b', prompt: 'function g(){\n', entry_point: 'g' })}\n`);
  assert.throws(() => loadHumanEvalJs(bad), new RegExp(`${bad}:2: missing field 'test' or 'tests'`));
  writeFileSync(bad, JSON.stringify({ task_id: 'c', prompt: 'x', entry_point: 'not valid', test: 't' }));
  assert.throws(() => loadHumanEvalJs(bad), new RegExp(`${bad}:1: entry_point must be a JavaScript identifier`));
  writeFileSync(bad, `${good}\n${good}\n`);
  assert.throws(() => loadHumanEvalJs(bad), /:2: task_id "a" appears twice/);
  // Without entry_point, the last function the prompt declares is the entry point.
  writeFileSync(bad, JSON.stringify({ task_id: 'd', prompt: 'function helper(){}\nconst main = (x) => {\n', test: 't' }));
  assert.equal(loadHumanEvalJs(bad)[0].entry, 'main');
});

test('the humaneval-js env draws file rows and evaluates them', async () => {
  const env = createHumanEvalJsEnv({ path: SAMPLE, timeoutMs: 2000 });
  try {
    const tasks = env.tasks('test', 2, 1);
    assert.equal(tasks.length, 2);
    assert.ok(tasks.every((t) => t.env === 'humaneval-js'));
    assert.equal((await env.evaluate(tasks[0], tasks[0].reference!)).correct, true);
    assert.throws(() => env.tasks('train', 1, 1), /no train file/);
  } finally {
    await env.close?.();
  }
});
