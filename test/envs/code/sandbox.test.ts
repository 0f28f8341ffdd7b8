/**
 * The sandbox against hostile code. Every attack must be contained (reported as a status or
 * a failed test, never as a pass it did not earn), and the host must stay healthy.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sandbox } from '../../../src/envs/code/sandbox/index.ts';
import { workerFlags } from '../../../src/envs/code/sandbox/pool.ts';
import { spawnSync } from 'node:child_process';
import type { SandboxResult } from '../../../src/envs/code/sandbox/index.ts';

const hostGlobals = Object.getOwnPropertyNames(globalThis).sort();
const hostPush = Array.prototype.push;
const hostStringify = JSON.stringify;
let sb: Sandbox;

// 500 ms: node:vm's limit is wall-clock time, and a busy machine (or a worker that was just
// replaced) makes honest jobs slow; attacks still hit it within a second.
before(() => {
  sb = new Sandbox({ workers: 2, timeoutMs: 500, memoryMb: 256 });
});
after(async () => {
  await sb.close();
});

/** Runs `code` defining f, called once per args list, expecting the given values. */
function call(code: string, tests: [unknown[], unknown][] = [[[1], 1]], timeoutMs?: number): Promise<SandboxResult> {
  return sb.run(
    { mode: 'calls', code, entry: 'f', tests: tests.map(([args, expected]) => ({ args, expected })) },
    timeoutMs ? { timeoutMs } : {},
  );
}

test('a normal function passes and a wrong one fails with expected and actual', async () => {
  const ok = await call('function f(x,y){return x+y}', [[[1, 2], 3], [[5, 5], 10]]);
  assert.equal(ok.status, 'ok');
  assert.equal(ok.passed, 2);
  const bad = await call('function f(x){return [x, String(x)]}', [[[1], [1, '2']]]);
  assert.equal(bad.passed, 0);
  assert.deepEqual(bad.tests[0], { status: 'fail', expected: '[1,"2"]', actual: '[1,"1"]' });
});

test('infinite loops time out, in a test or at the top level', async () => {
  const inTest = await call('function f(x){ while(true){} }', [[[1], 1], [[2], 2]]);
  assert.equal(inTest.status, 'timeout');
  assert.equal(inTest.phase, 'tests');
  assert.deepEqual(inTest.tests.map((t) => t.status), ['timeout', 'not_run']);
  const top = await call('for(;;){}\nfunction f(){return 1}');
  assert.equal(top.status, 'timeout');
  assert.equal(top.phase, 'load');
  // Catastrophic regex backtracking is interrupted like any loop.
  const redos = await call('function f(x){ return /^(a+)+$/.test("a".repeat(40) + "b") }');
  assert.equal(redos.status, 'timeout');
  // A loop in the second test keeps the first one's result.
  const second = await call('function f(x){ while(x===2){} return x }', [[[1], 1], [[2], 2]]);
  assert.deepEqual(second.tests.map((t) => t.status), ['pass', 'timeout']);
});

test('deep recursion is an exception with its line', async () => {
  const r = await call('function f(x){\n  return f(x) + 1\n}');
  assert.equal(r.tests[0].status, 'exception');
  assert.equal(r.tests[0].error?.name, 'RangeError');
  assert.equal(r.tests[0].error?.line, 2);
});

test('memory bombs hit the memory limit and the worker is replaced', async () => {
  const small = new Sandbox({ workers: 1, timeoutMs: 20_000, memoryMb: 64 });
  try {
    const arrays = await small.run({
      mode: 'calls', entry: 'f', tests: [{ args: [], expected: 0 }],
      code: 'function f(){ const a = []; for(;;) a.push(new Array(1e6).fill(1.5)); }',
    });
    assert.equal(arrays.status, 'memory_limit');
    const strings = await small.run({
      mode: 'calls', entry: 'f', tests: [{ args: [], expected: 0 }],
      code: 'function f(){ let s = "ab"; const keep = []; for(;;){ s = s + s; keep.push(s.slice(1)); } }',
    });
    assert.ok(
      strings.status === 'memory_limit' || strings.tests[0].error?.name === 'RangeError',
      `string doubling: ${JSON.stringify(strings.status)} ${JSON.stringify(strings.tests[0])}`,
    );
    const after = await small.run({ mode: 'calls', entry: 'f', code: 'function f(){return 7}', tests: [{ args: [], expected: 7 }] });
    assert.equal(after.passed, 1);
  } finally {
    await small.close();
  }
});

