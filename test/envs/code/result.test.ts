import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromDeath, fromReply, type WorkerReply } from '../../../src/envs/code/sandbox/result.ts';
import type { CallsJob } from '../../../src/envs/code/sandbox/types.ts';

const job: CallsJob = { mode: 'calls', code: '', entry: 'f', tests: [{ args: [1], expected: 1 }, { args: [2], expected: 2 }, { args: [3], expected: 3 }] };
const expected = ['1', '2', '3'];
const reply = (over: Partial<WorkerReply>, records: WorkerReply['raw']['records'] = []): WorkerReply => ({
  status: 'ok', ms: 1, ...over, raw: { records, console: '', consoleTruncated: false, tampered: false, ...over.raw },
});

test('a time-out during the tests: the next test timed out, the rest did not run', () => {
  const r = fromReply(job, expected, reply({ status: 'timeout', phase: 'tests' }, [{ s: 'ok', a: '1' }]));
  assert.deepEqual(r.tests.map((t) => t.status), ['pass', 'timeout', 'not_run']);
  assert.equal(r.passed, 1);
  assert.equal(r.phase, 'tests');
});

test('a time-out while loading: nothing ran', () => {
  const r = fromReply(job, expected, reply({ status: 'timeout', phase: 'load' }));
  assert.deepEqual(r.tests.map((t) => t.status), ['not_run', 'not_run', 'not_run']);
});

test('no entry point, tampering, output limit and exceptions', () => {
  assert.equal(fromReply(job, expected, reply({}, [{ s: 'no_entry' }])).status, 'no_entry');
  const tampered = fromReply(job, expected, reply({ raw: { records: [], console: '', consoleTruncated: false, tampered: true } }, [{ s: 'ok', a: '1' }, { s: 'ok', a: '2' }, { s: 'ok', a: '3' }]));
  assert.deepEqual([tampered.status, tampered.passed], ['tampered', 0]);
  const mixed = fromReply(job, expected, reply({}, [
    { s: 'output_limit', a: '"xxx' },
    { s: 'exception', e: { name: 'TypeError', message: 'm', line: 2, testLine: 0 } },
    { s: 'ok', a: '4' },
  ]));
  assert.deepEqual(mixed.tests.map((t) => t.status), ['output_limit', 'exception', 'fail']);
  assert.equal(mixed.tests[1].error?.line, 2);
  assert.deepEqual([mixed.tests[2].actual, mixed.tests[2].expected], ['4', '3']);
});

test('a dead worker: every test not run, the cause kept', () => {
  const r = fromDeath(job, expected, 'crash', 5, 'exit code 1');
  assert.deepEqual([r.status, r.passed, r.error?.message], ['crash', 0, 'exit code 1']);
  assert.deepEqual(r.tests.map((t) => t.status), ['not_run', 'not_run', 'not_run']);
  assert.deepEqual(fromDeath({ mode: 'script', code: '', testCode: '' }, [], 'memory_limit', 5).tests, []);
});
