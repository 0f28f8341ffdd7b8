import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalBackend } from '../../src/backends/local.ts';
import type { LossSpec, TrainBatch } from '../../src/backends/types.ts';
import { CharTokenizer } from '../../src/models/char-tokenizer.ts';
import { loadModelFolder } from '../../src/models/folder.ts';
import { Transformer } from '../../src/nn/transformer.ts';
import type { ModelConfig } from '../../src/nn/config.ts';
import { Rng } from '../../src/util/rng.ts';

const tok = new CharTokenizer('abcdefghij');
const CFG: ModelConfig = {
  architecture: 'llama', vocabSize: tok.vocabSize, hiddenSize: 16, intermediateSize: 32, numLayers: 2,
  numHeads: 4, numKvHeads: 2, headDim: 4, maxPositions: 64, ropeTheta: 10000, rmsNormEps: 1e-5,
  tieWordEmbeddings: false, attentionBias: false, qkNorm: false,
};
const quiet = { warn: () => {} };
const make = (seed = 1, extra = {}) => new LocalBackend(new Transformer(CFG, new Rng(seed)), { tokenizer: tok, ...quiet, ...extra });
const batch: TrainBatch = {
  sequences: [
    { prompt: tok.encode('abc'), completion: tok.encode('defg') },
    { prompt: tok.encode('j'), completion: tok.encode('ii') },
    { prompt: tok.encode('hhhhh'), completion: tok.encode('a') },
  ],
};
const ce = (w = 1): LossSpec => ({ terms: [{ kind: 'crossEntropy', weight: w, tokenWeights: batch.sequences.map((s) => new Float32Array(s.completion.length).fill(1)) }] });

test('the cross-entropy loss equals minus the mean scored log-prob of the completions', async () => {
  const be = make();
  const scored = await be.score(batch.sequences.map((s) => ({ prompt: s.prompt, completion: s.completion })));
  const want = -scored.flatMap((s) => [...s.logprobs]).reduce((a, b) => a + b, 0) / 7;
  const rep = await be.forwardBackward(batch, ce());
  assert.ok(Math.abs(rep.loss - want) < 1e-4, `${rep.loss} vs ${want}`);
  assert.equal(rep.tokens, 7);
});

test('gradients match finite differences of the loss', async () => {
  const be = make(2);
  await be.forwardBackward(batch, ce());
  const names = ['model.layers.0.self_attn.q_proj.weight', 'model.layers.1.mlp.down_proj.weight', 'model.embed_tokens.weight', 'lm_head.weight'];
  for (const name of names) {
    const p = be.model.params.get(name)!;
    const g = Float32Array.from(p.grad!);
    for (const i of [0, 5, Math.floor(p.size / 2)]) {
      const old = p.data[i], eps = 1e-2;
      p.data[i] = old + eps;
      const up = (await be.score(batch.sequences)).flatMap((s) => [...s.logprobs]).reduce((a, b) => a - b, 0) / 7;
      p.data[i] = old - eps;
      const down = (await be.score(batch.sequences)).flatMap((s) => [...s.logprobs]).reduce((a, b) => a - b, 0) / 7;
      p.data[i] = old;
      const fd = (up - down) / (2 * eps);
      assert.ok(Math.abs(fd - g[i]) < 2e-3 + 0.05 * Math.abs(fd), `${name}[${i}]: autograd ${g[i]} vs finite difference ${fd}`);
    }
  }
});

test('splitting a batch into several passes gives the same loss and gradients', async () => {
  const a = make(3), b = make(3, { maxTokensPerPass: 6 });
  const ra = await a.forwardBackward(batch, ce()), rb = await b.forwardBackward(batch, ce());
  assert.ok(Math.abs(ra.loss - rb.loss) < 1e-5);
  for (const [name, p] of a.model.params) {
    const q = b.model.params.get(name)!;
    for (let i = 0; i < p.size; i++) assert.ok(Math.abs(p.grad![i] - q.grad![i]) < 1e-5, name);
  }
});

test('a few SFT steps raise the completions\' log-probs', async () => {
  const be = make(4);
  const before = (await be.score(batch.sequences)).flatMap((s) => [...s.logprobs]).reduce((a, b) => a + b, 0);
  for (let i = 0; i < 10; i++) {
    await be.forwardBackward(batch, ce());
    const r = await be.optimStep({ lr: 1e-2, maxGradNorm: 1 });
    assert.equal(r.skipped, false);
  }
  const after = (await be.score(batch.sequences)).flatMap((s) => [...s.logprobs]).reduce((a, b) => a + b, 0);
  assert.ok(after > before + 1, `${before} -> ${after}`);
});

test('a NaN loss skips the step with a warning and never reaches the weights', async () => {
  const warnings: string[] = [];
  const be = make(5, { warn: (m: string) => warnings.push(m) });
  // An overflowing weight makes the logits infinite, so the loss is NaN.
  const head = be.model.params.get('lm_head.weight')!;
  const saved = head.data[0];
  head.data[0] = 3e38;
  be.model.params.get('model.norm.weight')!.data.fill(1e4);
  const before = new Map([...be.model.params].map(([n, p]) => [n, Float32Array.from(p.data)]));
  const rep = await be.forwardBackward(batch, ce());
  assert.ok(!Number.isFinite(rep.loss), `loss ${rep.loss}`);
  const r = await be.optimStep({ lr: 1e-2 });
  assert.equal(r.skipped, true);
  assert.match(warnings.join('\n'), /step skipped: non-finite loss/);
  for (const [n, p] of be.model.params) assert.deepEqual(p.data, before.get(n), n);
  for (const p of be.model.params.values()) assert.ok(!p.grad || p.grad.every((x) => x === 0), 'gradients were cleared');
  // Once the model is sane again the next step goes through.
  head.data[0] = saved;
  be.model.params.get('model.norm.weight')!.data.fill(1);
  await be.forwardBackward(batch, ce());
  assert.equal((await be.optimStep({ lr: 1e-2 })).skipped, false);
});