test('console spam is truncated and reported; the tests still count', async () => {
  const r = await call('function f(x){ for (let i = 0; i < 1e5; i++) console.log("spam", i, [i]); return x }', [[[3], 3]], 5000);
  assert.equal(r.status, 'ok');
  assert.equal(r.passed, 1);
  assert.equal(r.consoleTruncated, true);
  assert.ok(r.console.length <= sb.outputLimit);
  assert.ok(r.console.startsWith('spam 0 [0]\n'));
});

test('a 100 MB returned string is cut to the output limit', async () => {
  const r = await call('function f(){ return "x".repeat(1e8) }', [[[], 'x']], 5000);
  assert.equal(r.tests[0].status, 'output_limit');
  assert.ok((r.tests[0].actual ?? '').length <= sb.outputLimit);
  assert.equal(r.passed, 0);
});

test('prototype pollution and replaced intrinsics stay inside one evaluation', async () => {
  const one = new Sandbox({ workers: 1, timeoutMs: 500 });
  try {
    const r = await one.run({
      mode: 'calls', entry: 'f', tests: [{ args: ['a'], expected: 'b' }, { args: [1], expected: 2 }],
      code: `Object.prototype.polluted = 1; Array.prototype.push = function(){ return 'hacked' };
        JSON.stringify = () => '"b"'; JSON.parse = () => ['b']; Reflect.apply = () => 'b'; Object.keys = () => [];
        String.prototype.slice = () => ''; Array.isArray = () => false; Object.is = () => true;
        Object.defineProperty(Array.prototype, '0', { set(v) { globalThis.leak = v }, configurable: true });
        Object.prototype.toJSON = function () { return 'b' };
        globalThis.leak = 'x';
        function f(x){ return x }`,
    });
    // The harness used only what it captured before the candidate ran: nothing is faked.
    assert.equal(r.status, 'ok');
    assert.equal(r.passed, 0);
    assert.deepEqual(r.tests.map((t) => t.actual), ['"a"', '1']);
    // The next evaluation, in the same process, sees a clean realm.
    const next = await one.run({
      mode: 'calls', entry: 'f', tests: [{ args: [], expected: [true, true, true] }],
      code: `function f(){ const a = []; return [({}).polluted === undefined, a.push(1) === 1, typeof leak === 'undefined'] }`,
    });
    assert.equal(next.passed, 1, JSON.stringify(next.tests));
  } finally {
    await one.close();
  }
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal(Array.prototype.push, hostPush);
  assert.equal(JSON.stringify, hostStringify);
});

