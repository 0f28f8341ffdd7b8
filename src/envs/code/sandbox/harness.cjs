'use strict';
/**
 * Code that runs INSIDE each fresh vm context, before the candidate's code (see README.md).
 *
 * Plain JavaScript on purpose: the worker process runs without tsx and may read only its own
 * files. The two functions below are injected into contexts by their source text
 * (Function.prototype.toString), so they must not refer to anything outside themselves.
 *
 * Threat model: after `install` returns, the candidate runs in the same realm and may replace
 * any global or prototype method. Every function here therefore uses only intrinsics it
 * captured before that, calls them through a captured Reflect.apply, never iterates with
 * for-of or spread (Array.prototype[Symbol.iterator] is replaceable), never builds results as
 * objects or arrays (toJSON / setters on prototypes are replaceable) but as concatenated
 * primitive strings, and is strict-mode, so that sloppy candidate functions cannot walk
 * `fn.caller` / `fn.arguments` into it. Expected values of generated tests never enter the
 * context at all: the worker compares rendered strings outside it.
 */

/**
 * Renders a value as compact, JSON-like text: `[1,2,"a"]`, `{"k":1}`, `undefined`, `NaN`,
 * `-0`, `12n`. Equal JSON data renders to equal text, so a test passes iff the rendering of
 * the candidate's value equals the rendering of the expected one. `I` holds the realm's
 * intrinsics, captured before any untrusted code ran. Output longer than `limit` is cut: the
 * result is then longer than `limit` (the caller checks for that) but never much longer.
 */
function makeShow(I) {
  'use strict';
  const apply = I.apply, stringify = I.stringify, isArray = I.isArray, keys = I.keys, slice = I.strSlice;
  const create = I.create;
  // Map, Set and Date render by content (else every Map would render as {}).
  return function show(value, limit, loose) {
    let out = '';
    let over = false;
    // Null prototype: storing into it cannot reach a setter the candidate put on a prototype.
    const stack = create(null);
    let depth = 0;
    function put(s) {
      if (over) return;
      if (out.length + s.length > limit) {
        out += apply(slice, s, [0, limit + 1 - out.length]);
        over = true;
      } else out += s;
    }
    function str(s) {
      // Cut huge strings before quoting them, so a 100 MB return value costs no more.
      put(stringify(s.length > limit ? apply(slice, s, [0, limit + 1]) : s));
    }
    /** 'Map', 'Set' or 'Date' by internal slot (the builtin getter throws otherwise; no user code runs). */
    function kindOf(v) {
      const tries = [['Map', I.mapSize], ['Set', I.setSize], ['Date', I.dateGetTime]];
      for (let i = 0; i < 3; i++) {
        try {
          apply(tries[i][1], v, []);
          return tries[i][0];
        } catch (_) {
          // not this kind
        }
      }
      return '';
    }
    function walk(v) {
      if (over) return;
      const t = typeof v;
      if (t === 'number') {
        if (v === 0 && 1 / v < 0 && !loose) put('-0');
        else put('' + v);
      } else if (t === 'string') str(v);
      else if (t === 'boolean') put(v ? 'true' : 'false');
      else if (t === 'undefined') put('undefined');
      else if (t === 'bigint') put('' + v + 'n');
      else if (t === 'symbol') put('Symbol()');
      else if (t === 'function') put('function');
      else if (v === null) put('null');
      else {
        for (let i = 0; i < depth; i++) {
          if (stack[i] === v) {
            put('"[circular]"');
            return;
          }
        }
        if (depth >= 32) {
          put('"[too deep]"');
          return;
        }
        stack[depth++] = v;
        // Arrays and plain objects (the common case) skip the slot probes.
        let kind = '';
        if (!isArray(v)) {
          const proto = I.getProto(v);
          if (proto !== I.objectProto && proto !== null) kind = kindOf(v);
        }
        if (kind === 'Map' || kind === 'Set') {
          // forEach, not the iterator protocol (whose `next` candidate code could replace).
          put(kind === 'Map' ? 'Map{' : 'Set[');
          let first = true;
          apply(kind === 'Map' ? I.mapForEach : I.setForEach, v, [function (val, key) {
            if (over) return;
            if (!first) put(',');
            first = false;
            if (kind === 'Map') {
              walk(key);
              put('=>');
            }
            walk(val);
          }]);
          put(kind === 'Map' ? '}' : ']');
        } else if (kind === 'Date') {
          put('Date(' + apply(I.dateGetTime, v, []) + ')');
        } else if (isArray(v)) {
          put('[');
          const n = v.length;
          for (let i = 0; i < n && !over; i++) {
            if (i) put(',');
            walk(v[i]);
          }
          put(']');
        } else {
          put('{');
          const ks = keys(v);
          const n = ks.length;
          for (let i = 0; i < n && !over; i++) {
            if (i) put(',');
            str('' + ks[i]);
            put(':');
            walk(v[ks[i]]);
          }
          put('}');
        }
        depth--;
      }
    }
    walk(value);
    return out;
  };
}

