import { test } from 'node:test';
import assert from 'node:assert/strict';
import { feedbackMass, massAfter } from '../../src/report/feedback-mass.ts';
import type { Group } from '../../src/report/runs.ts';

test('massAfter: the share of |A_t| at and after the first flagged token', () => {
  assert.ok(Math.abs(massAfter([0, 0.1, -2, 1.5], 2) - 3.5 / 3.6) < 1e-12);
  assert.equal(massAfter([1, 1], 0), 1);
  assert.equal(massAfter([1, 1], 5), 0);
  assert.ok(Number.isNaN(massAfter([0, 0], 1)));
});

test('feedbackMass: wrong attempts with a located mistake give the share; correct ones the mean |A_t|', () => {
  const run = (samples: Record<string, unknown>[]) => ({ samples }) as unknown as Group['runs'][number];
  const g = (label: string, samples: Record<string, unknown>[]) => ({ label, env: 'code', runs: [run(samples)] }) as unknown as Group;
  const m = feedbackMass([
    g('critique', [
      { correct: false, feedback_start: 2, teacher_minus_student: [0, 0.1, -2, 1.5] },
      { correct: false, feedback_start: 0, teacher_minus_student: [1, 1] }, // no correct prefix: not counted
      { correct: false, feedback_start: 1, teacher_minus_student: [1, 1] },
      { correct: true, teacher_minus_student: [0.5, -0.5, 1] },
      { correct: false, teacher_minus_student: [1] }, // nothing located: not counted
    ]),
    g('grpo', [{ correct: false, feedback_start: 1 }]),
  ]).get('code')!;
  assert.equal(m.length, 1, 'a method without teacher scores has no row');
  assert.equal(m[0].wrong, 2);
  assert.ok(Math.abs(m[0].shareAfter - (3.5 / 3.6 + 0.5) / 2) < 1e-12);
  assert.equal(m[0].correct, 1);
  assert.ok(Math.abs(m[0].correctMeanAbs - 2 / 3) < 1e-12);
});
