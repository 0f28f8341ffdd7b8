import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createCodeEnv } from '../../../src/envs/code/index.ts';
import { plausibleMistake } from '../../../src/envs/code/mistakes.ts';
import { Rng } from '../../../src/util/rng.ts';

const env = createCodeEnv({ timeoutMs: 500 });
after(async () => {
  await env.close?.();
});

test('slips are small, deterministic, and mostly wrong', async () => {
  const tasks = env.tasks('train', 120, 5, { levels: [1, 2, 3] });
  const a = tasks.map((t) => plausibleMistake(t.reference!, new Rng(1)));
  const b = tasks.map((t) => plausibleMistake(t.reference!, new Rng(1)));
  assert.deepEqual(a, b);
  a.forEach((m, i) => {
    assert.notEqual(m, tasks[i].reference);
    assert.ok(Math.abs(m.length - tasks[i].reference!.length) <= 2, `${tasks[i].reference} -> ${m}`);
  });
  const outcomes = await Promise.all(tasks.map((t, i) => env.evaluate(t, a[i])));
  const wrong = outcomes.filter((o) => !o.correct).length;
  assert.ok(wrong >= 0.85 * tasks.length, `${wrong}/${tasks.length} wrong`);
  // Mostly test failures with feedback, not syntax errors.
  const failed = outcomes.filter((o) => o.feedback.items[0]?.kind === 'test_failed').length;
  assert.ok(failed >= 0.7 * tasks.length, `${failed} test failures`);
});

test('examples of slips on level-1 code', () => {
  const seen = new Set<string>();
  for (let s = 0; s < 40; s++) seen.add(plausibleMistake('function f(x,y){return x-y}', new Rng(s)));
  assert.ok(seen.has('function f(x,y){return x+y}'));
  assert.ok(seen.has('function f(x,y){return y-x}'));
  for (const m of seen) assert.match(m, /^function f\(x,y\)\{return [xy][-+*][xy]\}$/);
});
