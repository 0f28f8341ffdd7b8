import { test } from 'node:test';
import assert from 'node:assert/strict';
import { opsd } from '../../src/algorithms/opsd.ts';
import { sdpo } from '../../src/algorithms/sdpo.ts';
import { assertBatchOf, assertComputable, f32, K, LENGTHS, makeStep, plain, SPECS, termOf } from './fixtures.ts';

const ones = () => LENGTHS.map((n) => new Array(n).fill(1));

test('opsd: JSD(beta) toward a frozen teacher shown the reference, at every sampled token', () => {
  const o = opsd();
  assert.deepEqual(o.needs.teacher, { context: 'reference', topK: 64, kind: 'frozen', emaRate: 0.05 });
  assert.equal(o.needs.sampling, true);
  assert.ok(!o.needs.refLogprobs);
  const step = makeStep();
  const built = opsd({ topK: K }).build(step)!;
  assertBatchOf(built.batch, step, [0, 1, 2, 3]);
  assert.equal(built.loss.terms.length, 1);
  const t = termOf(built.loss, 0, 'divergence');
  assert.equal(t.beta, 0.5);
  assert.equal(t.weight, 1);
  assert.equal(t.support, 'tail');
  assert.equal(t.k, K);
  step.teacher!.forEach((s, i) => {
    assert.equal(t.targetIds[i], s.scored.topIds);
    assert.equal(t.targetProbs[i], s.scored.topProbs);
  });
  assert.deepEqual(plain(t.tokenWeights), ones());
  assert.equal(t.isClip, undefined, 'OPSD has no importance weight');
  assert.equal(t.logpOld, undefined);
  assertComputable(built.loss, built.batch);
});

test('opsd: beta 0 (forward KL) and 1 (reverse KL), the support and the teacher reach the spec', () => {
  const step = makeStep();
  for (const beta of [0, 1, 0.25]) {
    const built = opsd({ topK: K, beta, support: 'renorm' }).build(step)!;
    const t = termOf(built.loss, 0, 'divergence');
    assert.equal(t.beta, beta);
    assert.equal(t.support, 'renorm');
    assertComputable(built.loss, built.batch);
  }
  assert.deepEqual(opsd({ teacher: 'ema', emaRate: 0.1, context: 'feedback' }).needs.teacher, { context: 'feedback', topK: 64, kind: 'ema', emaRate: 0.1 });
  assert.throws(() => opsd({ topK: 3 }).build(step), /opsd: teacher scores of rollout 0 have k=2/);
});

test('sdpo: the same divergence (alpha) toward an EMA teacher shown a peer, with the importance weight clipped at isClip', () => {
  const s = sdpo();
  assert.deepEqual(s.needs.teacher, { context: 'peer', topK: 64, kind: 'ema', emaRate: 0.05 });
  const step = makeStep();
  const built = sdpo({ topK: K }).build(step)!;
  assertBatchOf(built.batch, step, [0, 1, 2, 3]);
  const t = termOf(built.loss, 0, 'divergence');
  assert.equal(t.beta, 0.5, 'alpha 0.5 (JSD) by default');
  assert.equal(t.isClip, 2);
  assert.deepEqual(plain(t.logpOld), f32(SPECS.map((x) => x.logprobs)));
  assert.deepEqual(plain(t.tokenWeights), ones());
  step.teacher!.forEach((x, i) => assert.equal(t.targetProbs[i], x.scored.topProbs));
  assertComputable(built.loss, built.batch);
  for (const [alpha, isClip] of [[0, 1], [1, 5]]) {
    const u = termOf(sdpo({ topK: K, alpha, isClip }).build(step)!.loss, 0, 'divergence');
    assert.equal(u.beta, alpha);
    assert.equal(u.isClip, isClip);
  }
  assert.throws(() => sdpo({ topK: K }).build({ ...step, teacher: undefined }), /sdpo: the trainer gave no teacher scores/);
});