// Each of these returns 'ESCAPED' if it reached the host's process object.
const escapes: Record<string, string> = {
  'this.constructor.constructor': `function f(){ return this.constructor.constructor('return process')() }`,
  'top-level this': `const p = this.constructor.constructor('return process')(); function f(){ return p }`,
  '({}).constructor.constructor': `function f(){ return ({}).constructor.constructor('return process')() }`,
  'error constructor chain': `function f(){ try { null.x } catch (e) { return e.constructor.constructor('return process')() } }`,
  'arguments.callee': `function f(){ return arguments.callee.constructor('return process')() }`,
  'async function constructor': `function f(){ return (async function(){}).constructor('return process')() }`,
  'generator constructor': `function f(){ return (function*(){}).constructor('return process')().next().value }`,
  'eval': `function f(){ return eval('process') }`,
  'indirect eval': `function f(){ return (0, eval)('process') }`,
  'globalThis.process': `function f(){ return globalThis.process }`,
  'process': `function f(){ return process }`,
  'require': `function f(){ return require('child_process') }`,
  'module/exports': `function f(){ return module.exports }`,
  'caller chain': `function f(){ let c = f.caller; return c && c.constructor('return process')() }`,
  'prepareStackTrace': `function f(){
      Error.prepareStackTrace = (e, sites) => sites.map((s) => s.getThis());
      const st = new Error().stack;
      return Array.isArray(st) ? st.find((t) => t && t.process) : st && typeof st }`,
  'captureStackTrace': `function f(){ const o = {}; Error.captureStackTrace(o); return typeof o.stack }`,
  'getter on returned object': `function f(){ return { get a(){ return this.constructor.constructor('return process')() } } }`,
  'toString hook': `function f(){ return { toString(){ return this.constructor.constructor('return process')() } } }`,
  'Symbol.toPrimitive': `function f(){ return { [Symbol.toPrimitive](){ return this.constructor.constructor('return process')() } } }`,
  'proxy traps': `function f(){ return new Proxy({}, { ownKeys(t){ return ['a'] }, getOwnPropertyDescriptor(){ return { value: 1, enumerable: true, configurable: true } }, get(t, k, r){ return r.constructor && r.constructor.constructor('return process')() } }) }`,
  'WebAssembly': `function f(){ return WebAssembly.Module }`,
  'Atomics.wait': `function f(){ Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5000); return 1 }`,
  'fetch': `function f(){ return fetch('http://example.com') }`,
  'setTimeout': `function f(){ setTimeout(() => {}, 1); return 1 }`,
  'dynamic import': `function f(){ return import('node:child_process') }`,
};

test('constructor-chain and global escapes find no host object', async () => {
  for (const [name, code] of Object.entries(escapes)) {
    const r = await call(
      `${code.replace('function f(', 'function attack(')}
      function f(){ const r = attack(); return r && typeof r === 'object' && typeof r.pid === 'number' && typeof r.kill === 'function' ? 'ESCAPED' : r }`,
      [[[], 'ESCAPED']],
    );
    assert.notEqual(r.tests[0]?.status, 'pass', `${name}: reached the host process`);
    assert.ok(['ok', 'exception', 'syntax_error', 'timeout'].includes(r.status), `${name}: ${r.status}`);
  }
});

test('static import is a syntax error; dynamic import at the top level does nothing', async () => {
  const stat = await call(`import fs from 'node:fs'\nfunction f(){return 1}`);
  assert.equal(stat.status, 'syntax_error');
  const marker = join(tmpdir(), `distil-sandbox-pwned-${process.pid}`);
  const dyn = await call(`import('node:fs').then((fs) => fs.writeFileSync(${JSON.stringify(marker)}, 'x'), () => {});
    function f(){ return 1 }`);
  assert.equal(dyn.passed, 1);
  assert.equal(existsSync(marker), false);
});

test('async work cannot outlive the call', async () => {
  const microLoop = await call('function f(x){ (function loop(){ Promise.resolve().then(loop) })(); return x }');
  assert.equal(microLoop.status, 'timeout');
  const later = await call('function f(x){ Promise.resolve().then(() => { while(true){} }); return x }');
  assert.equal(later.status, 'timeout');
  const rejected = await call('function f(x){ Promise.reject(new Error("later")); import("node:fs"); return x }');
  assert.equal(rejected.passed, 1);
  const asyncFn = await call('async function f(x){ return x }');
  assert.equal(asyncFn.tests[0].status, 'fail'); // a Promise is not the value
  const timers = await call('function f(x){ setTimeout(() => { for(;;){} }, 0); return x }');
  assert.equal(timers.tests[0].status, 'exception');
  const finalizer = await call('function f(x){ new FinalizationRegistry(() => { for(;;){} }).register({}, 1); return x }');
  assert.equal(finalizer.tests[0].status, 'exception');
  // The workers are still responsive afterwards.
  assert.equal((await call('function f(x){return x}')).passed, 1);
});

