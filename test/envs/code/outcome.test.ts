/**
 * The reward of a code answer is attack surface: only a run that finished normally earns
 * anything. These build sandbox results by hand, so every status is covered without processes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { callsOutcome, scriptOutcome, type OutcomeContext } from '../../../src/envs/code/outcome.ts';
import type { SandboxResult, TestResult } from '../../../src/envs/code/sandbox/types.ts';

const tests = [{ args: [1], expected: 2 }, { args: [2], expected: 3 }];
const ctx: OutcomeContext = { timeoutMs: 300, memoryMb: 64, outputLimit: 4096, entry: 'f', tests };
const pass = (v: string): TestResult => ({ status: 'pass', expected: v, actual: v });
const result = (over: Partial<SandboxResult>): SandboxResult => ({
  status: 'ok', tests: [pass('2'), pass('3')], passed: 2, console: '', consoleTruncated: false, ms: 1, ...over,
});

test('a normal finish with every test passed earns 1 and no feedback', () => {
  const o = callsOutcome(result({}), ctx);
  assert.deepEqual([o.reward, o.correct, o.feedback.items], [1, true, []]);
});

test('every test returned the right value, then the run timed out: reward 0 and a time-out item', () => {
  const o = callsOutcome(result({ status: 'timeout', phase: 'after' }), ctx);
  assert.equal(o.reward, 0);
  assert.equal(o.correct, false);
  assert.equal(o.feedback.items.length, 1);
  assert.equal(o.feedback.items[0].kind, 'timeout');
  assert.match(o.feedback.items[0].text, /tests returned, but work the code left running .* did not finish within 300 ms/);
  assert.equal(o.feedback.summary, 'timeout: no reward (2/2 tests passed before it)');
});

test('a time-out in a later test: reward 0, the test that was running is named', () => {
  const o = callsOutcome(result({ status: 'timeout', phase: 'tests', tests: [pass('2'), { status: 'timeout', expected: '3' }], passed: 1 }), ctx);
  assert.equal(o.reward, 0);
  assert.deepEqual(o.feedback.items.map((i) => [i.kind, i.text]), [['timeout', 'f(2) did not finish within 300 ms']]);
});

test('memory limit and crash after the tests: reward 0 with an item saying what happened', () => {
  for (const [status, kind, text] of [
    ['memory_limit', 'memory_limit', 'the code ran out of memory (limit 64 MB)'],
    ['crash', 'crash', 'the sandbox process crashed: worker exited'],
  ] as const) {
    const r = result({ status, error: { name: 'Error', message: 'worker exited', line: 0, testLine: 0 } });
    for (const o of [callsOutcome(r, ctx), scriptOutcome(r, { ...ctx, tests: undefined, checks: 2 })]) {
      assert.equal(o.reward, 0, status);
      assert.equal(o.correct, false);
      assert.deepEqual([o.feedback.items[0].kind, o.feedback.items[0].text], [kind, text]);
    }
  }
});

test('output limits earn 0: console output cut, or a returned value too long to compare', () => {
  const spam = callsOutcome(result({ consoleTruncated: true }), ctx);
  assert.deepEqual([spam.reward, spam.correct], [0, false]);
  assert.deepEqual(spam.feedback.items.map((i) => i.kind), ['output_limit']);
  const long = callsOutcome(result({ tests: [pass('2'), { status: 'output_limit', expected: '3', actual: '"xxxx' }], passed: 1 }), ctx);
  assert.equal(long.reward, 0);
  assert.equal(long.feedback.items[0].kind, 'output_limit');
  const script = scriptOutcome(result({ consoleTruncated: true }), { ...ctx, tests: undefined, checks: 2 });
  assert.deepEqual([script.reward, script.correct], [0, false]);
});

test('script jobs: a time-out after the assertions earns 0; an exception keeps the checks before it', () => {
  const sctx = { ...ctx, tests: undefined, checks: 2 };
  const after = scriptOutcome(result({ status: 'timeout', phase: 'after' }), sctx);
  assert.equal(after.reward, 0);
  assert.equal(after.feedback.items[0].kind, 'timeout');
  const threw = scriptOutcome(
    result({ status: 'exception', phase: 'tests', tests: [pass('3')], passed: 1, error: { name: 'Error', message: 'big', line: 2, testLine: 3 } }),
    { ...sctx, checks: 2 },
  );
  assert.equal(threw.reward, 0.5);
  assert.equal(threw.feedback.items[0].kind, 'exception');
  const slowTests = scriptOutcome(result({ status: 'timeout', phase: 'tests', tests: [pass('3')], passed: 1 }), sctx);
  assert.equal(slowTests.reward, 0);
  assert.equal(slowTests.feedback.items[0].text, 'the tests did not finish within 300 ms');
});
