import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  accuracyCurve, evalRows, finalResult, gapKeys, MASS_GAP, metricCurve, percentFactor, sampleDisagreementCurve,
} from '../../src/report/analyze.ts';
import type { Group, Run } from '../../src/report/runs.ts';
import type { Row } from '../../src/report/jsonl.ts';

function run(parts: { evals?: Row[]; metrics?: Row[]; samples?: Row[]; env?: string }): Run {
  return {
    dir: '/x', name: 'x', algorithm: 'a', label: 'a', env: parts.env ?? 'math', config: {},
    metrics: parts.metrics ?? [], evals: parts.evals ?? [], samples: parts.samples ?? [], warnings: [],
  };
}
const group = (...runs: Run[]): Group => ({ label: 'a', env: 'math', runs });

test('one seed: a Wilson interval over the test prompts', () => {
  const r = finalResult(group(run({ evals: [{ step: 0, accuracy: 0.3, n: 10 }, { step: 10, accuracy: 0.8, n: 10 }] })), 100)!;
  assert.equal(r.seeds, 1);
  assert.match(r.intervalKind, /Wilson interval over 10 test prompts/);
  assert.ok(Math.abs(r.final.lo - 49.02) < 0.01 && Math.abs(r.final.hi - 94.33) < 0.01);
  assert.equal(r.final.mean, 80);
  assert.equal(r.initial, 30);
  assert.equal(r.source, 'eval');
});

test('several seeds: t interval clipped to [0, 100]; the last evaluation of each seed counts', () => {
  const g = group(
    run({ evals: [{ step: 0, accuracy: 0.5 }, { step: 5, accuracy: 0.99 }] }),
    run({ evals: [{ step: 5, accuracy: 0.7 }, { step: 0, accuracy: 0.5 }] }),
  );
  const r = finalResult(g, 100)!;
  assert.equal(r.final.mean, (99 + 70) / 2);
  assert.equal(r.final.hi, 100);
  assert.equal(r.step, 5);
  assert.equal(r.minStep, 5);
  assert.match(r.intervalKind, /over 2 seeds/);
  const early = finalResult(group(run({ evals: [{ step: 3, accuracy: 0.5 }] }), run({ evals: [{ step: 9, accuracy: 0.5 }] })), 100)!;
  assert.deepEqual([early.minStep, early.step], [3, 9]);
});

test('without eval.jsonl the training accuracy is used, and said to be', () => {
  const r = finalResult(group(run({ metrics: [{ step: 0, accuracy: 0.2 }, { step: 1, accuracy: 0.4 }] })), 100)!;
  assert.equal(r.source, 'train');
  assert.equal(r.final.mean, 40);
  assert.equal(finalResult(group(run({})), 100), undefined);
});

test('evaluations are filtered by env and deduplicated by step', () => {
  const r = run({ evals: [{ step: 0, env: 'math', accuracy: 0.1 }, { step: 0, env: 'code', accuracy: 0.9 }, { step: 0, env: 'math', accuracy: 0.2 }] });
  assert.deepEqual(evalRows(r, 'math').map((e) => e.accuracy), [0.2]);
});

test('percentages logged as 0-100 are recognised', () => {
  assert.equal(percentFactor([group(run({ evals: [{ accuracy: 0.5 }] }))]), 100);
  assert.equal(percentFactor([group(run({ evals: [{ accuracy: 55 }] }))]), 1);
});

test('accuracy curves against tokens; metric curves against step', () => {
  const r = run({ evals: [{ step: 0, sampled_tokens: 0, accuracy: 0.1 }, { step: 5, sampled_tokens: 1000, accuracy: 0.3 }] });
  assert.deepEqual(accuracyCurve(group(r), 'sampled_tokens', 100).mean, [10, 30]);
  assert.equal(accuracyCurve(group(r), 'wall_s', 100).x.length, 0, 'no wall_s, no curve');
  const m = run({ metrics: [{ step: 0, teacher_mass: 0.9, student_mass: 0.5 }, { step: 1, teacher_mass: 0.9, student_mass: 0.7 }] });
  const c = metricCurve(group(m), MASS_GAP);
  assert.deepEqual(c.x, [0, 1]);
  c.mean.forEach((v, i) => assert.ok(Math.abs(v - [0.4, 0.2][i]) < 1e-9));
});

test('gap keys: an explicit gap first, teacher KLs next, kl_init and timings never', () => {
  const m = run({ metrics: [{ step: 0, gap: 1, 'kl/teacher': 2, kl_init: 3, teacher_mass: 4, 'time/score_s': 5, loss: 6 }] });
  assert.deepEqual(gapKeys([group(m)]), ['gap', 'kl/teacher', 'teacher_mass']);
  const masses = run({ metrics: [{ step: 0, teacher_mass: 0.9, student_mass: 0.5 }] });
  assert.deepEqual(gapKeys([group(masses)]), [MASS_GAP]);
});

test('sample disagreement by step is the mean over all logged tokens of that step', () => {
  const r = run({
    samples: [
      { step: 0, disagreement: [1, 3] },
      { step: 0, disagreement: [2] },
      { step: 4, disagreement: [0, null, 1] },
      { step: 4, env: 'code', disagreement: [100] },
    ],
  });
  const c = sampleDisagreementCurve(group(r));
  assert.deepEqual(c.x, [0, 4]);
  assert.deepEqual(c.mean, [2, 0.5]);
});