test('work left behind after returning the right values is run under the clock and reported', async () => {
  const right: [unknown[], unknown][] = [[[1], 2], [[2], 3]];
  // A promise-job flood started after (or while) returning right values.
  const flood = await call('function f(x){ (function loop(){ Promise.resolve().then(loop) })(); return x + 1 }', right);
  assert.deepEqual([flood.status, flood.phase, flood.passed], ['timeout', 'after', 2]);
  const lastOnly = await call('let n = 0; function f(x){ if (++n === 2) (function loop(){ Promise.resolve().then(loop) })(); return x + 1 }', right);
  assert.deepEqual([lastOnly.status, lastOnly.phase], ['timeout', 'after']);
  const asyncLoop = await call('async function spin(){ await null; for(;;){} } function f(x){ spin(); return x + 1 }', right);
  assert.deepEqual([asyncLoop.status, asyncLoop.phase], ['timeout', 'after']);
  // A getter that runs after the tests: a then-handler's result is probed for `then`.
  const getter = await call('function f(x){ Promise.resolve().then(() => ({ get then(){ for(;;){} } })); return x + 1 }', right);
  assert.deepEqual([getter.status, getter.phase], ['timeout', 'after']);
  // Side effects after returning: the value was rendered when it was returned, so changing it
  // later changes nothing; a console flood later is cut and flagged; reaching for the
  // harness later is tampering.
  const mutate = await call('function f(x){ const r = [x]; Promise.resolve().then(() => { r[0] = x + 1 }); return r }', right);
  assert.deepEqual([mutate.status, mutate.passed, mutate.tests[0].actual], ['ok', 0, '[1]']);
  const spam = await call('function f(x){ Promise.resolve().then(() => { for (let i = 0; i < 1e4; i++) console.log(i) }); return x + 1 }', right, 5000);
  assert.deepEqual([spam.status, spam.consoleTruncated], ['ok', true]);
  const rerun = await call('function f(x){ Promise.resolve().then(() => __distil.runTests(() => () => 2)); return x + 1 }', right);
  assert.deepEqual([rerun.status, rerun.passed], ['tampered', 0]);
  // Script jobs: promise jobs the candidate queued while the test code called it run after the
  // test code, under the same clock (before, they were silently dropped).
  const script = await sb.run({
    mode: 'script',
    code: 'function add(a, b){ (function loop(){ Promise.resolve().then(loop) })(); return a + b }',
    testCode: "const assert = require('assert');\nassert.equal(add(1, 2), 3);",
  });
  assert.deepEqual([script.status, script.phase, script.passed], ['timeout', 'after', 1]);
  const quiet = await sb.run({
    mode: 'script',
    code: 'let seen = 0; function add(a, b){ Promise.resolve().then(() => { seen++ }); return a + b }',
    testCode: "const assert = require('assert');\nassert.equal(add(1, 2), 3);",
  });
  assert.deepEqual([quiet.status, quiet.passed], ['ok', 1]);
});

test('returned values that fight back: getters, proxies, toPrimitive, deep nesting, cycles', async () => {
  const getter = await call('function f(){ return { get a(){ while(true){} } } }');
  assert.equal(getter.status, 'timeout');
  const proxyLoop = await call('function f(){ return new Proxy({}, { ownKeys(){ for(;;){} } }) }');
  assert.equal(proxyLoop.status, 'timeout');
  const proxyThrow = await call('function f(){ return new Proxy([], { get(){ throw new Error("trap") } }) }');
  assert.equal(proxyThrow.tests[0].status, 'exception');
  assert.equal(proxyThrow.tests[0].error?.message, 'trap');
  // toPrimitive is never called when rendering, so it cannot pretend to be the number 1.
  const prim = await call('function f(){ return { [Symbol.toPrimitive](){ return 1 }, valueOf(){ return 1 } } }');
  assert.equal(prim.tests[0].status, 'fail');
  assert.equal(prim.tests[0].actual, '{"valueOf":function}');
  const deep = await call('function f(){ let a = []; for (let i = 0; i < 1e5; i++) a = [a]; return a }');
  assert.equal(deep.tests[0].status, 'fail');
  // Maps, Sets and Dates render by content, so two different Sets never look alike.
  const coll = await call('function f(){ return [new Map([[1, "a"]]), new Set([2]), new Date(5), new Set()] }');
  assert.equal(coll.tests[0].actual, '[Map{1=>"a"},Set[2],Date(5),Set[]]');
  const cyc = await call('function f(){ const a = [1]; a.push(a); return a }');
  assert.equal(cyc.tests[0].actual, '[1,"[circular]"]');
  const thrower = await call('function f(){ throw { get message(){ while(true){} } } }');
  assert.equal(thrower.status, 'timeout');
});

