'use strict';
/**
 * The sandbox's child process (see README.md). Started by pool.ts with the permission model
 * (it may read only this folder's two .cjs files), an empty environment, a heap limit, and an
 * IPC channel as its only link. For each job it makes a fresh vm context, installs the
 * harness, runs the candidate under a CPU time limit, and sends back plain JSON.
 *
 * Rule for this file: never touch a value that came out of a context (no property reads, no
 * instanceof, no String()), since that could run candidate code outside the time limit. Only
 * primitive strings cross; a thrown value is handed back to the harness unread.
 */
const vm = require('node:vm');
const { isProxy, isNativeError } = require('node:util').types;
const { makeShow, install } = require('./harness.cjs');

const PRELUDE = new vm.Script(
  `(function () { 'use strict'; return (${install.toString()})(globalThis, ${makeShow.toString()}); })()`,
  { filename: 'distil-harness.js' },
);
const DESCRIBE = new vm.Script('__distil.describeStashed()', { filename: 'distil-harness.js' });
// Evaluating nothing in a context runs the promise jobs queued there (microtaskMode below).
const DRAIN = new vm.Script('', { filename: 'distil-harness.js' });
const CONTEXT_OPTIONS = {
  codeGeneration: { strings: false, wasm: false },
  // Promise jobs run inside the timed call, not later on this process's event loop.
  microtaskMode: 'afterEvaluate',
};
const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** True for the error node:vm throws when the time limit ends a call. Reads no getter. */
function isTimeout(e) {
  if (e === null || typeof e !== 'object' || isProxy(e) || !isNativeError(e)) return false;
  const d = Object.getOwnPropertyDescriptor(e, 'code');
  return d !== undefined && 'value' in d && d.value === 'ERR_SCRIPT_EXECUTION_TIMEOUT';
}

/** The harness returns only primitive strings; anything else is a bug, not data to read. */
function text(v) {
  if (typeof v !== 'string') throw new Error('harness returned a non-string');
  return v;
}

/** Line of a host-side SyntaxError from compiling `filename` (first stack line "file:N"). */
function syntaxLine(e, filename, offset) {
  const st = typeof e.stack === 'string' ? e.stack : '';
  const m = new RegExp(filename.replace('.', '\\.') + ':(\\d+)').exec(st);
  return m ? Math.max(1, Number(m[1]) + offset) : 0;
}

// Words that cannot be bindings, and the globals every context has: never imported.
const RESERVED = new Set(('break case catch class const continue debugger default delete do else enum export extends ' +
  'false finally for function if import in instanceof new null return super switch this throw true try typeof var ' +
  'void while with yield let static implements interface package private protected public await arguments eval ' +
  'undefined NaN Infinity require console').split(' '));
// (Names found on Object.prototype too: `typeof toString` is a function on every global.)
const BUILTINS = new Set(vm.runInContext(
  'Object.getOwnPropertyNames(globalThis).concat(Object.getOwnPropertyNames(Object.prototype))',
  vm.createContext(Object.create(null)),
));

/** Identifiers the test code mentions that the candidate's program may define. */
function importNames(testCode) {
  const out = new Set();
  for (const m of testCode.matchAll(/[A-Za-z_$][\w$]*/g)) {
    if (!RESERVED.has(m[0]) && !BUILTINS.has(m[0]) && !m[0].startsWith('__distil')) out.add(m[0]);
  }
  return [...out];
}

/**
 * The time limit is meant as CPU time, but node:vm can only stop a script after wall-clock
 * time. On a machine whose cores are shared by many processes, an honest job can get a small
 * fraction of its wall-clock time on a core and time out. So a job that timed out having used
 * less than half its limit in CPU time was starved, not slow: it is run again with a wall-clock
 * allowance STRETCH times longer, at most RETRIES times. A candidate cannot make that happen on
 * purpose: it has no way to wait without using CPU time (no Atomics, timers or I/O in its realm).
 */
