import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDlm, maskIdOf, saveDlm, DLM_FAMILY } from '../../src/diffusion-lm/model.ts';
import { dlmModelConfig, DLM_PRETRAIN_DEFAULTS } from '../../src/diffusion-lm/pretrain.ts';
import { evaluateDlm, evaluateDlmCheckpoint, standardError } from '../../src/diffusion-lm/evaluate.ts';
import { transformerDenoiser } from '../../src/diffusion-lm/sampler.ts';
import { createMathEnv } from '../../src/envs/math/index.ts';
import { runDlmTraining } from '../../src/diffusion-lm/trainer.ts';
import { DLM_TRAIN_DEFAULTS, type DlmAlgorithm } from '../../src/diffusion-lm/train-config.ts';
import { refuseDiffusionLm } from '../../src/models/family.ts';
import { saveModelFolder } from '../../src/models/folder.ts';
import { weightsOfTransformer } from '../../src/models/transformer-io.ts';
import { Transformer } from '../../src/nn/transformer.ts';
import { tinyTokenizer } from '../../src/recipes/tiny.ts';
import { Rng } from '../../src/util/rng.ts';

const tok = tinyTokenizer();
const shape = { ...DLM_PRETRAIN_DEFAULTS, model: { hiddenSize: 16, numLayers: 1, numHeads: 2, intermediateSize: 24 }, promptLength: 7, genLength: 16, blockSize: 8, sampleSteps: 8 };

function microDlm(dir: string): void {
  const model = new Transformer(dlmModelConfig(shape, tok.vocabSize), new Rng(1));
  saveDlm(dir, model, tok, { family: DLM_FAMILY, maskToken: '<unk>', promptLength: 7, genLength: 16, blockSize: 8, steps: 8 });
}