test('the worker has no environment variables and the context no process, require or Buffer', async () => {
  const r = await call(`function f(){ return [typeof process, typeof require, typeof Buffer] }`, [[[], ['undefined', 'undefined', 'undefined']]]);
  assert.equal(r.passed, 1);
  // Look at a live worker from the outside: its environment holds only the IPC variables.
  for (const pid of sb.pids) {
    const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean);
    assert.ok(env.every((kv) => kv.startsWith('NODE_CHANNEL_')), env.join(' '));
  }
});

test('second layer: even code running in the worker process itself cannot use files or processes', () => {
  const probe = `
    const out = [];
    const tryIt = (name, fn) => { try { fn(); out.push(name + ':allowed') } catch (e) { out.push(name + ':' + (e.code || e.name)) } };
    tryIt('read', () => require('node:fs').readFileSync('/etc/hostname'));
    tryIt('write', () => require('node:fs').writeFileSync(require('node:os').tmpdir() + '/distil-probe', 'x'));
    tryIt('spawn', () => require('node:child_process').spawnSync('true'));
    tryIt('thread', () => new (require('node:worker_threads').Worker)('0', { eval: true }));
    tryIt('Function', () => Function('return 1')());
    console.log(out.join(' '));`;
  const r = spawnSync(process.execPath, [...workerFlags(64), '-e', probe], { env: {}, encoding: 'utf8' });
  assert.equal(
    r.stdout.trim(),
    'read:ERR_ACCESS_DENIED write:ERR_ACCESS_DENIED spawn:ERR_ACCESS_DENIED thread:ERR_ACCESS_DENIED Function:EvalError',
    r.stderr,
  );
});

test('tampering with the harness is detected', async () => {
  const runner = await call('__distil.runTests(() => () => 1); function f(x){ return x }');
  assert.equal(runner.status, 'tampered');
  assert.equal(runner.passed, 0);
  const redefine = await call('__distil = null; globalThis.__distil = null; function __distil(){}; function f(x){ return x }');
  assert.equal(redefine.passed, 1); // assignments are ignored, the harness still works
  const kit = await sb.run({
    mode: 'script',
    code: 'const k = __distil.takeKit(); function add(a, b){ if (k) for (let i = 0; i < 50; i++) k.console.assert(true); return 0 }',
    testCode: "const assert = require('assert');\nassert.equal(add(1, 2), 3);",
  });
  assert.equal(kit.status, 'tampered');
  assert.equal(kit.passed, 0);
  // Sloppy functions cannot walk up to the strict test code's arguments.
  const caller = await sb.run({
    mode: 'script',
    code: `function add(a, b){ let c = add.caller, n = 0; while (c && n < 5) { if (c.arguments) for (const x of c.arguments) if (x && x.require) for (let i = 0; i < 50; i++) x.require('assert').ok(true); c = c.caller; n++ } return 0 }`,
    testCode: "const assert = require('node:assert');\nfunction test(){ assert.deepEqual(add(1, 2), 3); }\ntest();",
  });
  assert.equal(caller.passed, 0);
  assert.equal(caller.tests.length, 1);
});

