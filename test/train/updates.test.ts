/**
 * Several updates per sampled batch (train/updates.ts): the order of updates, the per-update
 * slices of a LossSpec, one update = exactly the old single forwardBackward + optimStep, and
 * with more updates the importance ratio leaves 1 and the PPO clip binds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LocalBackend } from '../../src/backends/local.ts';
import type { LossSpec, OptimOptions, PolicyBackend, TrainBatch } from '../../src/backends/types.ts';
import { CharTokenizer } from '../../src/models/char-tokenizer.ts';
import { Transformer } from '../../src/nn/transformer.ts';
import { runUpdates, selectSequences, updateOrder } from '../../src/train/updates.ts';
import { resolveTrainConfig } from '../../src/train/config.ts';
import { Rng } from '../../src/util/rng.ts';
import { ASCII, tinyModelFolder } from './helpers.ts';

test('updateOrder: one update is the batch in order; several are shuffled partitions, one per mini-batch, each epoch covering every sequence once', () => {
  assert.deepEqual(updateOrder(5, { epochs: 1, miniBatches: 1, seed: 9 }), [[0, 1, 2, 3, 4]]);
  const o = updateOrder(10, { epochs: 3, miniBatches: 4, seed: 9 });
  assert.equal(o.length, 12);
  for (let e = 0; e < 3; e++) {
    const parts = o.slice(4 * e, 4 * e + 4);
    assert.deepEqual(parts.map((p) => p.length), [2, 3, 2, 3]);
    assert.deepEqual(parts.flat().sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  }
  assert.notDeepEqual(o[0].concat(o[1], o[2], o[3]), o[4].concat(o[5], o[6], o[7]), 'each epoch draws its own order');
  assert.deepEqual(updateOrder(10, { epochs: 3, miniBatches: 4, seed: 9 }), o, 'the same seed replays the same order (resume)');
  assert.notDeepEqual(updateOrder(10, { epochs: 3, miniBatches: 4, seed: 10 }), o);
  assert.equal(updateOrder(2, { epochs: 1, miniBatches: 5, seed: 1 }).length, 2, 'never an empty mini-batch');
  assert.throws(() => updateOrder(4, { epochs: 0, miniBatches: 1, seed: 1 }), /epochs must be a whole number >= 1/);
});

test('selectSequences indexes every per-sequence array of every term, nested ones too', () => {
  const batch: TrainBatch = { sequences: [0, 1, 2].map((i) => ({ prompt: [1], completion: Array(i + 1).fill(5) })) };
  const adv = [0, 1, 2].map((i) => new Float32Array(i + 1).fill(i));
  const loss: LossSpec = {
    terms: [
      { kind: 'policyGradient', weight: 1, advantages: adv, logpOld: adv, clipLow: 0.2, clipHigh: 0.28, aggregation: 'token_mean' },
      { kind: 'softCrossEntropy', weight: 1, support: 'tail', k: 1, targetIds: [], targetProbs: [], tokenWeights: adv, futureCredit: { lambdaFc: 1, gamma: 1, baseline: 'none', standardize: false, groups: [7, 8, 9] } },
    ],
  };
  const s = selectSequences(batch, loss, [2, 0]);
  assert.deepEqual(s.batch.sequences.map((x) => x.completion.length), [3, 1]);
  const pg = s.loss.terms[0] as Extract<LossSpec['terms'][0], { kind: 'policyGradient' }>;
  assert.deepEqual(pg.advantages.map((a) => a[0]), [2, 0]);
  assert.equal(pg.clipLow, 0.2);
  const sce = s.loss.terms[1] as Extract<LossSpec['terms'][0], { kind: 'softCrossEntropy' }>;
  assert.deepEqual(sce.futureCredit!.groups, [9, 7]);
  assert.deepEqual(sce.targetIds, [], 'an array of another length is not per-sequence');
});

test('one update hands the very batch and loss to one forwardBackward and one optimStep, and adds no metric (unchanged behaviour)', async () => {
  const calls: string[] = [];
  const batch: TrainBatch = { sequences: [{ prompt: [1], completion: [2] }] };
  const loss: LossSpec = { terms: [{ kind: 'crossEntropy', weight: 1, tokenWeights: [Float32Array.of(1)] }] };
  const stub = {
    async forwardBackward(b: TrainBatch, l: LossSpec) {
      assert.equal(b, batch);
      assert.equal(l, loss);
      calls.push('fb');
      return { loss: 0.5, metrics: { m: 1 }, tokens: 1 };
    },
    async optimStep(o: OptimOptions) {
      calls.push(`step ${o.lr}`);
      return { gradNorm: 2, skipped: false, lr: o.lr };
    },
  } as unknown as PolicyBackend;
  const r = await runUpdates(stub, batch, loss, { epochs: 1, miniBatches: 1, seed: 3 }, { lr: 0.1 });
  assert.deepEqual(calls, ['fb', 'step 0.1']);
  assert.deepEqual(r.first, { loss: 0.5, metrics: { m: 1 }, tokens: 1, gradNorm: 2, skipped: false, lr: 0.1 });
  assert.deepEqual(r.extra, {});
});

test('with several updates the importance ratio leaves 1 and the PPO clip binds; with one it does not', async () => {
  const tok = new CharTokenizer(ASCII);
  const run = async (epochs: number) => {
    const m = new Transformer({ architecture: 'llama', vocabSize: tok.vocabSize, hiddenSize: 32, intermediateSize: 64, numLayers: 2, numHeads: 4, numKvHeads: 2, headDim: 8, maxPositions: 128, ropeTheta: 10000, rmsNormEps: 1e-5, tieWordEmbeddings: true, attentionBias: false, qkNorm: false }, new Rng(4));
    const be = new LocalBackend(m, { tokenizer: tok, rng: new Rng(1) });
    const cs = await be.sample(Array.from({ length: 8 }, (_, i) => ({ prompt: tok.encode('Q:1'), maxTokens: 6, seed: i })));
    const batch: TrainBatch = { sequences: cs.map((c) => ({ prompt: tok.encode('Q:1'), completion: c.tokens })) };
    const adv = cs.map((c, i) => new Float32Array(c.tokens.length).fill(i % 2 ? 1 : -1));
    const loss: LossSpec = { terms: [{ kind: 'policyGradient', weight: 1, advantages: adv, logpOld: cs.map((c) => c.logprobs), clipLow: 0.2, clipHigh: 0.28, aggregation: 'token_mean' }] };
    return runUpdates(be, batch, loss, { epochs, miniBatches: 2, seed: 7 }, { lr: 3e-2, maxGradNorm: 0 });
  };
  const one = await run(1);
  // First mini-batch of the first epoch: the sampler's policy, rho = 1 up to numerics.
  assert.ok(Math.abs(one.first.metrics['policyGradient/ratio'] - 1) < 1e-4, String(one.first.metrics['policyGradient/ratio']));
  assert.equal(one.first.metrics['policyGradient/clipFrac'], 0);
  const many = await run(4);
  assert.equal(many.extra.updates, 8);
  const ratio = many.extra['last_update/policyGradient/ratio'], clip = many.extra['last_update/policyGradient/clipFrac'];
  assert.ok(Math.abs(ratio - 1) > 0.05, `ratio after 7 updates: ${ratio}`);
  assert.ok(clip > 0.1, `clip fraction after 7 updates: ${clip}`);
});

test('config: updateEpochs and miniBatches are checked, and miniBatches cannot exceed the sequences of a step', () => {
  const model = tinyModelFolder(1);
  assert.throws(() => resolveTrainConfig({ model, updateEpochs: 0 }), /updateEpochs' must be >= 1/);
  assert.throws(() => resolveTrainConfig({ model, promptsPerStep: 2, groupSize: 2, miniBatches: 5 }), /miniBatches 5 is more than the 4 sequences/);
  const c = resolveTrainConfig({ model, updateEpochs: 2, miniBatches: 2 });
  assert.equal(c.updateEpochs * c.miniBatches, 4);
});

test('a comparison method can carry its own train settings (e.g. several updates for KL-Cov)', async () => {
  const { planComparison } = await import('../../src/train/compare.ts');
  const model = tinyModelFolder(1);
  const runs = planComparison({
    model, envs: ['math'], seeds: [0], base: { steps: 2 },
    methods: [{ label: 'a', algorithm: 'grpo' }, { label: 'b', algorithm: 'rlif', algorithmOptions: { klCov: 0.01 }, train: { updateEpochs: 2 } }],
  }, '/tmp/x');
  assert.deepEqual(runs.map((r) => r.config.updateEpochs), [1, 2]);
});
