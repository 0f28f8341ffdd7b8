/** What the sandbox is asked to run and what it reports. Plain data only. */

/** One call of the entry point: JSON arguments and the JSON value it must return. */
export interface CallTest {
  args: unknown[];
  expected: unknown;
}

/** Call `entry` (a function the code defines) once per test; compare rendered values. */
export interface CallsJob {
  mode: 'calls';
  code: string;
  entry: string;
  tests: CallTest[];
}

/**
 * Run `testCode` (HumanEval style: code that calls the function and asserts) after `code`.
 * The test code gets `require('assert')` / `require('node:assert')` and `console.assert`;
 * assertions record instead of throwing, so every check after a failed one still runs.
 */
export interface ScriptJob {
  mode: 'script';
  code: string;
  testCode: string;
}

export type SandboxJob = CallsJob | ScriptJob;

export interface JobLimits {
  /** CPU time for the whole evaluation (loading the code plus all tests), ms. */
  timeoutMs?: number;
  /** Characters kept of console output and of each rendered value. */
  outputLimit?: number;
}

export interface ErrorInfo {
  name: string;
  message: string;
  /** 1-based line in the candidate code, 0 when unknown. */
  line: number;
  /** 1-based line in the test code (script jobs), 0 when unknown. */
  testLine: number;
}

export type TestStatus =
  | 'pass'
  | 'fail'
  | 'exception'
  | 'timeout'
  | 'memory_limit'
  | 'output_limit'
  | 'crash'
  | 'not_run';

export interface TestResult {
  status: TestStatus;
  /** Rendered values (JSON-like text, see harness.cjs makeShow). */
  actual?: string;
  expected?: string;
  error?: ErrorInfo;
  /** Script jobs: the assertion's name ('deepEqual', 'console.assert', ...) and line in the test code. */
  op?: string;
  line?: number;
  message?: string;
}

/**
 * 'ok': the code loaded and every test ran (each may still have failed). Otherwise the run
 * stopped early during `phase`; tests that did not run are 'not_run' (calls jobs).
 * 'tampered': the code tried to reach the harness's private test kit or runner.
 */
export type RunStatus =
  | 'ok'
  | 'syntax_error'
  | 'exception'
  | 'timeout'
  | 'memory_limit'
  | 'crash'
  | 'no_entry'
  | 'tampered';

/**
 * Where a run stopped: loading the code, running the tests, or 'after' them (every test had
 * returned; work the candidate left queued, such as promise jobs, ran out the time limit).
 */
export type RunPhase = 'load' | 'tests' | 'after';

export interface SandboxResult {
  status: RunStatus;
  phase?: RunPhase;
  error?: ErrorInfo;
  /** Calls jobs: one per test, in order. Script jobs: one per executed assertion. */
  tests: TestResult[];
  passed: number;
  console: string;
  consoleTruncated: boolean;
  /** Wall time of the evaluation, ms (not for assertions: it varies). */
  ms: number;
}