test('script jobs: the test code compares in its own frozen realm, out of the candidate\'s reach', async () => {
  const r = await sb.run({
    mode: 'script',
    code: `JSON.stringify = () => 'same'; Object.prototype.toJSON = function () { return 1 }; Array.prototype.every = () => true;
      function f(a) {
        try { Object.getPrototypeOf(Object.getPrototypeOf(a)).toJSON = () => 1 } catch (e) {}
        try { Object.getPrototypeOf(a).every = () => true } catch (e) {}
        try { Object.getPrototypeOf(a[Symbol.iterator]()).next = () => ({ done: true }) } catch (e) {}
        return [] }`,
    testCode: [
      'console.assert(JSON.stringify(f([1, 2])) === JSON.stringify([2, 1]));',
      'const xs = [1, 2, 3]; let n = 0; for (const x of xs) n++;',
      'console.assert(n === 3);',
      'console.assert([1, 2].every((x) => x > 1));',
    ].join('\n'),
  });
  assert.equal(r.status, 'ok');
  assert.deepEqual(r.tests.map((t) => t.status), ['fail', 'pass', 'fail']);
});

test('script jobs: assertions record pass and fail with lines; exceptions stop the test code', async () => {
  const r = await sb.run({
    mode: 'script',
    code: 'function add(a, b){\n  if (a > 5) throw new Error("big")\n  return a + b }',
    testCode: "const assert = require('node:assert');\nassert.deepEqual(add(1, 2), 3);\nassert.strictEqual(add(1, 1), 3);\nassert.equal(add(9, 1), 10);\nassert.ok(true);",
  });
  assert.equal(r.status, 'exception');
  assert.equal(r.phase, 'tests');
  assert.deepEqual(r.tests.map((t) => [t.status, t.line]), [['pass', 2], ['fail', 3]]);
  assert.equal(r.tests[1].actual, '2');
  assert.equal(r.tests[1].expected, '3');
  assert.equal(r.error?.message, 'big');
  assert.equal(r.error?.line, 2);
  assert.equal(r.error?.testLine, 4);
  // A flood of assertions is capped: the first 100 in detail, at most 10000 in all.
  const flood = await sb.run({
    mode: 'script',
    code: 'function id(x){ return x }',
    testCode: "const assert = require('assert');\nfor (let i = 0; i < 20000; i++) assert.equal(id(i), i % 2 ? i : -1);",
  }, { timeoutMs: 5000 });
  assert.equal(flood.status, 'ok');
  assert.equal(flood.tests.length, 10000);
  assert.equal(flood.passed, 5000);
  assert.equal(flood.tests[0].actual, '0');
  assert.equal(flood.tests[200].actual, undefined);
});

test('a job starved of CPU by other processes is no time-out: it runs again with more wall-clock time', async () => {
  // testStallMs: each job's first run loses 1.5 s of wall-clock time without using CPU (what a
  // busy machine does to a worker, in the extreme), more than its 300 ms limit.
  const starved = new Sandbox({ workers: 1, timeoutMs: 300, testStallMs: 1500 });
  try {
    const job = (code: string) => starved.run({ mode: 'calls', entry: 'f', code, tests: [{ args: [1], expected: 1 }] });
    const r = await job('function f(x){ return x }');
    assert.equal(r.status, 'ok', JSON.stringify(r));
    assert.equal(r.passed, 1);
    // A loop that really uses its time is still stopped.
    assert.equal((await job('function f(x){ for(;;){} }')).status, 'timeout');
  } finally {
    await starved.close();
  }
});

test('the parent kills a worker past the wall-clock limit and replaces it', async () => {
  const strict = new Sandbox({ workers: 1, timeoutMs: 10_000, wallMs: 300 });
  try {
    const first = strict.pids;
    const r = await strict.run({ mode: 'calls', entry: 'f', code: 'function f(){ for(;;){} }', tests: [{ args: [], expected: 1 }] });
    assert.equal(r.status, 'timeout');
    assert.deepEqual(r.tests.map((t) => t.status), ['not_run']);
    const ok = await strict.run({ mode: 'calls', entry: 'f', code: 'function f(){ return 1 }', tests: [{ args: [], expected: 1 }] });
    assert.equal(ok.passed, 1);
    assert.notDeepEqual(strict.pids, first);
  } finally {
    await strict.close();
  }
});

