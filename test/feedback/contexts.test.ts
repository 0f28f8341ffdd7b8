import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildTeacherContext, findPeer, renderTemplate, teacherContextKinds, TemplateError, type TeacherContextInput,
} from '../../src/feedback/index.ts';
import { verifyMath } from '../../src/envs/math/verify.ts';
import { verifyChem } from '../../src/envs/science/chem/verify.ts';
import type { Task } from '../../src/envs/types.ts';

const task: Task = {
  id: 'math/test/3/0000', env: 'math', level: 3, prompt: 'Q: 4-5*3*2\n', reference: '4-5=9\n9*3=7\n7*2=4\nA: 4',
  meta: { kind: 'chain', steps: ['4-5=9', '9*3=7', '7*2=4'], answer: '4', answerLine: 'A: 4' },
};
const wrong = '4-5=9\n9*3=8\n8*2=6\nA: 6\n';
const peer = '4-5=9\n9*3=7\n7*2=4\nA: 4';
const input: TeacherContextInput = {
  task,
  completion: wrong,
  outcome: verifyMath(task, wrong),
  group: [
    { completion: wrong, outcome: verifyMath(task, wrong) },
    { completion: peer, outcome: verifyMath(task, peer) },
  ],
};

/** The expected renderings. A changed default template must change (and fail) these. */
const SNAPSHOTS: Record<string, string> = {
  binary: 'Q: 4-5*3*2\n4-5=9\n9*3=8\n8*2=6\nA: 6\nReward: 0\nQ: 4-5*3*2\n',
  reference: 'Q: 4-5*3*2\n4-5=9\n9*3=7\n7*2=4\nA: 4\nQ: 4-5*3*2\n',
  feedback: 'Q: 4-5*3*2\n4-5=9\n9*3=8\n8*2=6\nA: 6\nFeedback: line 2 should be 9*3=7; final answer 6 is wrong\nQ: 4-5*3*2\n',
  critique: 'Q: 4-5*3*2\n4-5=9\n9*3=8\n8*2=6\nA: 6\nCritique:\n4-5=9 ok\n9*3=8 wrong, should be 9*3=7\nQ: 4-5*3*2\n',
  peer: 'Q: 4-5*3*2\n4-5=9\n9*3=7\n7*2=4\nA: 4\nQ: 4-5*3*2\n',
};

test('every kind renders its snapshot and ends exactly with the prompt', () => {
  assert.deepEqual(teacherContextKinds(), ['binary', 'reference', 'feedback', 'critique', 'peer']);
  for (const kind of teacherContextKinds()) {
    const out = buildTeacherContext(kind, input);
    assert.equal(out, SNAPSHOTS[kind], kind);
    assert.ok(out.endsWith(task.prompt));
  }
});

test('peer without a successful other sample falls back to feedback', () => {
  assert.equal(buildTeacherContext('peer', { ...input, group: undefined }), SNAPSHOTS.feedback);
  // Its own correct completion is not a peer.
  const own = { ...input, completion: peer, outcome: verifyMath(task, peer), group: [{ completion: peer, outcome: verifyMath(task, peer) }] };
  assert.equal(findPeer(own), undefined);
  assert.equal(buildTeacherContext('peer', own), 'Q: 4-5*3*2\n4-5=9\n9*3=7\n7*2=4\nA: 4\nFeedback: correct\nQ: 4-5*3*2\n');
});

test('critique of a correct attempt, and of feedback without a located step', () => {
  const ok = { ...input, completion: peer, outcome: verifyMath(task, peer) };
  assert.equal(buildTeacherContext('critique', ok), 'Q: 4-5*3*2\n4-5=9\n9*3=7\n7*2=4\nA: 4\nCritique:\nall correct\nQ: 4-5*3*2\n');
  const chem: Task = { id: 'c', env: 'science', level: 1, prompt: 'Q: H2+O2=H2O\n', reference: '2H2+O2=2H2O', meta: { kind: 'chem', equation: 'H2+O2=H2O', coefficients: [2, 1, 2] } };
  const attempt = '2H2+2O2=2H2O';
  const c = { task: chem, completion: attempt, outcome: verifyChem(chem, attempt) };
  assert.equal(buildTeacherContext('critique', c), 'Q: H2+O2=H2O\n2H2+2O2=2H2O\nCritique:\nO: 4 left, 2 right\nQ: H2+O2=H2O\n');
  assert.equal(buildTeacherContext('feedback', { ...c, completion: '3H2+O2=H2O', outcome: verifyChem(chem, '3H2+O2=H2O') }),
    'Q: H2+O2=H2O\n3H2+O2=H2O\nFeedback: H: 6 left, 2 right; O: 2 left, 1 right\nQ: H2+O2=H2O\n');
});

test('custom templates fill any slot; literal braces are doubled', () => {
  const t = 'Problem {{{reward}}}:\n{prompt}{attempt}\n{critique}\n-> {reference}\n{prompt}';
  assert.equal(buildTeacherContext('feedback', input, t),
    'Problem {0}:\nQ: 4-5*3*2\n4-5=9\n9*3=8\n8*2=6\nA: 6\n4-5=9 ok\n9*3=8 wrong, should be 9*3=7\n-> 4-5=9\n9*3=7\n7*2=4\nA: 4\nQ: 4-5*3*2\n');
});

test('template errors are clear', () => {
  assert.throws(() => buildTeacherContext('feedback', input, '{prompt}{atempt}\n{prompt}'), (e: Error) =>
    e instanceof TemplateError && /unknown slot \{atempt\}.*known slots: \{prompt\}, \{attempt\}/.test(e.message));
  assert.throws(() => buildTeacherContext('feedback', input, '{prompt}{attempt}\nFix it.'), /must end with \{prompt\}/);
  assert.throws(() => buildTeacherContext('feedback', input, '{prompt'), /unclosed '\{'/);
  assert.throws(() => buildTeacherContext('feedback', input, '}{prompt}'), /stray '\}'/);
  assert.throws(() => buildTeacherContext('reference', { ...input, task: { ...task, reference: undefined } }), /has no reference solution/);
  assert.throws(() => buildTeacherContext('nope', input), /unknown teacher context 'nope'; known: binary, reference/);
});

test('renderTemplate only computes the slots a template uses', () => {
  const asked: string[] = [];
  const out = renderTemplate('{attempt}|{prompt}', (s) => (asked.push(s), s.toUpperCase()));
  assert.equal(out, 'ATTEMPT|PROMPT');
  assert.deepEqual(asked, ['attempt', 'prompt']);
});
