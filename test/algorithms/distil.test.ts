import { test } from 'node:test';
import assert from 'node:assert/strict';
import { distil } from '../../src/algorithms/distil.ts';
import { opsd } from '../../src/algorithms/opsd.ts';
import { sdpo } from '../../src/algorithms/sdpo.ts';
import { opd } from '../../src/algorithms/opd.ts';
import { grpo } from '../../src/algorithms/grpo.ts';
import { assertBatchOf, assertComputable, f32, K, LENGTHS, makeStep, plain, SPECS, termOf, TOTAL } from './fixtures.ts';

const ones = () => LENGTHS.map((n) => new Array(n).fill(1));

test('distil: needs a teacher (default EMA, feedback context), no reference unless anchored, DAgger only when both sizes are set', () => {
  const d = distil();
  assert.equal(d.name, 'distil');
  assert.deepEqual(d.needs.teacher, { context: 'feedback', topK: 64, kind: 'frozen', emaRate: 0.05 });
  assert.equal(d.needs.sampling, true);
  assert.equal(d.needs.refLogprobs, false);
  assert.equal(d.needs.dagger, undefined);
  assert.deepEqual(distil({ teacher: 'expert', context: 'critique', topK: 5, emaRate: 0.2 }).needs.teacher, { context: 'critique', topK: 5, kind: 'expert', emaRate: 0.2 });
  assert.deepEqual(distil({ daggerBuffer: 8, daggerSample: 2 }).needs.dagger, { size: 8, sample: 2 });
  assert.equal(distil({ daggerBuffer: 8 }).needs.dagger, undefined);
  assert.equal(distil({ daggerSample: 2 }).needs.dagger, undefined);
  assert.equal(distil({ klBeta: 0.1 }).needs.refLogprobs, true);
});

test("distil: soft cross-entropy toward the teacher's top-k at every sampled token, with the future-credit settings", () => {
  const step = makeStep();
  const built = distil({ topK: K, select: 'all', futureCredit: true }).build(step)!;
  assertBatchOf(built.batch, step, [0, 1, 2, 3]);
  assert.equal(built.loss.terms.length, 1);
  const t = termOf(built.loss, 0, 'softCrossEntropy');
  assert.equal(t.weight, 1);
  assert.equal(t.support, 'tail');
  assert.equal(t.k, K);
  step.teacher!.forEach((s, i) => {
    assert.equal(t.targetIds[i], s.scored.topIds, `targetIds[${i}] are the teacher's top-k ids`);
    assert.equal(t.targetProbs[i], s.scored.topProbs, `targetProbs[${i}] are the teacher's top-k probabilities`);
  });
  assert.deepEqual(Array.from(t.targetProbs[0]), Array.from(Float32Array.from([0.9, 0.05, 0.3, 0.35, 0.99, 0.005])));
  assert.deepEqual(plain(t.tokenWeights), ones());
  assert.ok(t.futureCredit);
  const { logpOld, ...fc } = t.futureCredit;
  assert.deepEqual(fc, { lambdaFc: 0.1, gamma: 0.9, baseline: 'group_position', standardize: true, groups: [0, 0, 1, 1], clip: { epsLow: 0.2, epsHigh: 0.28 } });
  assert.deepEqual(plain(logpOld), f32(SPECS.map((s) => s.logprobs)));
  assert.equal(built.metrics['distil/selected_frac'], 1);
  assertComputable(built.loss, built.batch);
});

test('distil: future-credit options reach the spec; off, or lambdaFc 0, leaves the CE-only ablation', () => {
  const step = makeStep();
  const t = termOf(distil({ topK: K, select: 'all', futureCredit: true, gamma: 0.5, lambdaFc: 1, baseline: 'batch', standardize: false, support: 'renorm' }).build(step)!.loss, 0, 'softCrossEntropy');
  assert.equal(t.support, 'renorm');
  assert.equal(t.futureCredit?.gamma, 0.5);
  assert.equal(t.futureCredit?.lambdaFc, 1);
  assert.equal(t.futureCredit?.baseline, 'batch');
  assert.equal(t.futureCredit?.standardize, false);
  for (const o of [{ futureCredit: false }, { futureCredit: true, lambdaFc: 0 }]) {
    const built = distil({ topK: K, select: 'all', ...o }).build(step)!;
    assert.equal(termOf(built.loss, 0, 'softCrossEntropy').futureCredit, undefined, JSON.stringify(o));
    assertComputable(built.loss, built.batch);
  }
});

