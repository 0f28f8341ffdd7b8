import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createCodeEnv, CODE_LEVELS } from '../../../src/envs/code/index.ts';
import { allProblems } from '../../../src/envs/code/families.ts';
import { extractCode } from '../../../src/envs/code/extract.ts';
import type { Task } from '../../../src/envs/types.ts';

const env = createCodeEnv({ timeoutMs: 500 });
after(async () => {
  await env.close?.();
});

function level1Task(): Task {
  // The first level-1 task of a fixed seed whose problem is x+c: stable across runs.
  const t = env.tasks('train', 50, 3, { levels: [1] }).find((t) => /^x\+\d$/.test(t.meta.problem as string));
  assert.ok(t, 'seed 3 draws an x+c problem');
  return t;
}

test('tasks are deterministic, and the test split never appears in training', () => {
  const a = env.tasks('train', 30, 7, { levels: [1, 2, 3] });
  const b = env.tasks('train', 30, 7, { levels: [1, 2, 3] });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, env.tasks('train', 30, 8, { levels: [1, 2, 3] }));
  const test = new Set(env.tasks('test', 200, 0, { levels: [1] }).map((t) => t.prompt));
  for (const seed of [1, 2, 3]) {
    for (const t of env.tasks('train', 300, seed, { levels: [1] })) assert.ok(!test.has(t.prompt), t.prompt);
  }
  assert.match(a[0].id, /^code\/train\/[123]\/0000$/);
});

test('level 1 is short enough for a character-level model', () => {
  for (const t of env.tasks('train', 100, 1, { levels: [1] })) {
    assert.ok(t.prompt.length <= 40, t.prompt);
    assert.ok(t.reference!.length <= 30, t.reference);
    assert.match(t.reference!, /^function f\(x(,y)?\)\{return [^;]+\}$/);
    assert.match(t.prompt, /^(f\(\d(,\d)?\)=-?\d+ ){2,}f\(\d(,\d)?\)=-?\d+\n$/);
  }
});

test('the examples of levels 1-2 single out the function among all of the level', () => {
  for (const level of [1, 2]) {
    const space = allProblems(level);
    for (const t of env.tasks('train', 60, 11, { levels: [level] })) {
      const tests = t.meta.tests as { args: number[]; expected: number }[];
      const shown = tests.slice(0, t.meta.examples as number);
      const fits = space.filter((p) => shown.every((e) => JSON.stringify(p.fn(...e.args)) === JSON.stringify(e.expected)));
      const differ = fits.filter((p) => tests.some((e) => JSON.stringify(p.fn(...e.args)) !== JSON.stringify(e.expected)));
      assert.deepEqual(differ.map((p) => p.key), [], `${t.prompt} is ambiguous`);
    }
  }
});

test('every level: the reference solution passes all hidden tests', async () => {
  // A generous time limit: node:vm's limit is wall-clock, and this checks answers, not limits
  // (on a machine loaded 15x over, a trivial job has taken more than 500 ms).
  const roomy = createCodeEnv({ timeoutMs: 20_000 });
  try {
    for (const level of CODE_LEVELS) {
      const tasks = roomy.tasks('test', 15, level, { levels: [level] });
      const outcomes = await Promise.all(tasks.map((t) => roomy.evaluate(t, t.reference!)));
      outcomes.forEach((o, i) => {
        assert.equal(o.correct, true, `${tasks[i].prompt} ${tasks[i].reference} ${JSON.stringify(o.feedback)}`);
        assert.equal(o.reward, 1);
        assert.deepEqual(o.feedback.items, []);
      });
      for (const t of tasks) assert.equal((t.meta.tests as unknown[]).length, 10);
    }
  } finally {
    await roomy.close?.();
  }
});

test('a wrong answer gets the first failing test with input, expected and actual; partial credit', async () => {
  const t = level1Task();
  const c = Number(/\+(\d)/.exec(t.reference!)![1]);
  const o = await env.evaluate(t, `function f(x){return x<5?x+${c}:0}`);
  const tests = t.meta.tests as { args: number[]; expected: number }[];
  const firstBad = tests.findIndex((q) => q.args[0] >= 5 && q.expected !== 0);
  assert.equal(o.correct, false);
  assert.equal(o.reward, tests.filter((q) => q.args[0] < 5 || q.expected === 0).length / tests.length);
  const item = o.feedback.items[0];
  assert.equal(item.kind, 'test_failed');
  assert.equal(item.where?.testCase, firstBad);
  assert.equal(item.expected, String(tests[firstBad].expected));
  assert.equal(item.actual, '0');
  assert.equal(item.text, `f(${tests[firstBad].args[0]}) returned 0, expected ${tests[firstBad].expected}`);
});

