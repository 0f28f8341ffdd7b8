/**
 * From a sandbox result to an Outcome: reward = fraction of tests passed, correct = all
 * passed, and feedback that says what went wrong first, briefly (character-level models
 * read this text too): `f(3) returned 5, expected 6`, `line 2: TypeError: x is undefined`.
 *
 * Only a run that finished normally earns anything. A run that hit a limit (time, memory,
 * output) or crashed earns 0 even when every test had already returned the right value:
 * otherwise RL learns to answer and then burn the sandbox's budget (a promise-job flood after
 * the last return, a getter that runs later) and is still paid for it.
 */
import type { FeedbackItem, Outcome } from '../types.ts';
import { callText } from './generate.ts';
import type { CallTest, SandboxResult, TestResult } from './sandbox/types.ts';

export interface OutcomeContext {
  timeoutMs: number;
  memoryMb: number;
  outputLimit: number;
  /** Entry point name, for messages. */
  entry: string;
  /** Calls jobs: the tests, for showing their inputs. */
  tests?: CallTest[];
  /** Script jobs: assertions the test code contains (a floor for the total). */
  checks?: number;
  /** Lines of program text before the completion (script jobs: the prompt). */
  prefixLines?: number;
}

/** A line in the program as a line of the completion, when it falls inside it. */
function completionLine(line: number, ctx: OutcomeContext): number | undefined {
  if (!line) return undefined;
  const l = line - (ctx.prefixLines ?? 0);
  return l >= 1 ? l : undefined;
}

function lineNote(line: number | undefined): string {
  return line ? ` (line ${line})` : '';
}

/** Feedback for a run that stopped before (or instead of) judging tests. */
function stopItem(r: SandboxResult, ctx: OutcomeContext): FeedbackItem | undefined {
  const e = r.error;
  const where = (line: number | undefined) => (line ? { where: { line } } : {});
  switch (r.status) {
    case 'syntax_error': {
      if (r.phase === 'tests') return { kind: 'syntax_error', text: `the test code does not parse: ${e?.message ?? ''}` };
      const line = completionLine(e?.line ?? 0, ctx);
      return { kind: 'syntax_error', text: `syntax error${lineNote(line)}: ${e?.message ?? ''}`, ...where(line) };
    }
    case 'exception': {
      if (r.phase !== 'load') return undefined; // script tests: handled with the assertions
      const line = completionLine(e?.line ?? 0, ctx);
      return { kind: 'exception', text: `${e?.name}: ${e?.message}${lineNote(line)}`, ...where(line) };
    }
    case 'timeout':
      if (r.phase === 'load') return { kind: 'timeout', text: `the top-level code did not finish within ${ctx.timeoutMs} ms` };
      if (r.phase === undefined) return { kind: 'timeout', text: `the code did not finish within ${ctx.timeoutMs} ms` };
      // Every test returned, then work the code left behind (promise jobs, a getter read
      // later) ran out the clock. Otherwise the test that was running is named below.
      if (r.phase === 'after') return { kind: 'timeout', text: `the tests returned, but work the code left running (promise jobs) did not finish within ${ctx.timeoutMs} ms` };
      return undefined;
    case 'memory_limit':
      return { kind: 'memory_limit', text: `the code ran out of memory (limit ${ctx.memoryMb} MB)` };
    case 'crash':
      return { kind: 'crash', text: `the sandbox process crashed: ${e?.message ?? 'unknown reason'}` };
    case 'no_entry':
      return { kind: 'missing_function', text: `no function ${ctx.entry} is defined` };
    case 'tampered':
      return { kind: 'tampered', text: 'the code interfered with the test harness' };
    default:
      return undefined;
  }
}

/** Feedback for the first test of a calls job that did not pass. */
function callItem(t: TestResult, i: number, ctx: OutcomeContext): FeedbackItem {
  const call = ctx.tests ? callText(ctx.tests[i].args, ctx.entry) : `test ${i + 1}`;
  const base = { where: { testCase: i } };
  switch (t.status) {
    case 'fail':
      return { kind: 'test_failed', text: `${call} returned ${t.actual}, expected ${t.expected}`, expected: t.expected, actual: t.actual, ...base };
    case 'exception': {
      const line = completionLine(t.error?.line ?? 0, ctx);
      return {
        kind: 'exception',
        text: `${call} threw ${t.error?.name}: ${t.error?.message}${lineNote(line)}`,
        where: line ? { testCase: i, line } : { testCase: i },
      };
    }
    case 'timeout':
      return { kind: 'timeout', text: `${call} did not finish within ${ctx.timeoutMs} ms`, ...base };
    case 'output_limit':
      return { kind: 'output_limit', text: `${call} returned a value longer than ${ctx.outputLimit} characters`, ...base };
    default:
      return { kind: t.status, text: `${call}: ${t.status}`, ...base };
  }
}

