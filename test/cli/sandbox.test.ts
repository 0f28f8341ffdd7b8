import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { captureLog as capture } from './helpers.ts';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sandbox, { parseTestsFile } from '../../src/cli/commands/sandbox.ts';
import { UsageError } from '../../src/cli/command.ts';

const dir = mkdtempSync(join(tmpdir(), 'distil-sandbox-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const tests = file('t.json', JSON.stringify({ entry: 'add', tests: [{ args: [1, 2], expected: 3 }, { args: [5, 5], expected: 10 }, { args: [0, 0], expected: 0 }] }));

test('JSON tests: a correct function passes, exit code 0', async () => {
  const { code, out } = await capture(() => sandbox.run(['--code', file('ok.js', 'function add(a, b) { return a + b }'), '--tests', tests]));
  assert.equal(code, 0);
  assert.match(out, /^reward 1 \(all 3 tests passed\)$/m);
  assert.match(out, /^ {2}pass {9}add\(1,2\) = 3$/m);
});

test('JSON tests: a wrong function lists each test and the feedback, exit code 1; --json', async () => {
  const bad = file('bad.js', 'function add(a, b) {\n  console.log("adding", a, b)\n  return a * b\n}');
  const { code, out } = await capture(() => sandbox.run(['--code', bad, '--tests', tests]));
  assert.equal(code, 1);
  assert.match(out, /^reward 0\.333 \(1\/3 tests passed\)$/m);
  assert.match(out, /^ {2}FAIL {9}add\(1,2\): got 2, expected 3$/m);
  assert.match(out, /^feedback: \[test_failed\] add\(1,2\) returned 2, expected 3$/m);
  assert.match(out, /^console output:\nadding 1 2\nadding 5 5\nadding 0 0$/m);
  const j = await capture(() => sandbox.run(['--code', bad, '--tests', tests, '--json']));
  const r = JSON.parse(j.out);
  assert.equal(j.code, 1);
  assert.equal(r.reward, 1 / 3);
  assert.equal(r.status, 'ok');
  assert.deepEqual(r.tests.map((t: { status: string }) => t.status), ['fail', 'fail', 'pass']);
  assert.equal(r.tests[0].call, 'add(1,2)');
  assert.equal(r.feedback.items[0].where.testCase, 0);
});

test('HumanEval-style test code, and a time-out', async () => {
  const testCode = file('t.js', "const assert = require('node:assert');\nassert.deepEqual(twice([1]), [1, 1]);\nassert.equal(twice([]).length, 0);\n");
  const ok = await capture(() => sandbox.run(['--code', file('tw.js', 'function twice(a){ return a.concat(a) }'), '--tests', testCode, '--json']));
  assert.equal(ok.code, 0);
  assert.equal(JSON.parse(ok.out).tests.length, 2);
  const slow = await capture(() => sandbox.run(['--code', file('loop.js', 'function twice(a){ for(;;){} }'), '--tests', testCode, '--timeout', '200']));
  assert.equal(slow.code, 1);
  assert.match(slow.out, /^feedback: \[timeout\] the tests did not finish within 200 ms$/m);
});

test('bad usage and bad tests files are usage errors naming the problem', async () => {
  await assert.rejects(sandbox.run(['--tests', tests]), (e: Error) => e instanceof UsageError && /--code FILE is required/.test(e.message));
  await assert.rejects(sandbox.run(['--code', 'x', '--tests', tests, '--bogus']), UsageError);
  await assert.rejects(sandbox.run(['--code', join(dir, 'missing.js'), '--tests', tests]), /cannot read the code file/);
  await assert.rejects(sandbox.run(['--code', tests, '--tests', tests, '--timeout', '0']), /--timeout must be a positive integer/);
  assert.throws(() => parseTestsFile('x.json', '{"tests": [{"args": 1}]}'), /test 0 must be/);
  assert.throws(() => parseTestsFile('x.json', '{oops'), /x.json: not valid JSON/);
  assert.deepEqual(parseTestsFile('x.json', '[{"args": [], "expected": null}]', 'g'), { mode: 'calls', entry: 'g', tests: [{ args: [], expected: null }] });
});