test('exceptions, syntax errors, time-outs, memory and a missing function are reported with their line', async () => {
  const t = level1Task();
  const ex = await env.evaluate(t, 'function f(x){\n  return x.a.b\n}');
  assert.equal(ex.feedback.items[0].kind, 'exception');
  assert.equal(ex.feedback.items[0].where?.line, 2);
  assert.match(ex.feedback.items[0].text, /threw TypeError: .*\(line 2\)$/);
  const syn = await env.evaluate(t, 'function f(x){\nreturn x+\n}');
  assert.deepEqual([syn.feedback.items[0].kind, syn.feedback.items[0].where?.line], ['syntax_error', 3]);
  assert.equal(syn.reward, 0);
  const slow = await env.evaluate(t, 'function f(x){for(;;){}}');
  assert.equal(slow.feedback.items[0].kind, 'timeout');
  assert.equal(slow.reward, 0);
  // A generous time limit, so that the heap runs out first even on a busy machine.
  const roomy = createCodeEnv({ timeoutMs: 30_000, memoryMb: 64, workers: 1 });
  try {
    const mem = await roomy.evaluate(t, 'function f(x){const a=[];for(;;)a.push(new Array(1e6).fill(x))}');
    assert.equal(mem.feedback.items[0].kind, 'memory_limit');
    assert.equal(mem.feedback.items[0].text, 'the code ran out of memory (limit 64 MB)');
  } finally {
    await roomy.close?.();
  }
  const missing = await env.evaluate(t, 'function g(x){return x}');
  assert.equal(missing.feedback.items[0].kind, 'missing_function');
  const empty = await env.evaluate(t, '   ');
  assert.equal(empty.feedback.items[0].kind, 'format');
  // The env still works after all that.
  assert.equal((await env.evaluate(t, t.reference!)).correct, true);
});

test('output floods are reported as output_limit feedback', async () => {
  const t = level1Task();
  const big = await env.evaluate(t, 'function f(x){ return "x".repeat(1e6) }');
  assert.equal(big.feedback.items[0].kind, 'output_limit');
  assert.equal(big.reward, 0);
  const spam = await env.evaluate(t, 'function f(x){ for (let i = 0; i < 2000; i++) console.log(i); return -1 }');
  assert.deepEqual(spam.feedback.items.map((i) => i.kind), ['test_failed', 'output_limit']);
});

test('right values followed by a time-out, a memory limit or an output flood earn nothing', async () => {
  const t = level1Task();
  const body = t.reference!.replace(/^function f\(x\)\{return (.*)\}$/, '$1');
  const attacks: Record<string, string> = {
    'promise flood': `function f(x){ (function loop(){ Promise.resolve().then(loop) })(); return ${body} }`,
    'loop in a promise job': `function f(x){ Promise.resolve().then(() => { for(;;){} }); return ${body} }`,
    'getter read after the tests': `function f(x){ Promise.resolve().then(() => ({ get then(){ for(;;){} } })); return ${body} }`,
    'console flood': `function f(x){ Promise.resolve().then(() => { for (let i = 0; i < 2000; i++) console.log(i) }); return ${body} }`,
  };
  assert.equal((await env.evaluate(t, `function f(x){ return ${body} }`)).reward, 1);
  for (const [name, code] of Object.entries(attacks)) {
    const o = await env.evaluate(t, code);
    assert.equal(o.reward, 0, `${name}: ${JSON.stringify(o.feedback)}`);
    assert.equal(o.correct, false, name);
    const kind = name === 'console flood' ? 'output_limit' : 'timeout';
    assert.ok(o.feedback.items.some((i) => i.kind === kind), `${name}: ${JSON.stringify(o.feedback.items)}`);
  }
  const roomy = createCodeEnv({ timeoutMs: 30_000, memoryMb: 64, workers: 1 });
  try {
    const mem = await roomy.evaluate(t, `function f(x){ Promise.resolve().then(() => { const a = []; for(;;) a.push(new Array(1e6).fill(1.5)) }); return ${body} }`);
    assert.deepEqual([mem.reward, mem.feedback.items[0].kind], [0, 'memory_limit']);
  } finally {
    await roomy.close?.();
  }
});

test('code in a Markdown fence is taken from the fence', async () => {
  const t = level1Task();
  assert.equal(extractCode('Here:\n```js\nfunction f(){}\n```\nDone.'), 'function f(){}');
  assert.equal(extractCode('function f(){}\n'), 'function f(){}');
  const o = await env.evaluate(t, `Sure!\n\`\`\`javascript\n${t.reference}\n\`\`\``);
  assert.equal(o.correct, true);
});
