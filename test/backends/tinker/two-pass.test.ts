import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkRemoteSpec, planColumns, twoPassLoss } from '../../../src/backends/tinker/two-pass.ts';
import { batch, everyTerm, gradGap, gradsOf, makeLocal, tok, topK } from './helpers.ts';

for (const [name, spec] of Object.entries(everyTerm())) {
  test(`two-pass path = LocalBackend for ${name}: same loss and parameter gradients`, async () => {
    const direct = makeLocal(3);
    const want = await direct.forwardBackward(batch, spec);
    const remote = makeLocal(3);
    const plan = planColumns(batch, spec);
    const lp = await remote.targetLogprobs(batch, plan.ids, plan.m);
    const r = twoPassLoss(batch, spec, plan, lp, remote.vocabSize);
    assert.ok(Math.abs(r.loss - want.loss) <= 1e-5 * (1 + Math.abs(want.loss)), `loss ${r.loss} vs ${want.loss}`);
    assert.equal(r.tailClamps, 0);
    await remote.forwardBackward(batch, { terms: [{ kind: 'targetLogprobs', weight: 1, m: plan.m, targetIds: plan.ids, targetWeights: r.weights }] });
    const { gap, scale } = gradGap(gradsOf(direct), gradsOf(remote));
    assert.ok(scale > 1e-4, 'the loss has a gradient');
    assert.ok(gap <= 1e-4 * scale, `gradients differ by ${gap} (largest ${scale})`);
    for (const [k, v] of Object.entries(want.metrics)) {
      if (k.startsWith('loss/')) assert.ok(Math.abs(r.metrics[k] - v) <= 1e-5 * (1 + Math.abs(v)), `${k}: ${r.metrics[k]} vs ${v}`);
    }
  });
}

test('the plan lists each target id once per position, then the sampled token, padded with -1', () => {
  const t = topK(2, 1);
  const plan = planColumns(batch, { terms: [{ kind: 'softCrossEntropy', weight: 1, support: 'tail', ...t, tokenWeights: batch.sequences.map((s) => new Float32Array(s.completion.length).fill(1)) }] });
  const y = batch.sequences[0].completion[0];
  const row = [...plan.ids[0].subarray(0, plan.m)];
  assert.deepEqual(row.slice(0, 2), [...t.targetIds[0].subarray(0, 2)]);
  assert.ok(row.includes(y));
  assert.equal(new Set(row.filter((x) => x >= 0)).size, row.filter((x) => x >= 0).length);
  assert.ok(plan.m === 2 || plan.m === 3);
});

test('support full and k >= vocabulary are refused with a clear error', () => {
  const V = tok.vocabSize;
  const ids = batch.sequences.map((s) => new Int32Array(s.completion.length * V));
  const spec = { terms: [{ kind: 'softCrossEntropy' as const, weight: 1, support: 'full' as const, k: V, targetIds: ids, targetProbs: ids.map((a) => new Float32Array(a.length)), tokenWeights: [] }] };
  assert.throws(() => checkRemoteSpec(spec, V), /support 'full'.*use support 'tail' or 'renorm'/);
});