const STARVED = 0.5;
const TEST_STALL_MS = Number(process.argv[3] || 0);
const STRETCH = 4;
const RETRIES = 2;

function cpuMsSince(start) {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1000;
}

/** Runs a job; a time-out that CPU time does not explain is run again with more wall-clock time. */
function evaluateFairly(job, extend) {
  let wallMs = job.timeoutMs;
  for (let attempt = 0; ; attempt++) {
    const cpu0 = process.cpuUsage();
    const result = evaluate(job, wallMs, attempt === 0 ? TEST_STALL_MS : 0);
    const ranOut = result.status === 'timeout' || result.describeTimedOut;
    delete result.describeTimedOut;
    if (!ranOut || attempt === RETRIES || cpuMsSince(cpu0) >= STARVED * job.timeoutMs) {
      if (attempt > 0) result.starvedRuns = attempt;
      return result;
    }
    wallMs *= STRETCH;
    extend(wallMs);
  }
}

function evaluate(job, wallMs, stallMs) {
  const t0 = process.hrtime.bigint();
  const deadline = Number(t0) / 1e6 + wallMs;
  // Tests only (SandboxOptions.testStallMs): the first run of each job loses this much
  // wall-clock time without using CPU, as a process starved by others does.
  if (stallMs > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, stallMs);
  const remaining = () => Math.max(1, Math.floor(deadline - Number(process.hrtime.bigint()) / 1e6));
  const result = { status: 'ok', phase: undefined, error: undefined, raw: undefined };

  /** A fresh context with the harness installed; its API is captured before anything else runs there. */
  const makeRealm = (args, role) => {
    const sandbox = Object.create(null);
    sandbox.__distil_input = JSON.stringify({ outputLimit: job.outputLimit, args, role });
    const context = vm.createContext(sandbox, CONTEXT_OPTIONS);
    const api = PRELUDE.runInContext(context);
    return { context, stash: api.stash, report: api.report, freezeRealm: api.freezeRealm, setImports: api.setImports };
  };
  const cand = job.mode === 'calls' ? makeRealm(job.args, 'calls') : makeRealm([], 'candidate');

  /** Runs a script in a realm under the remaining time; records a time-out or an exception. */
  const run = (realm, script, phase) => {
    try {
      return { ok: true, value: script.runInContext(realm.context, { timeout: remaining(), displayErrors: false }) };
    } catch (e) {
      result.phase = phase;
      if (isTimeout(e)) {
        result.status = 'timeout';
      } else {
        result.status = 'exception';
        realm.stash(e);
        try {
          result.error = JSON.parse(text(DESCRIBE.runInContext(realm.context, { timeout: remaining(), displayErrors: false })));
        } catch (e2) {
          result.error = { name: 'Error', message: isTimeout(e2) ? '(describing the error timed out)' : '', line: 0, testLine: 0 };
          if (isTimeout(e2)) result.describeTimedOut = true;
        }
      }
      return { ok: false };
    }
  };

  let candidate;
  try {
    candidate = new vm.Script(job.code, { filename: 'candidate.js' });
  } catch (e) {
    result.status = 'syntax_error';
    result.phase = 'load';
    result.error = { name: 'SyntaxError', message: String(e.message), line: syntaxLine(e, 'candidate.js', 0), testLine: 0 };
  }
  let testsRealm;
  if (candidate && run(cand, candidate, 'load').ok) {
    if (job.mode === 'calls') {
      if (!IDENT.test(job.entry)) throw new Error(`bad entry point name ${JSON.stringify(job.entry)}`);
      const runner = new vm.Script(
        `__distil.runTests(function () { return typeof ${job.entry} === 'function' ? ${job.entry} : undefined; })`,
        { filename: 'distil-harness.js' },
      );
      run(cand, runner, 'tests');
    } else {
      testsRealm = runScriptTests(cand, run);
      // The candidate's promise jobs queued while the test code called it wait in the
      // candidate's own context; run them under the same clock, as calls jobs do, so that
      // work left behind after returning cannot go unnoticed (or unpunished).
      if (result.status === 'ok') run(cand, DRAIN, 'after');
    }
  }
  const raw = JSON.parse(text(cand.report()));
  if (testsRealm) {
    // Assertions come from the test realm; console output and tampering from both.
    const t = JSON.parse(text(testsRealm.report()));
    raw.records = t.records;
    raw.console = (raw.console + t.console).slice(0, job.outputLimit);
    raw.consoleTruncated = raw.consoleTruncated || t.consoleTruncated;
    raw.tampered = raw.tampered || t.tampered;
  }
  result.raw = raw;
  result.ms = Number(process.hrtime.bigint() - t0) / 1e6;
  return result;

  /**
   * Script jobs: the test code runs in a second, frozen context (see harness.cjs
   * freezeRealm), strict, inside a strict wrapper, with the only copies of the recording
   * assert and console; a sloppy candidate function it calls sees `caller` null. The
   * candidate's definitions that the test code names are passed over as bindings of an
   * enclosing scope (which the test code's own declarations may shadow).
   */
  function runScriptTests(cand, run) {
    const realm = makeRealm([], 'tests');
    realm.freezeRealm();
    const wanted = importNames(job.testCode);
    const probe = new vm.Script(
      `(function () { 'use strict'; const o = { __proto__: null };\n${wanted
        .map((n) => `try { if (typeof ${n} !== 'undefined') o.${n} = ${n}; } catch (e) {}`)
        .join('\n')}\nreturn o; })()`,
      { filename: 'distil-harness.js' },
    );
    const got = run(cand, probe, 'tests');
    if (!got.ok) return realm;
    // An object our own literal made, with plain data properties only: safe to list.
    const present = Object.keys(got.value);
    realm.setImports(got.value);
    let tests;
    try {
      tests = new vm.Script(
        `(function (kit) { 'use strict'; const { ${present.join(', ')} } = kit.imports; return (function (require, console) { 'use strict';\n${job.testCode}\n})(kit.require, kit.console); })(__distil.takeKit());`,
        { filename: 'tests.js', lineOffset: -1 },
      );
    } catch (e) {
      result.status = 'syntax_error';
      result.phase = 'tests';
      result.error = { name: 'SyntaxError', message: String(e.message), line: 0, testLine: syntaxLine(e, 'tests.js', 0) };
    }
    if (tests) run(realm, tests, 'tests');
    return realm;
  }
}

