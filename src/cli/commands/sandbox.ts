/**
 * `distil sandbox --code FILE --tests FILE [--json]`: run a candidate against tests exactly
 * as the `code` env does, and show the reward, each test, and the feedback.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { UsageError, type Command } from '../command.ts';
import { judgeCode, type CodeTaskMeta } from '../../envs/code/index.ts';
import { callText } from '../../envs/code/generate.ts';
import { Sandbox } from '../../envs/code/sandbox/index.ts';
import type { CallTest, TestResult } from '../../envs/code/sandbox/types.ts';
import type { Task } from '../../envs/types.ts';

const HELP = `Usage: distil sandbox --code FILE --tests FILE [--entry NAME] [--timeout MS] [--memory MB] [--json]

Runs the JavaScript in --code against --tests in the sandbox, exactly as the code env
evaluates a completion, and prints the reward, each test's result and the feedback.

Tests file formats:
  JSON (file ending in .json), calls of one function:
    {"entry": "f", "tests": [{"args": [1], "expected": 4}, {"args": [5], "expected": 8}]}
    or just the array [{"args": [...], "expected": ...}, ...] (entry from --entry, default f).
    Values are JSON; a test passes when the returned value renders exactly like "expected".
  Anything else: HumanEval-style JavaScript test code, run after the code, strict, in a
    context of its own (the functions the code defines are visible by name). It may use
    require('assert') / require('node:assert') (ok, equal, strictEqual, deepEqual,
    deepStrictEqual, their not- forms, throws) and console.assert. Each assertion is one test;
    a failed assertion does not stop the ones after it.

Options:
  --entry NAME   function to call for JSON tests (default: the file's "entry", else f)
  --timeout MS   CPU time for the whole evaluation (default 1000)
  --memory MB    heap limit of the sandbox process (default 256)
  --json         print one JSON object: {reward, correct, status, tests, feedback, console}

Exit code: 0 when every test passes, 1 when not, 2 for bad usage.`;

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read the ${what} file ${path}: ${(err as Error).message}`);
  }
}

/** The tests file as the meta of a code task. */
export function parseTestsFile(path: string, text: string, entryFlag?: string): CodeTaskMeta {
  if (!path.endsWith('.json')) return { mode: 'script', entry: entryFlag ?? 'f', testCode: text };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${path}: not valid JSON (${(err as Error).message})`);
  }
  const obj = Array.isArray(data) ? { tests: data } : (data as { entry?: unknown; tests?: unknown });
  if (!obj || typeof obj !== 'object' || !Array.isArray(obj.tests)) {
    throw new UsageError(`${path}: expected {"entry": NAME, "tests": [{"args": [...], "expected": VALUE}, ...]} or the tests array alone`);
  }
  const entry = entryFlag ?? (obj as { entry?: unknown }).entry ?? 'f';
  if (typeof entry !== 'string' || !/^[A-Za-z_$][\w$]*$/.test(entry)) throw new UsageError(`${path}: entry must be a JavaScript identifier, got ${JSON.stringify(entry)}`);
  const tests: CallTest[] = obj.tests.map((t: unknown, i: number) => {
    const tt = t as { args?: unknown; expected?: unknown };
    if (!tt || typeof tt !== 'object' || !Array.isArray(tt.args) || !('expected' in tt)) {
      throw new UsageError(`${path}: test ${i} must be {"args": [...], "expected": VALUE}`);
    }
    return { args: tt.args, expected: tt.expected };
  });
  return { mode: 'calls', entry, tests };
}

function positiveInt(v: string | undefined, name: string, dflt: number): number {
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new UsageError(`--${name} must be a positive integer, got '${v}'`);
  return Number(v);
}

function testLine(t: TestResult, i: number, meta: CodeTaskMeta): string {
  const mark = t.status === 'pass' ? 'pass' : t.status === 'fail' ? 'FAIL' : t.status.toUpperCase();
  const what = meta.mode === 'calls' ? callText(meta.tests[i].args, meta.entry) : `assertion ${i + 1}${t.line ? ` (line ${t.line})` : ''}${t.op ? ` ${t.op}` : ''}`;
  let detail = '';
  if (t.status === 'pass') detail = meta.mode === 'calls' ? ` = ${t.actual}` : '';
  else if (t.status === 'exception') detail = `: threw ${t.error?.name}: ${t.error?.message}`;
  else if (t.actual !== undefined) detail = `: got ${t.actual}${t.expected !== undefined ? `, expected ${t.expected}` : ''}`;
  else if (t.expected !== undefined) detail = `: expected ${t.expected}`;
  return `  ${mark.padEnd(12)} ${what}${detail}`;
}

const sandboxCommand: Command = {
  name: 'sandbox',
  summary: 'Run JavaScript against tests in the sandbox, as the code env does',
  help: HELP,
  async run(argv) {
    let values: Record<string, string | boolean | undefined>;
    try {
      ({ values } = parseArgs({
        args: argv,
        options: {
          code: { type: 'string' },
          tests: { type: 'string' },
          entry: { type: 'string' },
          timeout: { type: 'string' },
          memory: { type: 'string' },
          json: { type: 'boolean' },
        },
        strict: true,
        allowPositionals: false,
      }));
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    if (typeof values.code !== 'string') throw new UsageError('--code FILE is required');
    if (typeof values.tests !== 'string') throw new UsageError('--tests FILE is required');
    const code = readText(values.code, 'code');
    const meta = parseTestsFile(values.tests, readText(values.tests, 'tests'), values.entry as string | undefined);
    const timeoutMs = positiveInt(values.timeout as string | undefined, 'timeout', 1000);
    const memoryMb = positiveInt(values.memory as string | undefined, 'memory', 256);
    const task: Task = { id: 'sandbox/cli', env: 'code', prompt: '', level: 0, meta: meta as unknown as Record<string, unknown> };
    const sandbox = new Sandbox({ workers: 1, timeoutMs, memoryMb });
    try {
      const { outcome, result } = await judgeCode(sandbox, task, code);
      const tests = result?.tests ?? [];
      if (values.json) {
        console.log(JSON.stringify({
          reward: outcome.reward,
          correct: outcome.correct,
          status: result?.status ?? 'no_code',
          tests: tests.map((t, i) => ({ index: i, ...(meta.mode === 'calls' ? { call: callText(meta.tests[i].args, meta.entry) } : {}), ...t })),
          feedback: outcome.feedback,
          console: result?.console ?? '',
        }));
      } else {
        const lines = [`reward ${Math.round(outcome.reward * 1000) / 1000} (${outcome.feedback.summary})`];
        tests.forEach((t, i) => lines.push(testLine(t, i, meta)));
        for (const item of outcome.feedback.items) lines.push(`feedback: [${item.kind}] ${item.text}`);
        if (result?.console) lines.push('console output:', result.console.replace(/\n$/, ''));
        console.log(lines.join('\n'));
      }
      return outcome.correct ? 0 : 1;
    } finally {
      await sandbox.close();
    }
  },
};
export default sandboxCommand;