export function callsOutcome(r: SandboxResult, ctx: OutcomeContext): Outcome {
  const total = ctx.tests?.length ?? r.tests.length;
  const passed = r.status === 'tampered' ? 0 : r.passed;
  const items: FeedbackItem[] = [];
  const stop = stopItem(r, ctx);
  if (stop) items.push(stop);
  else {
    const i = r.tests.findIndex((t) => t.status !== 'pass');
    if (i >= 0) items.push(callItem(r.tests[i], i, ctx));
  }
  return finish(passed, total, r, items, ctx);
}

export function scriptOutcome(r: SandboxResult, ctx: OutcomeContext): Outcome {
  const executed = r.tests.length;
  const passed = r.status === 'tampered' ? 0 : r.passed;
  const total = Math.max(executed, ctx.checks ?? 0, 1);
  const items: FeedbackItem[] = [];
  const stop = stopItem(r, ctx);
  if (stop) items.push(stop);
  const i = r.tests.findIndex((t) => t.status !== 'pass');
  if (!stop && i >= 0) {
    const t = r.tests[i];
    const what = t.expected !== undefined ? `got ${t.actual}, expected ${t.expected}` : t.actual !== undefined ? `got ${t.actual}` : 'failed';
    items.push({
      kind: 'test_failed',
      text: `assertion ${i + 1}${t.line ? ` (test line ${t.line})` : ''} ${t.op ?? ''}: ${what}${t.message ? ` (${t.message})` : ''}`.replace('  ', ' '),
      where: { testCase: i },
      ...(t.expected !== undefined ? { expected: t.expected } : {}),
      ...(t.actual !== undefined ? { actual: t.actual } : {}),
    });
  }
  if (!stop && r.status === 'exception' && r.phase === 'tests') {
    const line = completionLine(r.error?.line ?? 0, ctx);
    items.push({
      kind: 'exception',
      text: `${r.error?.name}: ${r.error?.message}${lineNote(line)}${r.error?.testLine ? ` (called from test line ${r.error.testLine})` : ''}`,
      where: line ? { testCase: executed, line } : { testCase: executed },
    });
  }
  if (!stop && r.status === 'timeout') items.push({ kind: 'timeout', text: `the tests did not finish within ${ctx.timeoutMs} ms`, where: { testCase: executed } });
  if (!stop && executed < total && r.status === 'ok') {
    items.push({ kind: 'test_failed', text: `only ${executed} of ${total} assertions ran` });
  }
  return finish(passed, total, r, items, ctx);
}

/**
 * A normal finish: the code loaded and the tests ran to their end ('ok'), or the test code
 * stopped at an exception the candidate threw (script jobs; the checks before it count).
 */
function finishedNormally(r: SandboxResult): boolean {
  return r.status === 'ok' || r.status === 'exception';
}

/** An output limit: console output was cut, or a returned value was too long to compare. */
function hitOutputLimit(r: SandboxResult): boolean {
  return r.consoleTruncated || r.tests.some((t) => t.status === 'output_limit');
}

function finish(passed: number, total: number, r: SandboxResult, items: FeedbackItem[], ctx: OutcomeContext): Outcome {
  const overOutput = hitOutputLimit(r);
  const earns = finishedNormally(r) && !overOutput;
  const correct = earns && total > 0 && passed === total && r.status === 'ok';
  const reward = earns && total > 0 ? Math.min(passed / total, 1) : 0;
  if (r.consoleTruncated)
    items.push({ kind: 'output_limit', text: `console output was cut at ${ctx.outputLimit} characters` });
  let summary: string;
  if (correct) summary = `all ${total} tests passed`;
  else if (!earns && passed > 0) summary = `${(items.find((i) => i.kind !== 'test_failed') ?? items[0])?.kind.replace('_', ' ') ?? r.status}: no reward (${passed}/${total} tests passed before it)`;
  else if (items.length && !earns && r.status !== 'timeout') summary = `${items[0].kind.replace('_', ' ')}: 0/${total} tests passed`;
  else summary = `${passed}/${total} tests passed`;
  return { reward, correct, feedback: { summary, items: correct ? [] : items } };
}