/**
 * Prepares a fresh context and returns the harness's API (to the worker only: the value of
 * the prelude script). Reads its job from `g.__distil_input` (a JSON string) and deletes it.
 */
function install(g, makeShow) {
  'use strict';
  const O = g.Object;
  const apply = g.Reflect.apply;
  const defineProperty = O.defineProperty;
  const freeze = O.freeze;
  const is = O.is;
  const parse = g.JSON.parse;
  const stringify = g.JSON.stringify;
  const strSlice = g.String.prototype.slice;
  const exec = g.RegExp.prototype.exec;
  const Err = g.Error;
  const show = makeShow({
    apply, stringify, isArray: g.Array.isArray, keys: O.keys, strSlice, create: O.create,
    mapSize: O.getOwnPropertyDescriptor(g.Map.prototype, 'size').get, mapForEach: g.Map.prototype.forEach,
    setSize: O.getOwnPropertyDescriptor(g.Set.prototype, 'size').get, setForEach: g.Set.prototype.forEach,
    dateGetTime: g.Date.prototype.getTime, getProto: O.getPrototypeOf, objectProto: O.prototype,
  });

  const input = parse(g.__distil_input);
  delete g.__distil_input;
  const limit = input.outputLimit;
  const msgLimit = 500;

  // What a task never needs and what could outlive the evaluation or use memory the heap
  // limit does not count: shared memory and blocking waits, wasm, off-heap buffers, and
  // finalisation callbacks that would run later on the worker's event loop.
  const remove = ['WebAssembly', 'SharedArrayBuffer', 'Atomics', 'ArrayBuffer', 'DataView',
    'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array',
    'Uint32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array',
    'FinalizationRegistry', 'WeakRef', 'console'];
  for (let i = 0; i < remove.length; i++) delete g[remove[i]];
  // Stack-trace hooks would let candidate code run while the harness formats an error, and
  // receive call sites; fix them for good. A writable `code` on Error.prototype makes the
  // worker's time-out error get its own `code` instead of calling a candidate setter.
  defineProperty(Err, 'prepareStackTrace', { value: undefined, writable: false, configurable: false });
  defineProperty(Err, 'stackTraceLimit', { value: 10, writable: false, configurable: false });
  defineProperty(g, 'Error', { value: Err, writable: false, configurable: false, enumerable: false });
  defineProperty(Err.prototype, 'code', { value: undefined, writable: true, configurable: false, enumerable: false });

  function cut(s, n) {
    return s.length > n ? apply(strSlice, s, [0, n]) + '...' : s;
  }
  function lineIn(stackText, re) {
    const m = apply(exec, re, [stackText]);
    return m ? +m[1] : 0;
  }
  /** JSON text {name, message, line, testLine} of a thrown value; runs candidate getters. */
  function describe(e) {
    let name = 'Error';
    let message = '';
    let line = 0;
    let testLine = 0;
    try {
      if (e !== null && (typeof e === 'object' || typeof e === 'function')) {
        const n = e.name;
        if (typeof n === 'string') name = n;
        const m = e.message;
        if (typeof m === 'string') message = m;
        const st = e.stack;
        if (typeof st === 'string') {
          line = lineIn(st, /candidate\.js:(\d+)/);
          testLine = lineIn(st, /tests\.js:(\d+)/);
        }
      } else {
        name = 'thrown value';
        message = show(e, msgLimit, false);
      }
    } catch (_) {
      // A getter that throws leaves the defaults.
    }
    return '{"name":' + stringify(cut(name, 100)) + ',"message":' + stringify(cut(message, msgLimit)) +
      ',"line":' + line + ',"testLine":' + testLine + '}';
  }

  // console: output is kept up to `limit` characters; the rest is counted, not stored.
  let out = '';
  let outTruncated = false;
  function log() {
    let s = '';
    for (let i = 0; i < arguments.length; i++) {
      const a = arguments[i];
      if (i) s += ' ';
      s += typeof a === 'string' ? a : show(a, limit, false);
      if (s.length > limit) break;
    }
    s += '\n';
    if (outTruncated) return;
    if (out.length + s.length > limit) {
      out += apply(strSlice, s, [0, limit - out.length]);
      outTruncated = true;
    } else out += s;
  }
  const con = freeze({ log, info: log, warn: log, error: log, debug: log, trace: log });
  defineProperty(g, 'console', { value: con, writable: true, configurable: true, enumerable: false });

  // Results, as comma-separated JSON object texts.
  let records = '';
  let nRecords = 0;
  let tampered = false;
  let ran = false;

  /** Mode 'calls': call the entry point once per test, record each rendered result. */
  function runTests(getEntry) {
    if (ran || input.role !== 'calls') {
      tampered = true;
      return;
    }
    ran = true;
    let fn;
    try {
      fn = getEntry();
    } catch (_) {
      fn = undefined;
    }
    if (typeof fn !== 'function') {
      records = '{"s":"no_entry"}';
      nRecords = 1;
      return;
    }
    const tests = input.args;
    for (let i = 0; i < tests.length; i++) {
      const args = parse(tests[i]);
      let rec;
      try {
        const r = apply(fn, undefined, args);
        const shown = show(r, limit, false);
        rec = shown.length > limit
          ? '{"s":"output_limit","a":' + stringify(apply(strSlice, shown, [0, limit])) + '}'
          : '{"s":"ok","a":' + stringify(shown) + '}';
      } catch (e) {
        rec = '{"s":"exception","e":' + describe(e) + '}';
      }
      records += (nRecords ? ',' : '') + rec;
      nRecords++;
    }
  }

  // Mode 'script': assertions for the test code. They record instead of throwing, so that a
  // failed check does not hide the ones after it; only the test code ever gets them.
  // Checks after the first 100 are recorded without detail, and after the first 10000 not
  // at all, so that a loop of assertions cannot flood the reply.
  const maxDetailed = 100;
  const maxChecks = 10000;
  let nChecks = 0;
  function check(pass, op, actual, expected, hasExpected, message) {
    nChecks++;
    if (nChecks > maxChecks) return;
    if (nChecks > maxDetailed) {
      records += (nRecords ? ',' : '') + (pass ? '{"s":"pass"}' : '{"s":"fail"}');
      nRecords++;
      return;
    }
    let line = 0;
    try {
      const st = new Err().stack;
      if (typeof st === 'string') line = lineIn(st, /tests\.js:(\d+)/);
    } catch (_) {
      // keep 0
    }
    let rec = '{"s":' + (pass ? '"pass"' : '"fail"') + ',"op":' + stringify(op) + ',"line":' + line;
    if (!pass) {
      const a = show(actual, limit, false);
      rec += ',"a":' + stringify(a.length > limit ? apply(strSlice, a, [0, limit]) : a);
      if (hasExpected) {
        const e = show(expected, limit, false);
        rec += ',"e":' + stringify(e.length > limit ? apply(strSlice, e, [0, limit]) : e);
      }
      if (typeof message === 'string') rec += ',"m":' + stringify(cut(message, msgLimit));
    }
    records += (nRecords ? ',' : '') + rec + '}';
    nRecords++;
  }
  function same(a, b, loose) {
    return show(a, limit, loose) === show(b, limit, loose);
  }
  const assert = function ok(value, message) {
    check(!!value, 'ok', value, undefined, false, message);
  };
  assert.ok = assert;
  assert.equal = function equal(a, b, m) { check(a == b, 'equal', a, b, true, m); };
  assert.notEqual = function notEqual(a, b, m) { check(a != b, 'notEqual', a, b, true, m); };
  assert.strictEqual = function strictEqual(a, b, m) { check(is(a, b), 'strictEqual', a, b, true, m); };
  assert.notStrictEqual = function notStrictEqual(a, b, m) { check(!is(a, b), 'notStrictEqual', a, b, true, m); };
  assert.deepEqual = function deepEqual(a, b, m) { check(same(a, b, true), 'deepEqual', a, b, true, m); };
  assert.deepStrictEqual = function deepStrictEqual(a, b, m) { check(same(a, b, false), 'deepStrictEqual', a, b, true, m); };
  assert.notDeepEqual = function notDeepEqual(a, b, m) { check(!same(a, b, true), 'notDeepEqual', a, b, true, m); };
  assert.notDeepStrictEqual = function notDeepStrictEqual(a, b, m) { check(!same(a, b, false), 'notDeepStrictEqual', a, b, true, m); };
  assert.throws = function throws(fn, _expected, m) {
    let threw = false;
    try {
      fn();
    } catch (_) {
      threw = true;
    }
    check(threw, 'throws', undefined, undefined, false, typeof _expected === 'string' ? _expected : m);
  };
  assert.strict = assert;
  freeze(assert);
  function requireShim(name) {
    if (name === 'assert' || name === 'node:assert' || name === 'assert/strict' || name === 'node:assert/strict') return assert;
    throw new Err('require is not available in the sandbox');
  }
  const testConsole = freeze({
    log, info: log, warn: log, error: log, debug: log, trace: log,
    assert: function consoleAssert(value, message) { check(!!value, 'console.assert', value, undefined, false, message); },
  });
  let kitTaken = false;
  /**
   * The test kit, handed out once and only in a test realm: any other request means the
   * candidate tried to get it.
   */
  function takeKit() {
    if (kitTaken || input.role !== 'tests') {
      tampered = true;
      return null;
    }
    kitTaken = true;
    return freeze({ require: requireShim, console: testConsole, imports });
  }
  let imports = null;

  /**
   * Script jobs run their test code in a second context of their own, and freeze it first:
   * every intrinsic reachable from its globals (and the ones only syntax reaches, such as
   * iterator prototypes) and the global bindings themselves. Candidate code, which lives in
   * the first context, can then reach this one only through the values the test code hands
   * it, and can change nothing the test code relies on to compare (JSON.stringify,
   * Array.prototype.every, iteration...). Error.prototype stays writable: node:vm's time-out
   * error must be able to get its own `code` property.
   */
  function freezeRealm() {
    const getOwnDesc = O.getOwnPropertyDescriptor;
    const ownKeys = g.Reflect.ownKeys;
    const getProto = O.getPrototypeOf;
    const seen = new g.Set();
    const keep = Err.prototype;
    function deep(v) {
      if (v === null || (typeof v !== 'object' && typeof v !== 'function') || v === g || v === keep || seen.has(v)) return;
      seen.add(v);
      freeze(v);
      const ks = ownKeys(v);
      for (let i = 0; i < ks.length; i++) {
        const d = getOwnDesc(v, ks[i]);
        if (!d) continue;
        if ('value' in d) deep(d.value);
        else {
          deep(d.get);
          deep(d.set);
        }
      }
      deep(getProto(v));
    }
    const syntaxOnly = [
      function* () {}, async function () {}, async function* () {},
      [][g.Symbol.iterator](), ''[g.Symbol.iterator](), new g.Map().entries(), new g.Set().values(),
      /a/[g.Symbol.matchAll](''), (function* () {})(), (async function* () {})(),
    ];
    for (let i = 0; i < syntaxOnly.length; i++) deep(syntaxOnly[i]);
    const names = O.getOwnPropertyNames(g);
    for (let i = 0; i < names.length; i++) {
      const n = names[i];
      if (n === '__distil') continue;
      const d = getOwnDesc(g, n);
      if (d && 'value' in d) deep(d.value);
      // The value is restated: node:vm's global interceptor would otherwise store undefined.
      if (d && 'value' in d && d.configurable) defineProperty(g, n, { value: d.value, writable: false, configurable: false });
    }
  }

  let stashed;
  let hasStash = false;
  const api = freeze({
    /** Called by the worker with a value the candidate's top level threw (never inspected there). */
    stash(e) {
      stashed = e;
      hasStash = true;
    },
    describeStashed() {
      return hasStash ? describe(stashed) : '{"name":"Error","message":"","line":0,"testLine":0}';
    },
    freezeRealm,
    /** The candidate's definitions the test code uses (an object from the other context). */
    setImports(o) {
      imports = o;
    },
    report() {
      return '{"records":[' + records + '],"console":' + stringify(out) + ',"consoleTruncated":' +
        (outTruncated ? 'true' : 'false') + ',"tampered":' + (tampered ? 'true' : 'false') + '}';
    },
  });
  // The scripts the worker runs by name reach the harness through this one global, which the
  // candidate can neither replace nor redefine (a `function __distil` declaration is ignored,
  // `let __distil` is a SyntaxError).
  defineProperty(g, '__distil', {
    value: freeze({ runTests, takeKit, describeStashed: api.describeStashed }),
    writable: false, configurable: false, enumerable: false,
  });
  return api;
}

module.exports = { makeShow, install };
