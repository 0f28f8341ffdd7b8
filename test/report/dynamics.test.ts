import { test } from 'node:test';
import assert from 'node:assert/strict';
import { trainingDynamics, windowMeans } from '../../src/report/dynamics.ts';
import { markdownReport } from '../../src/report/markdown.ts';
import type { Group, Run } from '../../src/report/runs.ts';

function run(seed: number, metrics: Record<string, unknown>[]): Run {
  return { dir: `/r/${seed}`, name: 'x', algorithm: 'rlif', label: 'rlif', env: 'math', seed, config: {}, metrics, evals: [], samples: [], warnings: [] };
}

test('windowMeans: the first and last eighth (at least one value), non-finite values dropped', () => {
  assert.deepEqual(windowMeans([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]), { first: 1.5, last: 15.5 });
  assert.deepEqual(windowMeans([4, NaN, 2]), { first: 4, last: 2 });
  assert.equal(windowMeans([NaN]), null);
});

test('trainingDynamics: per seed first/last window, then the mean over seeds with an interval on the last; unlogged metrics are absent', () => {
  const rows = (base: number) => Array.from({ length: 8 }, (_, i) => ({ step: i + 1, entropy: base - i * 0.01, 'rlif/distinct_answers': 3 - i * 0.25 }));
  const g: Group = { label: 'rlif', env: 'math', runs: [run(0, rows(0.2)), run(1, rows(0.4))] };
  const [r] = trainingDynamics([g]).get('math')!;
  assert.equal(r.seeds, 2);
  const e = r.cells.get('entropy')!;
  assert.ok(Math.abs(e.first - 0.3) < 1e-12);
  assert.ok(Math.abs(e.last.mean - 0.23) < 1e-12);
  assert.ok(e.last.ok && e.last.lo < 0.23 && e.last.hi > 0.23);
  const d = r.cells.get('rlif/distinct_answers')!;
  assert.equal(d.first, 3);
  assert.equal(d.last.mean, 1.25);
  assert.equal(d.last.lo, 1.25); // both seeds equal: a zero-width interval
  assert.equal(r.cells.has('completion_len'), false);
  assert.equal(trainingDynamics([{ label: 'x', env: 'math', runs: [run(0, [{ step: 1, loss: 1 }])] }]).size, 0);
});

test('the markdown report prints the training-signal table with only the logged columns', () => {
  const g: Group = { label: 'rlif', env: 'math', runs: [run(0, [{ step: 1, entropy: 0.2, completion_len: 44 }, { step: 2, entropy: 0.1, completion_len: 38 }])] };
  const md = markdownReport({
    title: 'T', generated: new Date(0), runCount: 1, results: new Map([['math', []]]), efficiency: new Map(), reference: 'grpo', overall: [], byEnv: new Map(),
    dynamics: trainingDynamics([g]),
  });
  assert.match(md, /### Training signals/);
  assert.ok(md.includes('| method | seeds | sampled-token NLL | completion length |'), md);
  assert.ok(md.includes('| rlif | 1 | 0.200 → 0.100 | 44.0 → 38.0 |'), md);
});