test('model folders: save/load round trip; wrong family and a missing mask token are clear errors', () => {
  const root = mkdtempSync(join(tmpdir(), 'dlm-'));
  try {
    const dlmDir = join(root, 'dlm');
    microDlm(dlmDir);
    const l = loadDlm(dlmDir);
    assert.equal(l.maskId, tok.unkId);
    assert.equal(l.dlm.genLength, 16);
    // An autoregressive folder given to the diffusion-LM code, and the reverse.
    const arDir = join(root, 'ar');
    const ar = new Transformer(dlmModelConfig(shape, tok.vocabSize), new Rng(2));
    saveModelFolder(arDir, { config: ar.config, weights: weightsOfTransformer(ar), tokenizer: tok });
    assert.throws(() => loadDlm(arDir), /is not a masked-diffusion LM \(no diffusion_lm\.json\)/);
    assert.throws(() => refuseDiffusionLm(dlmDir, 'distil train'), /distil train: .* is a masked-diffusion LM .* 'distil dlm train'/);
    refuseDiffusionLm(arDir, 'distil train'); // an AR folder passes
    assert.throws(() => maskIdOf(tok, '<mask>', 'x'), /x: the mask token "<mask>" is not in the tokenizer/);
    const noMask = join(root, 'nomask');
    assert.throws(() => saveDlm(noMask, ar, tok, { family: DLM_FAMILY, maskToken: '<mask>', promptLength: 7, genLength: 16, blockSize: 8, steps: 8 }), /mask token "<mask>" is not in the tokenizer/);
    assert.ok(!existsSync(noMask), 'nothing written for a bad mask token');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

for (const algorithm of ['d-opsd', 'diffu-grpo', 'rft'] as DlmAlgorithm[]) {
  test(`${algorithm}: a run folder with metrics, evals and checkpoints; a resumed run equals the uninterrupted one`, async () => {
    const root = mkdtempSync(join(tmpdir(), 'dlm-'));
    try {
      const ck = join(root, 'ck');
      microDlm(ck);
      const cfg = {
        ...structuredClone(DLM_TRAIN_DEFAULTS), name: algorithm, algorithm, checkpoint: ck, levels: [1], rounds: 2, promptsPerRound: 2, evalEvery: 1, evalPerLevel: 2, evalSamples: 1, checkpointEvery: 1,
        // Accept everything so that the tiny random model's samples still train (d-opsd needs a correct trajectory).
        opsd: { ...DLM_TRAIN_DEFAULTS.opsd, passk: 1 }, grpo: { ...DLM_TRAIN_DEFAULTS.grpo, groupSize: 2, iterations: 2 }, rft: { groupSize: 2, updates: 1 },
      };
      await runDlmTraining(join(root, 'a'), cfg);
      await runDlmTraining(join(root, 'b'), cfg, { stopAfterRound: 1 });
      await runDlmTraining(join(root, 'b'), cfg, { resume: true });
      const rows = (d: string, f: string) => readFileSync(join(root, d, f), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      const strip = (r: Record<string, unknown>) => Object.fromEntries(Object.entries(r).filter(([k]) => !/wall_s|time\//.test(k)));
      assert.equal(rows('a', 'metrics.jsonl').length, 2);
      assert.deepEqual(rows('b', 'metrics.jsonl').map(strip), rows('a', 'metrics.jsonl').map(strip));
      assert.deepEqual(rows('b', 'eval.jsonl').map(strip), rows('a', 'eval.jsonl').map(strip));
      assert.ok(rows('a', 'eval.jsonl')[0].step === 0 && 'greedy' in rows('a', 'eval.jsonl')[0]);
      assert.ok(rows('a', 'metrics.jsonl').every((r) => r.sampled_tokens > 0));
      // A wrong-family checkpoint is refused before anything is written.
      const ar = join(root, 'ar');
      const m = new Transformer(dlmModelConfig(shape, tok.vocabSize), new Rng(2));
      saveModelFolder(ar, { config: m.config, weights: weightsOfTransformer(m), tokenizer: tok });
      await assert.rejects(runDlmTraining(join(root, 'c'), { ...cfg, checkpoint: ar }), /not a masked-diffusion LM/);
      assert.ok(!existsSync(join(root, 'c')));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
}

test('dlm eval: a checkpoint scores what a run from it scores at step 0 (same prompts, same seed); standard errors over prompts', async () => {
  assert.equal(standardError([5]), 0);
  assert.ok(Math.abs(standardError([1, 0, 0, 1]) - Math.sqrt(1 / 3 / 4)) < 1e-12); // sample variance 1/3, n = 4
  const root = mkdtempSync(join(tmpdir(), 'dlm-'));
  try {
    // The shipped checkpoint, so that the accuracies and their errors are not all zero.
    const ck = 'src/diffusion-lm/checkpoints/dlm-math';
    const cfg = { ...structuredClone(DLM_TRAIN_DEFAULTS), name: 'rft', algorithm: 'rft' as const, checkpoint: ck, levels: [2], rounds: 1, promptsPerRound: 1, evalPerLevel: 8, evalSamples: 2, rft: { groupSize: 1, updates: 1 } };
    await runDlmTraining(join(root, 'r'), cfg);
    const first = JSON.parse(readFileSync(join(root, 'r', 'eval.jsonl'), 'utf8').split('\n')[0]);
    const ev = await evaluateDlmCheckpoint(ck, { levels: [2], perLevel: 8, samples: 2, temperature: 1, split: 'test' });
    assert.equal(ev.n, 8);
    assert.ok(ev.accuracy_se > 0 && ev.greedy_se > 0, JSON.stringify(ev));
    for (const k of ['accuracy', 'greedy', 'accuracy_se', 'greedy_se', 'by_level'] as const) assert.deepEqual(ev[k], first[k], k);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('dlm eval: correct_flawed_work is the share of correct sampled completions whose work the env marks wrong', async () => {
  const root = mkdtempSync(join(tmpdir(), 'dlm-'));
  try {
    microDlm(join(root, 'ck'));
    const l = loadDlm(join(root, 'ck'));
    const math = createMathEnv();
    const tasks = math.tasks('test', 4, 1, { levels: [1] });
    let call = 0;
    // Sampled calls 0-7: even ones correct, those at multiples of 4 with flawed work; then 4 greedy calls.
    const env = { ...math, evaluate: async () => { const i = call++; return { reward: 0, correct: i % 2 === 0, feedback: { summary: '', items: [] }, components: { work: i % 4 === 0 ? 0 : 1 } }; } };
    const ev = await evaluateDlm(transformerDenoiser(l.model), l.tokenizer, env, tasks, { ...l.dlm, maskId: l.maskId, samples: 2, temperature: 1, batch: 64, seed: 1 });
    assert.equal(call, 12);
    assert.equal(ev.accuracy, 0.5);
    assert.equal(ev.correct_flawed_work, 0.5);
    assert.equal(ev.greedy, 0.5);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
