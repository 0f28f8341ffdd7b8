/**
 * Turns what a worker sends back (or the way it died) into a SandboxResult. Pure functions,
 * so the classification rules are tested without processes.
 */
import type { ErrorInfo, RunPhase, RunStatus, SandboxJob, SandboxResult, TestResult } from './types.ts';

/** The worker's reply for one job (see worker.cjs `evaluate`). */
export interface WorkerReply {
  status: 'ok' | 'syntax_error' | 'exception' | 'timeout';
  phase?: RunPhase;
  error?: ErrorInfo;
  ms: number;
  raw: {
    records: RawRecord[];
    console: string;
    consoleTruncated: boolean;
    tampered: boolean;
  };
}

interface RawRecord {
  /** calls: ok | output_limit | exception | no_entry; script: pass | fail */
  s: string;
  a?: string;
  e?: ErrorInfo | string;
  op?: string;
  line?: number;
  m?: string;
}

/** `expected` holds the rendered expected values of a calls job, in order. */
export function fromReply(job: SandboxJob, expected: string[], reply: WorkerReply): SandboxResult {
  const { records, console, consoleTruncated, tampered } = reply.raw;
  let status: RunStatus = reply.status;
  let tests: TestResult[];
  if (job.mode === 'calls') {
    if (records.length === 1 && records[0].s === 'no_entry') {
      status = 'no_entry';
      tests = expected.map((e) => ({ status: 'not_run', expected: e }));
    } else {
      tests = expected.map((e, i): TestResult => {
        const r = records[i];
        if (!r) {
          // The first test without a record is the one that was running when time ran out.
          const first = i === records.length && status === 'timeout' && reply.phase === 'tests';
          return { status: first ? 'timeout' : 'not_run', expected: e };
        }
        if (r.s === 'exception') return { status: 'exception', expected: e, error: r.e as ErrorInfo };
        if (r.s === 'output_limit') return { status: 'output_limit', expected: e, actual: r.a };
        return { status: r.a === e ? 'pass' : 'fail', expected: e, actual: r.a };
      });
    }
  } else {
    tests = records.map((r): TestResult => {
      const t: TestResult = { status: r.s === 'pass' ? 'pass' : 'fail' };
      if (r.op !== undefined) t.op = r.op;
      if (r.line) t.line = r.line;
      if (r.a !== undefined) t.actual = r.a;
      if (typeof r.e === 'string') t.expected = r.e;
      if (r.m !== undefined) t.message = r.m;
      return t;
    });
  }
  if (tampered) status = 'tampered';
  const out: SandboxResult = {
    status,
    tests,
    passed: tampered ? 0 : tests.filter((t) => t.status === 'pass').length,
    console,
    consoleTruncated,
    ms: reply.ms,
  };
  if (reply.phase && status !== 'ok') out.phase = reply.phase;
  // Calls jobs: every test has its record, so the time ran out after the last one returned.
  if (job.mode === 'calls' && status === 'timeout' && reply.phase === 'tests' && records.length === expected.length && expected.length > 0) out.phase = 'after';
  if (reply.error) out.error = reply.error;
  return out;
}

/** A job whose worker was killed or died: nothing of its own report survived. */
export function fromDeath(
  job: SandboxJob,
  expected: string[],
  status: 'timeout' | 'memory_limit' | 'crash',
  ms: number,
  detail?: string,
): SandboxResult {
  const tests: TestResult[] =
    job.mode === 'calls' ? expected.map((e) => ({ status: 'not_run' as const, expected: e })) : [];
  const out: SandboxResult = { status, tests, passed: 0, console: '', consoleTruncated: false, ms };
  if (detail) out.error = { name: 'Error', message: detail, line: 0, testLine: 0 };
  return out;
}