test('the resident-memory watch kills a worker the heap limit does not stop', async () => {
  const watched = new Sandbox({ workers: 1, timeoutMs: 20_000, memoryMb: 2048, rssLimitMb: 200 });
  try {
    const r = await watched.run({
      mode: 'calls', entry: 'f', tests: [{ args: [], expected: 0 }],
      code: 'function f(){ const a = []; for (let i = 0; i < 60; i++) a.push(new Array(1e6).fill(i + 0.5)); for(;;){} }',
    });
    assert.equal(r.status, 'memory_limit');
  } finally {
    await watched.close();
  }
});

test('workers are replaced after maxJobsPerWorker jobs, or when state outlives a context', async () => {
  const job = { mode: 'calls' as const, entry: 'f', code: 'function f(){ return 1 }', tests: [{ args: [], expected: 1 }] };
  const counted = new Sandbox({ workers: 1, maxJobsPerWorker: 2 });
  try {
    await counted.run(job);
    const first = counted.pids;
    assert.equal((await counted.run(job)).passed, 1);
    assert.equal((await counted.run(job)).passed, 1);
    assert.notDeepEqual(counted.pids, first);
  } finally {
    await counted.close();
  }
  // A job that timed out (here: a promise-job flood after returning) leaves garbage the next
  // job would pay for: its worker is replaced.
  const flooded = new Sandbox({ workers: 1, timeoutMs: 200 });
  try {
    await flooded.run(job);
    const first = flooded.pids;
    const r = await flooded.run({ ...job, code: 'function f(){ (function loop(){ Promise.resolve().then(loop) })(); return 1 }' });
    assert.equal(r.status, 'timeout');
    assert.equal((await flooded.run(job)).passed, 1);
    assert.notDeepEqual(flooded.pids, first);
  } finally {
    await flooded.close();
  }
  // The Symbol.for registry is shared by all contexts of a process: each job leaves 4 MB
  // behind for good. 16 jobs would exhaust a 64 MB heap; the worker retires before that.
  const leaky = new Sandbox({ workers: 1, memoryMb: 64, timeoutMs: 5000 });
  try {
    await leaky.run(job);
    const first = leaky.pids;
    for (let i = 0; i < 16; i++) {
      const r = await leaky.run({ ...job, code: `Symbol.for("x".repeat(4e6) + ${i}); function f(){ return 1 }` });
      assert.deepEqual([r.status, r.passed], ['ok', 1], `job ${i}`);
    }
    assert.notDeepEqual(leaky.pids, first);
  } finally {
    await leaky.close();
  }
});

test('many jobs with kills in between: every result belongs to its own job', async () => {
  const busy = new Sandbox({ workers: 2, timeoutMs: 10_000, wallMs: 400 });
  try {
    const jobs = Array.from({ length: 18 }, (_, i) =>
      busy.run({
        mode: 'calls', entry: 'f', tests: [{ args: [i], expected: i * 7 }],
        code: i % 6 === 5 ? 'function f(){ for(;;){} }' : `function f(x){ return x * 7 }`,
      }));
    const results = await Promise.all(jobs);
    results.forEach((r, i) => {
      if (i % 6 === 5) assert.equal(r.status, 'timeout', `job ${i}`);
      else assert.deepEqual([r.status, r.tests[0].actual], ['ok', String(i * 7)], `job ${i}`);
    });
  } finally {
    await busy.close();
  }
});

test('after the suite: the host is unchanged and close() leaves no process behind', async () => {
  assert.deepEqual(Object.getOwnPropertyNames(globalThis).sort(), hostGlobals);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  const r = await call('function f(x){ return x * 2 }', [[[21], 42]]);
  assert.equal(r.passed, 1);
  const extra = new Sandbox({ workers: 2 });
  await Promise.all([1, 2, 3].map((x) => extra.run({ mode: 'calls', entry: 'f', code: 'function f(x){return x}', tests: [{ args: [x], expected: x }] })));
  const pids = extra.pids;
  assert.ok(pids.length > 0);
  await extra.close();
  for (const pid of pids) assert.throws(() => process.kill(pid, 0), /ESRCH/);
  await assert.rejects(extra.run({ mode: 'calls', entry: 'f', code: '', tests: [] }), /after close/);
});
