import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAlgorithm } from '../../src/algorithms/registry.ts';
import type { StepData } from '../../src/algorithms/types.ts';
import { grpoAdvantages } from '../../src/losses/advantages.ts';
import { assertComputable, makeStep, termOf } from './fixtures.ts';

/** The fixture's 2 groups of 2, with two reward functions per sample (an ambiguous intent). */
const COMPONENTS = [{ a: 1, b: 0 }, { a: 0, b: 1 }, { a: 1, b: 0 }, { a: 1, b: 0 }];

function ambiguous(step: StepData, components: Record<string, number>[] = COMPONENTS): StepData {
  return {
    ...step,
    rollouts: step.rollouts.map((r, i) => ({ ...r, outcome: { ...r.outcome, reward: (components[i].a + components[i].b) / 2, components: components[i] } })),
  };
}

const advOf = (step: StepData, options: Record<string, unknown>) => {
  const built = createAlgorithm('setpg', options).build(step);
  return built ? termOf(built.loss, 0, 'policyGradient').advantages.map((a) => a[0]) : null;
};

test('setpg k = 1 with the mean baseline is GRPO on the expected reward E_R R', () => {
  const step = ambiguous(makeStep());
  const grpo = createAlgorithm('grpo').build(step)!;
  const set = createAlgorithm('setpg', { k: 1 }).build(step);
  // Every sample has E_R R = 1/2: GRPO sees no signal, nor does the k = 1 set objective.
  assert.equal(grpo, null);
  assert.equal(set, null);
  // With unequal mean rewards the advantages equal GRPO's exactly.
  const step2 = ambiguous(makeStep(), [{ a: 1, b: 0 }, { a: 0, b: 0 }, { a: 1, b: 1 }, { a: 1, b: 0 }]);
  const g = termOf(createAlgorithm('grpo').build(step2)!.loss, 0, 'policyGradient');
  const s = termOf(createAlgorithm('setpg', { k: 1 }).build(step2)!.loss, 0, 'policyGradient');
  assert.deepEqual(s.advantages, g.advantages);
});

test('setpg k = 2: a group that covers both intents beats one that repeats one (hand values)', () => {
  // With k = n = 2 the only subset is the pair, so each sample's effective reward is the pair's max.
  // Group 0 answers a then b: r = 0.5 [1, 1] + 0.5 [1, 1] = [1, 1]. Group 1 answers a twice:
  // r = 0.5 [1, 1] + 0.5 [0, 0] = [0.5, 0.5]. Mean-centred inside each group: no signal.
  assert.equal(advOf(ambiguous(makeStep()), { k: 2 }), null);
  // functions: 'reward' (PKPO on the mean reward) with k = 2 of 2 gives the group max to both samples.
  const step = ambiguous(makeStep(), [{ a: 1, b: 0 }, { a: 0, b: 0 }, { a: 1, b: 1 }, { a: 1, b: 0 }]);
  assert.equal(advOf(step, { k: 2, functions: 'reward' }), null);
});

test('setpg on a group of 4: the minority intent gets the larger advantage (k = 2)', () => {
  const base = makeStep();
  // One group of 4 samples: three answer intent a, one answers intent b.
  const rollouts = base.rollouts.map((r, i) => ({ ...r, group: 0, outcome: { ...r.outcome, reward: 0.5, components: i === 3 ? { a: 0, b: 1 } : { a: 1, b: 0 } } }));
  const step = { ...base, rollouts };
  // f_a = [1,1,1,0] (c = 3): correct k/n = 1/2, incorrect (1/2) rho(3,3,1) = 1/2; effective (n/k) s = [1,1,1,1].
  // f_b = [0,0,0,1] (c = 1): correct 1/2, incorrect (1/2) rho(3,1,1) = 1/6; effective [1/3,1/3,1/3,1].
  // r = 0.5 f_a + 0.5 f_b = [2/3, 2/3, 2/3, 1]; GRPO-scaled over the group.
  const want = grpoAdvantages([2 / 3, 2 / 3, 2 / 3, 1], [0, 0, 0, 0]);
  const got = advOf(step, { k: 2 })!;
  got.forEach((a, i) => assert.ok(Math.abs(a - want[i]) < 1e-6, `adv ${i}: ${a} vs ${want[i]}`));
  assert.ok(got[3] > 0 && got[0] < 0);
  // GRPO on E_R R = 1/2 everywhere: nothing to learn.
  assert.equal(createAlgorithm('grpo').build(step), null);
  // loo: r_i minus the estimate of the other 3 (0.5 pass@2(f_a) + 0.5 pass@2(f_b)).
  // Without sample 0: f_a [1,1,0] -> 1, f_b [0,0,1] -> 2/3: 5/6. Without sample 3: f_a -> 1, f_b -> 0: 1/2.
  const loo = advOf(step, { k: 2, baseline: 'loo', scaling: 'none' })!;
  [2 / 3 - 5 / 6, 2 / 3 - 5 / 6, 2 / 3 - 5 / 6, 1 - 0.5].forEach((x, i) => assert.ok(Math.abs(loo[i] - x) < 1e-6, `loo ${i}: ${loo[i]} vs ${x}`));
  assertComputable(createAlgorithm('setpg', { k: 2 }).build(step)!.loss, createAlgorithm('setpg').build(step)!.batch);
});

test('setpg bad input: k larger than the group, missing or mismatched components, bad weights', () => {
  const step = ambiguous(makeStep());
  assert.throws(() => createAlgorithm('setpg', { k: 3 }).build(step), /k = 3 is larger than the group of 2 samples/);
  assert.throws(() => createAlgorithm('setpg', { k: 2, baseline: 'loo' }).build(step), /at least k \+ 1 = 3 samples/);
  assert.throws(() => createAlgorithm('setpg').build(makeStep()), /gave no Outcome.components.*functions: 'reward'/);
  const odd = ambiguous(makeStep(), [{ a: 1, b: 0 }, { a: 0, b: 1 }, { a: 1, b: 0 }, { a: 1 } as Record<string, number>]);
  assert.throws(() => createAlgorithm('setpg').build(odd), /name different reward functions/);
  assert.throws(() => createAlgorithm('setpg', { weights: { a: 1 } }).build(step), /no weight to reward function\(s\) b/);
  assert.throws(() => createAlgorithm('setpg', { weights: { a: -1 } }), /weights.a must be a number >= 0/);
  assert.throws(() => createAlgorithm('setpg', { k: 0 }), /k/);
});
