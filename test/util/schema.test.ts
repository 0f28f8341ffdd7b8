import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkKeys, checkName, ConfigError, didYouMean, resolveOptions, type Schema } from '../../src/util/schema.ts';

const SCHEMA = {
  mode: { type: 'enum', values: ['fast', 'exact'], default: 'fast', help: 'how' },
  name: { type: 'string', default: 'a', oneOf: () => ['a', 'alpha', 'beta'], help: 'a registered name' },
  free: { type: 'string', default: '', help: 'any text' },
} as const satisfies Schema;

test('enum options resolve to their literal union (no casts at call sites)', () => {
  const o = resolveOptions(SCHEMA, { mode: 'exact' }, 'x');
  // Compiles only because o.mode is 'fast' | 'exact', not string (tsc runs as part of npm test).
  const mode: 'fast' | 'exact' = o.mode;
  assert.equal(mode, 'exact');
  assert.equal(o.name, 'a');
});

test('unknown keys and values name the nearest known one', () => {
  assert.throws(() => resolveOptions(SCHEMA, { mdoe: 'fast' }, 'x'), (e: Error) => e instanceof ConfigError && e.message === "x: unknown option 'mdoe' (did you mean 'mode'?); known: mode, name, free");
  assert.throws(() => resolveOptions(SCHEMA, { mode: 'exatc' }, 'x'), /x: option 'mode' must be one of fast, exact; got "exatc" \(did you mean 'exact'\?\)/);
  assert.throws(() => resolveOptions(SCHEMA, { name: 'alhpa' }, 'x'), /x: option 'name' must be one of a, alpha, beta; got "alhpa" \(did you mean 'alpha'\?\)/);
  // Far from every known word: no guess, only the list.
  assert.throws(() => resolveOptions(SCHEMA, { name: 'zzzzzzzz' }, 'x'), (e: Error) => !/did you mean/.test(e.message) && /a, alpha, beta/.test(e.message));
  assert.equal(resolveOptions(SCHEMA, { free: 'anything' }, 'x').free, 'anything');
  assert.throws(() => checkKeys({ seeds: [1], evns: [] }, ['seeds', 'envs'], 'compare config'), /compare config: unknown key 'evns' \(did you mean 'envs'\?\)/);
  assert.doesNotThrow(() => checkName('beta', ['alpha', 'beta'], 'n'));
  assert.equal(didYouMean('critque', ['feedback', 'critique']), " (did you mean 'critique'?)");
  assert.equal(didYouMean('q', ['feedback', 'critique']), '');
});
