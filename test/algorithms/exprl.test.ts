import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAlgorithm } from '../../src/algorithms/registry.ts';
import type { Rollout, StepData } from '../../src/algorithms/types.ts';
import { getEnv } from '../../src/envs/registry.ts';
import { answerJudge } from '../../src/judges/reference.ts';
import { judgeRollouts } from '../../src/judges/rollouts.ts';
import type { StepJudgements } from '../../src/judges/types.ts';
import { CharTokenizer } from '../../src/models/char-tokenizer.ts';
import { grpoAdvantages } from '../../src/losses/advantages.ts';
import { assertComputable, makeStep, termOf } from './fixtures.ts';

function judged(scores: number[][], segmentOfToken?: number[][]): StepJudgements {
  return {
    view: segmentOfToken ? 'prefix' : 'completion', requests: scores.flat().length, unreadable: 0,
    rollouts: scores.map((s, i) => ({ scores: s, segmentOfToken: segmentOfToken ? Int32Array.from(segmentOfToken[i]) : undefined })),
  };
}

test('exprl outcome: (s - 1) / 4 of the judge score, group-normalised as GRPO, with the KL anchor', () => {
  const step = { ...makeStep(), judged: judged([[5], [2], [3], [1]]) };
  const built = createAlgorithm('exprl').build(step)!;
  const pg = termOf(built.loss, 0, 'policyGradient');
  const adv = grpoAdvantages([1, 0.25, 0.5, 0], [0, 0, 1, 1]);
  pg.advantages.forEach((a, i) => a.forEach((x) => assert.equal(x, adv[i])));
  assert.equal(pg.klBeta, 0.001);
  assert.equal(pg.logpRef, step.refLogprobs);
  assert.equal(built.metrics['exprl/judge_score'], 11 / 4);
  assert.equal(built.metrics['exprl/reward'], 1.75 / 4);
  assertComputable(built.loss, built.batch);
});

test('exprl process: each token carries its segment\'s s_t - s_{t-1} (first: s_1 - s_T), no group normalisation', () => {
  // Rollout 0 (3 tokens): two segments; rollout 3 (3 tokens): three segments; the others one.
  const step = { ...makeStep(), judged: judged([[2, 4], [3], [5], [1, 3, 2]], [[0, 1, 1], [0, 0], [0, 0], [0, 1, 2]]) };
  const pg = termOf(createAlgorithm('exprl', { mode: 'process', klBeta: 0 }).build(step)!.loss, 0, 'policyGradient');
  // s: [0.25, 0.75] -> A = [0.25 - 0.75, 0.5]; [0.5] -> [0.5]; [1] -> [1]; [0, 0.5, 0.25] -> [0 - 0.25, 0.5, -0.25].
  assert.deepEqual(pg.advantages.map((a) => Array.from(a)), [[-0.5, 0.5, 0.5], [0.5, 0.5], [1, 1], [-0.25, 0.5, -0.25]]);
  assert.equal(pg.klBeta, undefined);
});

test('exprl: a completion cut by the length limit gets 0 (unless zeroTruncated is off); no signal -> null', () => {
  const base = makeStep();
  const cut: StepData = { ...base, rollouts: base.rollouts.map((r, i) => (i === 0 ? { ...r, truncated: true } : r)), judged: judged([[5], [1], [4], [4]]) };
  // Rollout 0's reward 1 becomes 0: group 0 is all 0, group 1 ties: nothing to learn (klBeta 0).
  assert.equal(createAlgorithm('exprl', { klBeta: 0 }).build(cut), null);
  assert.notEqual(createAlgorithm('exprl', { klBeta: 0, zeroTruncated: false }).build(cut), null);
  const proc = createAlgorithm('exprl', { mode: 'process', klBeta: 0 }).build({ ...cut, judged: judged([[1, 5], [1], [1], [2, 3]], [[0, 1, 1], [0, 0], [0, 0], [0, 0, 1]]) })!;
  assert.deepEqual(Array.from(termOf(proc.loss, 0, 'policyGradient').advantages[0]), [0, 0, 0]);
  // With the KL anchor a step is built even without reward signal.
  assert.notEqual(createAlgorithm('exprl').build(cut), null);
  assert.throws(() => createAlgorithm('exprl').build(makeStep()), /no judge scores/);
  assert.throws(() => createAlgorithm('exprl', { judge: 'oracle' }), /judge/);
});

test('exprl needs: the judge spec follows mode and options', () => {
  assert.deepEqual(createAlgorithm('exprl').needs.judge, { kind: 'steps', view: 'completion', model: '', maxTokens: 256, template: '' });
  assert.equal(createAlgorithm('exprl', { mode: 'process', judgeSees: 'segment' }).needs.judge!.view, 'segment');
  assert.equal(createAlgorithm('exprl', { klBeta: 0 }).needs.refLogprobs, false);
  assert.throws(() => createAlgorithm('exprl', { judgeModel: 'some/folder' }), /judgeModel and judgeTemplate are for judge 'model' \(judge is 'steps'\)/);
});

test('exprl outcome with a final-answer-only judge is GRPO exactly (same terms, bit for bit)', async () => {
  const env = await getEnv('math');
  const tasks = env.tasks('train', 3, 7, { levels: [3] });
  const tok = new CharTokenizer('0123456789-+*#=AQ: \n');
  // Per task: the reference, a wrong answer, a wrong step with the right answer, an empty completion.
  const texts = tasks.flatMap((t) => {
    const ans = Number(t.reference!.split('A: ')[1]);
    return [t.reference!, t.reference!.replace(/A: \d$/, `A: ${(ans + 3) % 10}`), t.reference!.replace(/^(\d)/, (d) => String((Number(d) + 1) % 10)), ''];
  });
  const rollouts: Rollout[] = await Promise.all(texts.map(async (text, i) => {
    const tokens = [...tok.encode(text), tok.eosId];
    const task = tasks[Math.floor(i / 4)];
    return { task, group: Math.floor(i / 4), prompt: tok.encode(task.prompt), tokens, text, logprobs: Float32Array.from(tokens, (_, t) => -0.1 * (t + 1)), outcome: await env.evaluate(task, text) };
  }));
  const step: StepData = { rollouts, seed: 1, refLogprobs: rollouts.map((r) => Float32Array.from(r.tokens, () => -0.3)) };
  step.judged = await judgeRollouts(answerJudge(env), rollouts, 'completion', tok);
  for (const o of [{ klBeta: 0 }, { klBeta: 0.01, scaling: 'none', aggregation: 'seq_mean' }]) {
    const e = createAlgorithm('exprl', o).build(step)!;
    const g = createAlgorithm('grpo', o).build(step)!;
    assert.ok(termOf(e.loss, 0, 'policyGradient').advantages.some((a) => a[0] !== 0), 'some signal');
    assert.deepEqual(e.loss, g.loss);
    assert.deepEqual(e.batch, g.batch);
  }
});