// Teacher top-1 vs sampler top-1 per token (fixtures.ts):
//   r0 .9/.7 .3/.4 .99/.95   r1 .6/.5 .7/.8   r2 .5/.6 .95/.9   r3 .8/.3 .1/.2 .96/.97
// feedback starts: r0 none (correct), r1 0, r2 1, r3 2.
test("distil: token selection masks ('confident' is the default, then 'feedback', 'confident_feedback', and the margin)", () => {
  const step = makeStep();
  const cases: [Record<string, unknown>, number[][]][] = [
    [{}, [[1, 0, 1], [1, 1], [0, 1], [1, 0, 1]]],
    [{ select: 'confident' }, [[1, 0, 1], [1, 1], [0, 1], [1, 0, 1]]],
    [{ select: 'confident', margin: 0.15 }, [[1, 0, 1], [0, 1], [0, 1], [1, 0, 1]]],
    [{ select: 'confident', confidentAgainst: 'top' }, [[1, 0, 1], [1, 0], [0, 1], [1, 0, 0]]],
    [{ select: 'confident', confidentAgainst: 'top', margin: 0.15 }, [[1, 0, 0], [0, 0], [0, 0], [1, 0, 0]]],
    [{ select: 'feedback' }, [[0, 0, 0], [1, 1], [0, 1], [0, 0, 1]]],
    [{ select: 'confident_feedback' }, [[0, 0, 0], [1, 1], [0, 1], [0, 0, 1]]],
    [{ select: 'all' }, ones()],
  ];
  for (const [o, mask] of cases) {
    const built = distil({ topK: K, ...o }).build(step)!;
    const t = termOf(built.loss, 0, 'softCrossEntropy');
    assert.deepEqual(plain(t.tokenWeights), mask, JSON.stringify(o));
    const kept = mask.flat().reduce((a, b) => a + b, 0);
    assert.equal(built.metrics['distil/selected_frac'], kept / TOTAL, JSON.stringify(o));
    assertComputable(built.loss, built.batch);
  }
});

test("distil: 'confident' needs the sampler's confidence; the feedback mask keeps none of a correct sample", () => {
  assert.throws(() => distil({ topK: K }).build(makeStep({ maxLogprobs: false })), /maxLogprobs/);
  assert.doesNotThrow(() => distil({ topK: K, select: 'feedback' }).build(makeStep({ maxLogprobs: false })));
  const step = makeStep();
  step.feedbackStarts = [Infinity, Infinity, Infinity, Infinity];
  assert.equal(distil({ topK: K, select: 'feedback' }).build(step), null, 'nothing selected and no anchor: no step');
  step.feedbackStarts = undefined; // no feedback located anywhere: same
  assert.equal(distil({ topK: K, select: 'feedback' }).build(step), null);
});

test('distil: the KL anchor is a zero-advantage policy-gradient term with the reference log-probs', () => {
  const step = makeStep();
  const built = distil({ topK: K, select: 'all', klBeta: 0.2 }).build(step)!;
  assert.equal(built.loss.terms.length, 2);
  termOf(built.loss, 0, 'softCrossEntropy');
  const kl = termOf(built.loss, 1, 'policyGradient');
  assert.equal(kl.weight, 1);
  assert.equal(kl.klBeta, 0.2);
  assert.equal(kl.logpRef, step.refLogprobs);
  assert.deepEqual(plain(kl.advantages), LENGTHS.map((n) => new Array(n).fill(0)));
  assert.deepEqual(plain(kl.logpOld), f32(SPECS.map((s) => s.logprobs)));
  assert.equal(kl.aggregation, 'token_mean');
  assertComputable(built.loss, built.batch);
  // With no token selected the anchor alone still trains.
  step.feedbackStarts = [Infinity, Infinity, Infinity, Infinity];
  const only = distil({ topK: K, select: 'feedback', klBeta: 0.2 }).build(step)!;
  assert.equal(only.loss.terms.length, 1);
  termOf(only.loss, 0, 'policyGradient');
  assert.equal(only.metrics['distil/selected_frac'], 0);
});

test('distil: teacher scores that are missing or of another k are refused with a message', () => {
  const step = makeStep();
  assert.throws(() => distil({ topK: 4, select: 'all' }).build(step), /distil: teacher scores of rollout 0 have k=2 .* expected k=4/);
  assert.throws(() => distil({ topK: K, select: 'all' }).build({ ...step, teacher: undefined }), /distil: the trainer gave no teacher scores/);
  assert.throws(() => distil({ topK: K, select: 'all' }).build({ ...step, teacher: step.teacher!.slice(1) }), /no teacher scores/);
});

test('the rest of a stop string is skipped by every loss toward a teacher (distil, opsd, sdpo, opd), kept by GRPO', () => {
  const step = makeStep();
  // Rollouts 0 and 3 (3 tokens) stopped at a stop string begun by their 2nd token: the 3rd is its rest.
  step.rollouts[0].stopTail = 2;
  step.rollouts[3].stopTail = 2;
  const all = plain(termOf(distil({ topK: K, select: 'all' }).build(step)!.loss, 0, 'softCrossEntropy').tokenWeights);
  assert.deepEqual(all, [[1, 1, 0], [1, 1], [1, 1], [1, 1, 0]]);
  const confident = plain(termOf(distil({ topK: K }).build(step)!.loss, 0, 'softCrossEntropy').tokenWeights);
  assert.deepEqual(confident, [[1, 0, 0], [1, 1], [0, 1], [1, 0, 0]], "the default 'confident' mask of the test above, minus the tails");
  for (const algo of [opsd({ topK: K }), sdpo({ topK: K })]) {
    assert.deepEqual(plain(termOf(algo.build(step)!.loss, 0, 'divergence').tokenWeights), all, algo.name);
  }
  const adv = plain(termOf(opd().build(step)!.loss, 0, 'policyGradient').advantages)!;
  assert.equal(adv[0][2], 0);
  assert.equal(adv[3][2], 0);
  assert.notEqual(adv[0][1], 0);
  assert.notEqual(adv[1][1], 0, 'rollouts without a tail keep every advantage');
  const g = plain(termOf(grpo().build(step)!.loss, 0, 'policyGradient').advantages)!;
  assert.notEqual(g[3][2], 0, 'GRPO: the whole sampled sequence shares its advantage, stop string included');
});
