import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAlgorithm } from '../../src/algorithms/registry.ts';
import { ngramFeatures } from '../../src/losses/ngram-features.ts';
import { Rnd } from '../../src/losses/rnd.ts';
import { grpoAdvantages } from '../../src/losses/advantages.ts';
import { assertComputable, makeStep, termOf } from './fixtures.ts';

test("grpo with intrinsic 'rnd' and intrinsicCoef 0 is GRPO exactly (loss and null steps alike)", () => {
  for (const rewards of [undefined, [0, 1, 1, 0]]) {
    const step = makeStep({ rewards });
    const plain = createAlgorithm('grpo').build(step)!;
    const rnd = createAlgorithm('grpo', { intrinsic: 'rnd', intrinsicCoef: 0 }).build(step)!;
    assert.deepEqual(rnd.loss, plain.loss);
    assert.deepEqual(rnd.batch, plain.batch);
    assert.ok(rnd.metrics['rnd/bonus'] > 0);
  }
  assert.equal(createAlgorithm('grpo', { intrinsic: 'rnd', intrinsicCoef: 0 }).build(makeStep({ rewards: [0, 0, 0, 0] })), null);
  const set = makeStep({ rewards: [1, 0, 0.5, 0] });
  assert.deepEqual(createAlgorithm('setpg', { functions: 'reward', k: 1, intrinsic: 'rnd', intrinsicCoef: 0 }).build(set)!.loss, createAlgorithm('setpg', { functions: 'reward', k: 1 }).build(set)!.loss);
});

test('with every reward 0 GRPO has no signal; the RND advantage is coef x the group-centred normalised bonus', () => {
  const step = makeStep({ rewards: [0, 0, 0, 0] });
  assert.equal(createAlgorithm('grpo').build(step), null);
  const built = createAlgorithm('grpo', { intrinsic: 'rnd', intrinsicCoef: 0.5, rndSeed: 4 }).build(step)!;
  // The same computation by hand: a fresh Rnd with the defaults (512 buckets, hidden 64, out 32, lr 1e-3, 4 updates, gamma 0).
  const rnd = new Rnd({ inputDim: 512, hidden: 64, outputDim: 32, lr: 1e-3, updates: 4, gamma: 0, seed: 4 });
  const { bonus } = rnd.step(step.rollouts.map((r) => ngramFeatures(r.task.prompt, r.text)));
  const want = grpoAdvantages(bonus, [0, 0, 1, 1], 'none').map((a) => 0.5 * a);
  const pg = termOf(built.loss, 0, 'policyGradient');
  pg.advantages.forEach((a, i) => a.forEach((x) => assert.equal(x, want[i])));
  assert.ok(want.some((x) => x !== 0));
  assertComputable(built.loss, built.batch);
});

test('the algorithm state (RND) restores into a new instance and continues identically', () => {
  const s1 = makeStep({ rewards: [1, 0, 0, 0] }), s2 = makeStep({ rewards: [0, 1, 1, 0] });
  const a = createAlgorithm('grpo', { intrinsic: 'rnd' });
  a.build(s1);
  const saved = JSON.parse(JSON.stringify(a.state!()));
  const b = createAlgorithm('grpo', { intrinsic: 'rnd' });
  b.loadState!(saved);
  assert.deepEqual(b.build(s2)!.loss, a.build(s2)!.loss);
  assert.equal(createAlgorithm('grpo').state, undefined);
});

test('intrinsicCoefAfterSuccess: the coefficient drops from the first step with a correct sample on, and a resumed run knows', () => {
  const none = makeStep({ rewards: [0, 0, 0, 0] }), hit = makeStep({ rewards: [1, 0, 0, 0] });
  const opts = { intrinsic: 'rnd', intrinsicCoef: 0.5, intrinsicCoefAfterSuccess: 0 };
  const a = createAlgorithm('grpo', opts);
  const before = a.build(none)!;
  assert.equal(before.metrics['rnd/coef'], 0.5);
  assert.equal((a.state!() as { succeeded?: true }).succeeded, undefined, 'the state is RND state alone until a success');
  // The step that holds the success already uses the new coefficient: 0 = GRPO's loss exactly.
  const at = a.build(hit)!;
  assert.equal(at.metrics['rnd/coef'], 0);
  assert.deepEqual(at.loss, createAlgorithm('grpo').build(hit)!.loss);
  // From then on, even a step without any correct sample: coefficient 0, so no signal at all.
  assert.equal(a.build(none), null);
  const saved = JSON.parse(JSON.stringify(a.state!()));
  assert.equal(saved.succeeded, true);
  const b = createAlgorithm('grpo', opts);
  b.loadState!(saved);
  assert.equal(b.build(none), null);
  // -1 (the default) keeps intrinsicCoef after a success.
  const c = createAlgorithm('grpo', { intrinsic: 'rnd', intrinsicCoef: 0.5 });
  c.build(hit);
  assert.equal(c.build(none)!.metrics['rnd/coef'], 0.5);
});
