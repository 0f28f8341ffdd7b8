import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { algorithmNames } from '../../src/algorithms/registry.ts';
import { resolveTrainConfig } from '../../src/train/config.ts';
import { train } from '../../src/train/loop.ts';
import { readJsonl } from '../../src/train/run-folder.ts';
import { tinyModelFolder } from './helpers.ts';

const model = tinyModelFolder();
const base = {
  model, env: 'math', levels: [1], steps: 2, promptsPerStep: 2, groupSize: 2, maxTokens: 12,
  evalEvery: 0, evalPrompts: 4, evalSamples: 1, checkpointEvery: 0, samplesPerStep: 1,
};
const quiet = { log: () => {} };

for (const algorithm of algorithmNames()) {
  test(`${algorithm}: runs two steps and writes the run folder`, async () => {
    const dir = mkdtempSync(join(tmpdir(), `distil-${algorithm}-`));
    const algorithmOptions = ['distil', 'opsd', 'sdpo'].includes(algorithm) ? { topK: 8 } : {};
    const cfg = resolveTrainConfig({ ...base, algorithm, algorithmOptions: { ...algorithmOptions, ...(algorithm === 'distil' ? { select: 'all' } : {}) } });
    const res = await train(cfg, dir, quiet);
    assert.equal(res.steps, 2);
    const metrics = readJsonl(join(dir, 'metrics.jsonl'));
    assert.equal(metrics.length, 2);
    const keys = ['step', 'sampled_tokens', 'wall_s', 'reward', 'accuracy', 'loss', 'grad_norm', 'time/sample_s', 'time/train_s'];
    // SFT samples nothing, so there is no student sample to measure the KL to the initial policy on.
    if (algorithm !== 'sft') keys.push('kl_init', 'entropy', 'tok_per_s');
    for (const key of keys) {
      assert.ok(key in metrics[1], `${algorithm}: metrics lack ${key}: ${Object.keys(metrics[1]).join(', ')}`);
    }
    const evals = readJsonl(join(dir, 'eval.jsonl'));
    assert.deepEqual(evals.map((e) => e.step), [0, 2]);
    // One name per metric: snake_case, no second copy under another name.
    assert.deepEqual(Object.keys(evals[1]).sort(), ['accuracy', 'by_level', 'env', 'greedy', 'mean_reward', 'n', 'pass_at_k', 'sampled_tokens', 'samples', 'step', 'wall_s']);
    for (const level of Object.values(evals[1].by_level as Record<string, object>)) assert.deepEqual(Object.keys(level).sort(), ['accuracy', 'greedy', 'n', 'pass_at_k']);
    assert.equal(readJsonl(join(dir, 'samples.jsonl')).length, 2);
    assert.ok(existsSync(join(dir, 'checkpoints', 'step-2', 'model', 'model.safetensors')));
    assert.ok(existsSync(join(dir, 'summary.json')));
    const cfgBack = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    assert.equal(cfgBack.algorithm, algorithm);
  });
}

test('a config with an unknown or ill-typed key is refused, naming it', () => {
  assert.throws(() => resolveTrainConfig({ ...base, stepz: 3 }), /unknown option 'stepz' \(did you mean 'steps'\?\)/);
  assert.throws(() => resolveTrainConfig({ ...base, lr: 'fast' }), /option 'lr' must be a number/);
  assert.throws(() => resolveTrainConfig({ ...base, algorithm: 'ppo' }), /option 'algorithm' must be one of distil, grpo.*; got "ppo"/);
  assert.throws(() => resolveTrainConfig({ ...base, algorithm: 'grp' }), /got "grp" \(did you mean 'grpo'\?\)/);
  assert.throws(() => resolveTrainConfig({ ...base, env: 'maths' }), /option 'env' must be one of .*math.*; got "maths" \(did you mean 'math'\?\)/);
  assert.throws(() => resolveTrainConfig({ ...base, schedule: 'cosin' }), /option 'schedule' must be one of constant, cosine, linear; got "cosin" \(did you mean 'cosine'\?\)/);
  // A teacher context typo fails when the config is read, not at step 1 after the step-0 evaluation.
  assert.throws(() => resolveTrainConfig({ ...base, algorithm: 'distil', algorithmOptions: { context: 'critque' } }), /distil: option 'context' must be one of .*critique.*; got "critque" \(did you mean 'critique'\?\)/);
  assert.throws(() => resolveTrainConfig({ ...base, algorithm: 'distil', algorithmOptions: { rollInContext: 'refrence' } }), /did you mean 'reference'/);
  assert.throws(() => resolveTrainConfig({ ...base, algorithm: 'distil', algorithmOptions: { topk: 3 } }), /distil: unknown option 'topk' \(did you mean 'topK'\?\)/);
  assert.throws(() => resolveTrainConfig({ ...base, model: '' }), /'model' is required/);
});

test('a second run into the same folder is refused unless resuming', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'distil-twice-'));
  const cfg = resolveTrainConfig({ ...base, algorithm: 'grpo', steps: 1 });
  await train(cfg, dir, quiet);
  await assert.rejects(train(cfg, dir, quiet), /already holds a run/);
});

