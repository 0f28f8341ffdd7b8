import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildProgram, countChecks, extractCode } from '../../../src/envs/code/extract.ts';

test('extractCode: first fenced block, else the text; trailing space dropped', () => {
  assert.equal(extractCode('```\na\n```\n```js\nb\n```'), 'a');
  assert.equal(extractCode('```ts\nunclosed'), 'unclosed');
  assert.equal(extractCode('  function f(){}  \n\n'), '  function f(){}');
});

test('buildProgram: continue the prompt, or replace its unfinished entry point', () => {
  const prompt = 'function helper(){ return 1 }\n/* doc */\nfunction main(x){\n';
  assert.deepEqual(buildProgram(prompt, '  return x\n}\n', 'main'), { program: `${prompt}  return x\n}\n`, prefixLines: 3 });
  const full = buildProgram(prompt, '```js\nfunction main(x){ return helper() + x }\n```', 'main');
  assert.equal(full.program, 'function helper(){ return 1 }\n/* doc */\nfunction main(x){ return helper() + x }');
  assert.equal(full.prefixLines, 2);
  const arrow = buildProgram('const go = (a) => {\n', 'const go = (a) => a', 'go');
  assert.deepEqual(arrow, { program: 'const go = (a) => a', prefixLines: 0 });
  // `$` in a name is matched literally.
  assert.equal(buildProgram('function $f(x){\n', 'function $f(x){ return 2 }', '$f').program, 'function $f(x){ return 2 }');
});

test('countChecks counts assertion call sites, not comments or the require', () => {
  const code = "const assert = require('node:assert');\n// assert.ok(false)\n/* assert(1) */\nassert(x);\nassert.deepEqual(a, b);\nassert.strictEqual (c, d);\nconsole.assert(e)";
  assert.equal(countChecks(code), 4);
});