const v8 = require('node:v8');
// The parent passes the old-space limit it set (MB); retiring at half of it leaves room for
// the next job even when what stays behind cannot be collected.
const retireBytes = 0.5 * Number(process.argv[2] || 256) * 2 ** 20;

process.on('message', (msg) => {
  let reply;
  try {
    // The parent's own wall-clock kill is moved out before each rerun.
    reply = { id: msg.id, result: evaluateFairly(msg.job, (wallMs) => process.send({ id: msg.id, extend: wallMs })) };
  } catch (e) {
    reply = { id: msg.id, internalError: String(e && e.stack ? e.stack : e) };
  }
  // Some state outlives a context (the isolate-wide Symbol.for registry, compiled code): a
  // worker whose heap stays large asks to be replaced rather than fail a later job.
  // A job that ran out its time may have filled the heap with garbage (a promise-job flood
  // allocates as fast as it can); collecting it would eat into the next job's time limit, so
  // such a worker is replaced too.
  reply.retire = v8.getHeapStatistics().used_heap_size > retireBytes || (reply.result !== undefined && reply.result.status === 'timeout');
  process.send(reply);
});
// A candidate's promise that rejects with nobody listening (`Promise.reject(1)`, a refused
// `import()`) is reported on this process's event loop after its job ended; Node's default
// would crash the worker then and blame whichever job runs next. The reason is a value from a
// context, so it is not even looked at.
process.on('unhandledRejection', () => {});
// The parent went away: nothing else will ever come, so stop.
process.on('disconnect', () => process.exit(0));
process.send({ ready: true });