test('non-finite loss inputs are rejected with an error naming them', async () => {
  const be = make(5);
  const bad: LossSpec = {
    terms: [{
      kind: 'policyGradient', weight: 1, aggregation: 'token_mean', clipLow: 0.2, clipHigh: 0.28,
      advantages: batch.sequences.map((s) => new Float32Array(s.completion.length).fill(NaN)),
      logpOld: batch.sequences.map((s) => new Float32Array(s.completion.length)),
    }],
  };
  await assert.rejects(be.forwardBackward(batch, bad), /advantages\[0\] = NaN is not finite/);
});

test('a frozen snapshot does not move when the student trains; EMA moves by the rate', async () => {
  const be = make(6);
  const frozen = await be.snapshot('frozen');
  const ema = await be.snapshot('ema');
  const name = 'model.layers.0.mlp.up_proj.weight';
  const w0 = Float32Array.from(be.model.params.get(name)!.data);
  await be.forwardBackward(batch, ce());
  await be.optimStep({ lr: 1e-2 });
  const w1 = be.model.params.get(name)!.data;
  assert.deepEqual(frozen.model.params.get(name)!.data, w0);
  ema.emaUpdateFrom(be, 0.25);
  const e = ema.model.params.get(name)!.data;
  for (const i of [0, 7, 100]) assert.ok(Math.abs(e[i] - (0.75 * w0[i] + 0.25 * w1[i])) < 1e-6);
});

test('save writes a model folder that loads back to the same weights', async () => {
  const be = make(7);
  const dir = mkdtempSync(join(tmpdir(), 'distil-local-'));
  try {
    await be.save(join(dir, 'm'));
    const f = loadModelFolder(join(dir, 'm'));
    assert.deepEqual(f.config, { ...CFG, bosTokenId: 1, eosTokenId: 2, padTokenId: 0 });
    for (const [n, p] of be.model.params) assert.deepEqual(f.weights.get(n)!.data, p.data, n);
    assert.equal(f.tokenizer!.decode(tok.encode('abc')), 'abc');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('DistIL future credit: one pass and several passes give the same loss and gradients', async () => {
  const rng = new Rng(9);
  const k = 4;
  const per = (f: (n: number) => Float32Array) => batch.sequences.map((s) => f(s.completion.length));
  const targetIds = per((n) => Int32Array.from({ length: n * k }, (_, i) => (i * 3 + 1) % tok.vocabSize) as unknown as Float32Array) as unknown as Int32Array[];
  const targetProbs = per((n) => Float32Array.from({ length: n * k }, () => 0.05 + 0.15 * rng.next()));
  const spec: LossSpec = {
    terms: [{
      kind: 'softCrossEntropy', weight: 1, support: 'tail', k, targetIds, targetProbs,
      tokenWeights: per((n) => new Float32Array(n).fill(1)),
      futureCredit: { lambdaFc: 0.5, gamma: 0.9, baseline: 'group_position', standardize: false, groups: [0, 0, 1] },
    }],
  };
  const a = make(10), b = make(10, { maxTokensPerPass: 6 });
  const ra = await a.forwardBackward(batch, spec), rb = await b.forwardBackward(batch, spec);
  assert.ok(Math.abs(ra.loss - rb.loss) < 1e-5, `${ra.loss} vs ${rb.loss}`);
  let maxG = 0;
  for (const [name, p] of a.model.params) {
    const q = b.model.params.get(name)!;
    for (let i = 0; i < p.size; i++) {
      maxG = Math.max(maxG, Math.abs(p.grad![i]));
      assert.ok(Math.abs(p.grad![i] - q.grad![i]) < 1e-5, name);
    }
  }
  assert.ok(maxG > 1e-4, 'the gradients are not all zero');
  // Switching the credit off changes the gradient (the term really contributes).
  const c = make(10);
  const off: LossSpec = { terms: [{ ...spec.terms[0], futureCredit: undefined } as LossSpec['terms'][0]] };
  await c.forwardBackward(batch, off);
  const name = 'model.layers.0.self_attn.q_proj.weight';
  let diff = 0;
  const ga = a.model.params.get(name)!.grad!, gc = c.model.params.get(name)!.grad!;
  for (let i = 0; i < ga.length; i++) diff = Math.max(diff, Math.abs(ga[i] - gc[i]));
  assert.ok(diff > 1e-6, `future credit changed nothing (${diff})`);
});

test('sequences with empty completions contribute nothing and do not break a pass', async () => {
  const be = make(11, { maxTokensPerPass: 5 });
  const withEmpty: TrainBatch = { sequences: [{ prompt: tok.encode('ab'), completion: [] }, ...batch.sequences, { prompt: tok.encode('c'), completion: [] }] };
  const spec: LossSpec = { terms: [{ kind: 'crossEntropy', weight: 1, tokenWeights: withEmpty.sequences.map((s) => new Float32Array(s.completion.length).fill(1)) }] };
  const a = await be.forwardBackward(withEmpty, spec);
  const b = await make(11).forwardBackward(batch, ce());
  assert.ok(Math.abs(a.loss - b.loss) < 1e-5);
  assert.equal(a.tokens, 7);
});