test('distil with DAgger roll-in (beta 0.5) and an aggregation buffer runs, and roll-in needs a local teacher', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'distil-rollin-'));
  const cfg = resolveTrainConfig({ ...base, steps: 3, algorithm: 'distil', algorithmOptions: { topK: 8, select: 'all', rollInBeta: 0.5, daggerBuffer: 8, daggerSample: 2 } });
  const res = await train(cfg, dir, quiet);
  assert.equal(res.steps, 3);
  const m = readJsonl(join(dir, 'metrics.jsonl'));
  // Steps 2 and 3 train on the 4 fresh rollouts plus 2 relabelled from the buffer.
  assert.ok(m.every((r) => typeof r.loss === 'number'));
  const fresh = (r: Record<string, unknown>) => Math.round((r.completion_len as number) * 4);
  assert.equal(m[0].trained_tokens, fresh(m[0]), 'step 1: the buffer is still empty');
  assert.ok((m[1].trained_tokens as number) > fresh(m[1]), 'step 2 trains on buffered rollouts too');
  const bad = resolveTrainConfig({ ...base, algorithm: 'distil', algorithmOptions: { topK: 8, teacher: 'expert', rollInBeta: 0.5 } });
  await assert.rejects(train(bad, mkdtempSync(join(tmpdir(), 'distil-rollin-bad-')), quiet), /roll-in .* needs a teacher held in this process/);
});

test('LoRA training (loraRank 2) trains only the adapters, saves them, and resumes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'distil-lora-'));
  const cfg = resolveTrainConfig({ ...base, steps: 2, lr: 1e-2, algorithm: 'sft', loraRank: 2, loraTargets: 'q_proj,v_proj', checkpointEvery: 1 });
  await train(cfg, dir, quiet);
  assert.ok(existsSync(join(dir, 'checkpoints', 'step-2', 'model', 'adapter', 'adapter_model.safetensors')));
  const { loadModelFolder } = await import('../../src/models/folder.ts');
  const start = loadModelFolder(model), end = loadModelFolder(join(dir, 'checkpoints', 'step-2', 'model'));
  const changed = [...start.weights.keys()].filter((n) => !start.weights.get(n)!.data.every((x, i) => x === end.weights.get(n)!.data[i]));
  assert.ok(changed.length > 0 && changed.every((n) => /q_proj|v_proj/.test(n)), `changed: ${changed.join(', ')}`);
  // Resuming to 3 steps starts from the checkpoint's adapter.
  const more = resolveTrainConfig({ ...base, steps: 3, lr: 1e-2, algorithm: 'sft', loraRank: 2, loraTargets: 'q_proj,v_proj', checkpointEvery: 1 });
  const r = await train(more, dir, quiet, { resume: true });
  assert.equal(r.steps, 3);
  assert.throws(() => resolveTrainConfig({ ...base, loraRank: 2, loraTargets: 'q_proj,qq' }), /loraTargets: unknown projection 'qq'/);
});

test('stop strings cut sampled completions (training and evaluation)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'distil-stop-'));
  const cfg = resolveTrainConfig({ ...base, steps: 1, algorithm: 'grpo', stop: ['\n', ' '], samplesPerStep: 4 });
  await train(cfg, dir, quiet);
  const samples = readJsonl(join(dir, 'samples.jsonl'));
  assert.equal(samples.length, 4);
  for (const s of samples) assert.ok(!/[\n ]/.test(s.completion as string), JSON.stringify(s.completion));
  assert.throws(() => resolveTrainConfig({ ...base, stop: '\n' }), /option 'stop' must be a list of strings/);
});

test('eval.jsonl rows hold greedy accuracy (overall and per level) unless evalGreedy is off', async () => {
  for (const evalGreedy of [true, false]) {
    const dir = mkdtempSync(join(tmpdir(), 'distil-greedy-'));
    await train(resolveTrainConfig({ ...base, algorithm: 'grpo', steps: 1, evalGreedy }), dir, quiet);
    const evals = readJsonl(join(dir, 'eval.jsonl'));
    assert.equal(evals.length, 2);
    for (const e of evals) {
      const level = (e.by_level as Record<string, Record<string, unknown>>)['1'];
      if (evalGreedy) {
        assert.equal(typeof e.greedy, 'number');
        assert.equal(level.greedy, e.greedy);
      } else {
        assert.ok(!('greedy' in e) && !('greedy' in level));
      }
    }
  }
});

test("without a 'stop' setting the run uses the model's stop strings, and its checkpoints keep them", async () => {
  const shipped = tinyModelFolder(3);
  const genPath = join(shipped, 'generation_config.json');
  writeFileSync(genPath, JSON.stringify({ ...JSON.parse(readFileSync(genPath, 'utf8')), stop_strings: ['\n', ' '] }));
  const dir = mkdtempSync(join(tmpdir(), 'distil-stop-model-'));
  const cfg = resolveTrainConfig({ ...base, model: shipped, steps: 1, algorithm: 'grpo', samplesPerStep: 4, checkpointEvery: 1 });
  assert.equal(cfg.stop, null);
  const lines: string[] = [];
  await train(cfg, dir, { log: (m: string) => lines.push(m) });
  assert.ok(lines.some((l) => l.startsWith('stop strings ["\\n"," "] (from ')), lines.join('\n'));
  for (const s of readJsonl(join(dir, 'samples.jsonl'))) assert.ok(!/[\n ]/.test(s.completion as string), JSON.stringify(s.completion));
  const saved = JSON.parse(readFileSync(join(dir, 'checkpoints', 'step-1', 'model', 'generation_config.json'), 'utf8'));
  assert.deepEqual(saved.stop_strings, ['\n', ' ']);
  // stop=[] says "none", which is not the same as not saying.
  assert.deepEqual(resolveTrainConfig({ ...base, stop: [] }).stop, []);
});
