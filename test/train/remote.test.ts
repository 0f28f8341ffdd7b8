/**
 * `distil train backend=tinker` against a local `distil serve`: the same run reaches the same
 * adapters (and the same losses step by step) as on LocalBackend, for DistIL, GRPO, OPSD and
 * SFT; a remote run resumes from its checkpoint (the tinker:// state path) exactly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPeftAdapter } from '../../src/models/peft.ts';
import { loadTransformer } from '../../src/models/transformer-io.ts';
import { servedModelFromFolder } from '../../src/server/engine.ts';
import { serve, type RunningServer } from '../../src/server/server.ts';
import { resolveTrainConfig } from '../../src/train/config.ts';
import { train } from '../../src/train/loop.ts';
import { readJsonl } from '../../src/train/run-folder.ts';
import { tinyModelFolder } from './helpers.ts';

const model = tinyModelFolder();
const base = {
  model, env: 'math', levels: [1], steps: 2, promptsPerStep: 2, groupSize: 2, maxTokens: 10, lr: 1e-2,
  evalEvery: 0, evalPrompts: 2, evalSamples: 1, checkpointEvery: 0, samplesPerStep: 1, loraRank: 2,
};
const quiet = { log: () => {} };

function localAdapters(runDir: string, step: number): Map<string, Float32Array> {
  const { model: m } = loadTransformer(model);
  const { lora } = loadPeftAdapter(m, join(runDir, 'checkpoints', `step-${step}`, 'model', 'adapter'));
  return new Map([...lora.parameters()].map(([n, p]) => [n, p.data]));
}

function remoteAdapters(server: RunningServer, runDir: string, step: number): Map<string, Float32Array> {
  const rec = JSON.parse(readFileSync(join(runDir, 'checkpoints', `step-${step}`, 'model', 'remote.json'), 'utf8'));
  const m = server.tinker!.service.models.get(rec.model_id)!;
  return new Map([...m.lora.parameters()].map(([n, p]) => [n, p.data]));
}

function gap(a: Map<string, Float32Array>, b: Map<string, Float32Array>): number {
  let g = 0;
  for (const [n, x] of a) {
    const y = b.get(n);
    assert.ok(y, `no adapter ${n}`);
    for (let i = 0; i < x.length; i++) g = Math.max(g, Math.abs(x[i] - y![i]));
  }
  return g;
}

const algorithms: Record<string, object> = { distil: { topK: 8 }, grpo: {}, opsd: { topK: 8 }, sft: {} };

test('backend tinker against distil serve reaches the weights of the same run on LocalBackend (distil, grpo, opsd, sft)', async () => {
  const server = await serve(servedModelFromFolder(model), { port: 0, tinker: { longPollMs: 100 } });
  try {
    for (const [algorithm, algorithmOptions] of Object.entries(algorithms)) {
      const cfg = { ...base, algorithm, algorithmOptions };
      const ld = mkdtempSync(join(tmpdir(), `distil-local-${algorithm}-`)), rd = mkdtempSync(join(tmpdir(), `distil-remote-${algorithm}-`));
      await train(resolveTrainConfig(cfg), ld, quiet);
      await train(resolveTrainConfig({ ...cfg, backend: 'tinker', tinkerUrl: server.url }), rd, quiet);
      const lm = readJsonl(join(ld, 'metrics.jsonl')), rm = readJsonl(join(rd, 'metrics.jsonl'));
      assert.equal(rm.length, 2);
      lm.forEach((row, i) => {
        for (const k of ['loss', 'grad_norm', 'reward', 'completion_len']) {
          const a = row[k] as number, b = rm[i][k] as number;
          assert.ok(Math.abs(a - b) <= 1e-4 * (1 + Math.abs(a)), `${algorithm} step ${i + 1} ${k}: local ${a}, remote ${b}`);
        }
      });
      // float32 log-probs cross the wire (teacher probabilities as exp(log p)): Adam turns those
      // rounding differences into adapter differences far below one step (lr 1e-2).
      const g = gap(localAdapters(ld, 2), remoteAdapters(server, rd, 2));
      assert.ok(g < 1e-4, `${algorithm}: adapters differ by ${g}`);
    }
  } finally {
    await server.close();
  }
});

test('a remote run resumes from its checkpoint exactly (state path and frozen teacher path)', async () => {
  const server = await serve(servedModelFromFolder(model), { port: 0, tinker: { longPollMs: 100 } });
  try {
    const cfg = { ...base, algorithm: 'distil', algorithmOptions: { topK: 8 }, backend: 'tinker', tinkerUrl: server.url, checkpointEvery: 1 };
    const straight = mkdtempSync(join(tmpdir(), 'distil-remote-straight-')), split = mkdtempSync(join(tmpdir(), 'distil-remote-split-'));
    await train(resolveTrainConfig(cfg), straight, quiet);
    await train(resolveTrainConfig({ ...cfg, steps: 1 }), split, quiet);
    await train(resolveTrainConfig(cfg), split, quiet, { resume: true });
    const a = readJsonl(join(straight, 'metrics.jsonl')), b = readJsonl(join(split, 'metrics.jsonl'));
    assert.deepEqual(b.map((r) => r.loss), a.map((r) => r.loss));
    assert.equal(gap(remoteAdapters(server, straight, 2), remoteAdapters(server, split, 2)), 0);
    const teacherRec = JSON.parse(readFileSync(join(split, 'checkpoints', 'step-2', 'teacher', 'remote.json'), 'utf8'));
    assert.match(teacherRec.sampler_path, /^tinker:\/\/.+\/sampler_weights\/frozen-1$/);
  } finally {
    await server.close();
  }
});

test('remote runs refuse what the service cannot do, with clear errors', async () => {
  const server = await serve(servedModelFromFolder(model), { port: 0 });
  try {
    const cfg = { ...base, backend: 'tinker', tinkerUrl: server.url };
    assert.throws(() => resolveTrainConfig({ ...cfg, loraRank: 0 }), /backend 'tinker' trains LoRA adapters; set loraRank/);
    const dir = () => mkdtempSync(join(tmpdir(), 'distil-remote-bad-'));
    await assert.rejects(train(resolveTrainConfig({ ...cfg, algorithm: 'sdpo', algorithmOptions: { topK: 8, teacher: 'ema' } }), dir(), quiet), /EMA teacher needs weight arithmetic/);
    await assert.rejects(train(resolveTrainConfig({ ...cfg, algorithm: 'distil', algorithmOptions: { topK: 8, rollInBeta: 0.5 } }), dir(), quiet), /roll-in .* a student in this process \(not a remote backend\)/);
    await assert.rejects(train(resolveTrainConfig({ ...cfg, loraTargets: 'q_proj,v_proj' }), dir(), quiet), /adapts all attention projections/);
    await assert.rejects(train(resolveTrainConfig({ ...cfg, tinkerBaseModel: 'Qwen3-8B' }), dir(), quiet), /does not offer base model 'Qwen3-8B'/);
  } finally {
    await server.close();
  }
});
