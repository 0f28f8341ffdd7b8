import { test } from 'node:test';
import assert from 'node:assert/strict';
import { algorithmNames, createAlgorithm, getAlgorithm } from '../../src/algorithms/registry.ts';
import { ConfigError, describeSchema, resolveOptions, type Schema } from '../../src/util/schema.ts';

test('the registry holds the eleven algorithms, each validating its options', () => {
  const names = ['delta', 'distil', 'exprl', 'grpo', 'opd', 'opsd', 'rft', 'rlif', 'sdpo', 'setpg', 'sft'];
  assert.deepEqual(algorithmNames().filter((n) => !n.startsWith('test-')).sort(), names);
  for (const name of names) {
    const a = createAlgorithm(name);
    assert.equal(a.name, name);
    assert.throws(() => createAlgorithm(name, { noSuchOption: 1 }), (e: Error) => e instanceof ConfigError && e.message.startsWith(`${name}: unknown option 'noSuchOption'`), name);
    // Every option of the schema has help and appears in the description.
    const entry = getAlgorithm(name);
    for (const key of Object.keys(entry.options)) assert.match(describeSchema(entry.options), new RegExp(`^  ${key} `, 'm'));
  }
  assert.throws(() => createAlgorithm('ppo'), /unknown algorithm 'ppo'; known: distil, grpo, delta, rlif/);
});

test('option errors name the algorithm and the key', () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['distil', { topk: 8 }, /distil: unknown option 'topk' \(did you mean 'topK'\?\)/],
    ['distil', { topK: 0 }, /distil: option 'topK' must be >= 1, got 0/],
    ['distil', { topK: 2.5 }, /distil: option 'topK' must be a whole number, got 2.5/],
    ['distil', { select: 'best' }, /distil: option 'select' must be one of all, confident, feedback, confident_feedback; got "best"/],
    ['distil', { gamma: 1.5 }, /distil: option 'gamma' must be <= 1, got 1.5/],
    ['distil', { lambdaFc: -1 }, /distil: option 'lambdaFc' must be >= 0, got -1/],
    ['distil', { futureCredit: 'yes' }, /distil: option 'futureCredit' must be true or false, got "yes"/],
    ['distil', { teacher: 'oracle' }, /distil: option 'teacher' must be one of ema, frozen, live, external, expert; got "oracle"/],
    ['distil', { daggerBuffer: -2 }, /distil: option 'daggerBuffer' must be >= 0/],
    ['distil', { context: 3 }, /distil: option 'context' must be a string, got 3/],
    ['grpo', { scaling: 'std' }, /grpo: option 'scaling' must be one of group, batch, none/],
    ['grpo', { clipLow: 1.5 }, /grpo: option 'clipLow' must be <= 1, got 1.5/],
    ['grpo', { klBeta: 'a lot' }, /grpo: option 'klBeta' must be a number, got "a lot"/],
    ['grpo', { aggregation: 'sum' }, /grpo: option 'aggregation' must be one of token_mean, seq_mean, fixed_len/],
    ['opsd', { beta: 2 }, /opsd: option 'beta' must be <= 1, got 2/],
    ['opsd', { support: 'all' }, /opsd: option 'support' must be one of tail, renorm, full/],
    ['sdpo', { isClip: 0.5 }, /sdpo: option 'isClip' must be >= 1, got 0.5/],
    ['sdpo', { alpha: -0.1 }, /sdpo: option 'alpha' must be >= 0/],
    ['opd', { emaRate: 2 }, /opd: option 'emaRate' must be <= 1, got 2/],
    ['opd', { topK: 4 }, /opd: unknown option 'topK'/],
    ['rft', { maxPerGroup: 0 }, /rft: option 'maxPerGroup' must be >= 1, got 0/],
    ['rft', { threshold: null }, /rft: option 'threshold' must be a number, got null/],
    ['sft', { lr: 1 }, /sft: unknown option 'lr'/],
  ];
  for (const [name, options, re] of cases) assert.throws(() => createAlgorithm(name, options), re, `${name} ${JSON.stringify(options)}`);
});

test('options given as command-line strings are converted; defaults fill the rest', () => {
  const schema = {
    n: { type: 'number', default: 1, help: 'a number' },
    b: { type: 'boolean', default: false, help: 'a flag' },
    l: { type: 'numbers', default: null, integer: true, help: 'levels' },
  } as const satisfies Schema;
  assert.deepEqual(resolveOptions(schema, { n: '0.5', b: 'true', l: '1, 2,3' }, 'x'), { n: 0.5, b: true, l: [1, 2, 3] });
  assert.deepEqual(resolveOptions(schema, undefined, 'x'), { n: 1, b: false, l: null });
  assert.throws(() => resolveOptions(schema, { l: '1,x' }, 'x'), /Error: x: option 'l' must be a list of numbers|x: option 'l' must be a list of numbers/);
  assert.throws(() => resolveOptions(schema, { l: [1.5] }, 'x'), /x: option 'l' must hold whole numbers/);
  assert.throws(() => resolveOptions(schema, [] as unknown as Record<string, unknown>, 'x'), /x: options must be an object/);
  assert.deepEqual(createAlgorithm('grpo', { klBeta: '0.1' }).needs.refLogprobs, true);
});
