import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Decoder } from '../../src/inference/decoder.ts';
import { sample } from '../../src/inference/sampler.ts';
import { score } from '../../src/inference/scorer.ts';
import { jsKernels } from '../../src/engine/kernels/js.ts';
import { kernels } from '../../src/engine/kernels/index.ts';
import type { ModelConfig } from '../../src/nn/config.ts';
import { randomWeights, TINY } from './random-weights.ts';

const decode = (ids: number[]) => ids.map((i) => String.fromCharCode(97 + i)).join('');
const opts = { decode, eosIds: [0], padId: 1 };
const VARIANTS: [string, ModelConfig][] = [
  ['llama', TINY],
  ['qwen2 (bias, tied)', { ...TINY, architecture: 'qwen2', attentionBias: true, tieWordEmbeddings: true }],
  ['qwen3 (qk-norm, GQA 4:1)', { ...TINY, architecture: 'qwen3', qkNorm: true, numKvHeads: 1 }],
];

function fullLogits(dec: Decoder, seq: number[]): Float32Array {
  const cache = dec.newCache(1, seq.length);
  return dec.forward(Int32Array.from(seq), seq.length, cache, [seq.length - 1]);
}

for (const [name, cfg] of VARIANTS) {
  test(`${name}: KV-cache decoding gives the same logits as recomputing the whole sequence`, () => {
    const dec = new Decoder(cfg, randomWeights(cfg, 1), jsKernels);
    const prompt = [3, 7, 2, 9, 4];
    const cache = dec.newCache(1, 32);
    let logits = dec.forward(Int32Array.from(prompt), prompt.length, cache, [prompt.length - 1]);
    const seq = [...prompt];
    for (let t = 0; t < 8; t++) {
      const ref = fullLogits(dec, seq);
      for (let i = 0; i < ref.length; i++) assert.ok(Math.abs(ref[i] - logits[i]) < 1e-4, `step ${t} logit ${i}: ${logits[i]} vs ${ref[i]}`);
      let best = 2;
      for (let i = 2; i < cfg.vocabSize; i++) if (logits[i] > logits[best]) best = i;
      seq.push(best);
      logits = dec.forward(Int32Array.from([best]), 1, cache, [0]);
    }
  });
}

test('a batch of prompts of different lengths samples exactly what each prompt gets alone', () => {
  const dec = new Decoder(TINY, randomWeights(TINY, 2), jsKernels);
  const reqs = [
    { prompt: [5, 6, 7, 8, 9, 10], maxTokens: 10, seed: 11 },
    { prompt: [4], maxTokens: 6, seed: 12, temperature: 0.7 },
    { prompt: [2, 3, 4], maxTokens: 10, seed: 13, topK: 5 },
    { prompt: [9, 9], maxTokens: 10, seed: 14, topP: 0.8 },
  ];
  const batched = sample(dec, reqs, opts);
  reqs.forEach((r, i) => {
    const [alone] = sample(dec, [r], opts);
    assert.deepEqual(batched[i].tokens, alone.tokens, `request ${i}`);
    for (let t = 0; t < alone.logprobs.length; t++) assert.ok(Math.abs(batched[i].logprobs[t] - alone.logprobs[t]) < 1e-4);
  });
});

test('same seed, same tokens; another seed, other tokens', () => {
  const dec = new Decoder(TINY, randomWeights(TINY, 3, 0.02), jsKernels);
  const r = { prompt: [3, 4], maxTokens: 20, seed: 5, stopTokenIds: [] };
  const a = sample(dec, [r], opts)[0], b = sample(dec, [r], opts)[0], c = sample(dec, [{ ...r, seed: 6 }], opts)[0];
  assert.deepEqual(a.tokens, b.tokens);
  assert.notDeepEqual(a.tokens, c.tokens);
  assert.equal(a.tokens.length, 20);
  assert.equal(a.stopReason, 'length');
});

test('scoring a sampled completion returns the sampler\'s log-probs, and top-k matches the softmax', () => {
  const dec = new Decoder(TINY, randomWeights(TINY, 4), jsKernels);
  const reqs = [{ prompt: [3, 4, 5], maxTokens: 12, seed: 1 }, { prompt: [6], maxTokens: 7, seed: 2 }];
  const outs = sample(dec, reqs, opts);
  const scored = score(dec, outs.map((o, i) => ({ prompt: reqs[i].prompt, completion: o.tokens, topK: TINY.vocabSize })), { padId: 1 });
  outs.forEach((o, i) => {
    assert.equal(scored[i].logprobs.length, o.tokens.length);
    for (let t = 0; t < o.tokens.length; t++) {
      assert.ok(Math.abs(scored[i].logprobs[t] - o.logprobs[t]) < 1e-4, `seq ${i} token ${t}`);
      const k = scored[i].k!;
      let mass = 0, found = false;
      for (let j = 0; j < k; j++) {
        mass += scored[i].topProbs![t * k + j];
        if (scored[i].topIds![t * k + j] === o.tokens[t]) {
          found = true;
          assert.ok(Math.abs(Math.log(scored[i].topProbs![t * k + j]) - o.logprobs[t]) < 1e-4);
        }
        if (j > 0) assert.ok(scored[i].topProbs![t * k + j] <= scored[i].topProbs![t * k + j - 1]);
      }
      assert.ok(found);
      assert.ok(Math.abs(mass - 1) < 1e-4, `k = V covers all mass, got ${mass}`);
    }
  });
});

test('greedy sampling follows the argmax and stops at the end-of-sequence id', () => {
  const dec = new Decoder(TINY, randomWeights(TINY, 5), jsKernels);
  const prompt = [7, 8];
  const [g] = sample(dec, [{ prompt, maxTokens: 15, temperature: 0, stopTokenIds: [] }], opts);
  const seq = [...prompt];
  for (const tok of g.tokens) {
    const l = fullLogits(dec, seq);
    let best = 0;
    for (let i = 1; i < l.length; i++) if (l[i] > l[best]) best = i;
    assert.equal(tok, best);
    seq.push(tok);
  }
  // Make the 3rd greedy token a stop id: generation ends there, keeping it in tokens but not text.
  const stopId = g.tokens[2];
  const [s] = sample(dec, [{ prompt, maxTokens: 15, temperature: 0, stopTokenIds: [stopId] }], opts);
  const firstStop = g.tokens.indexOf(stopId);
  assert.deepEqual(s.tokens, g.tokens.slice(0, firstStop + 1));
  assert.equal(s.stopReason, 'stop');
  assert.equal(s.text, decode(g.tokens.slice(0, firstStop)));
});

test('stop strings cut the text before the stop string', () => {
  const dec = new Decoder(TINY, randomWeights(TINY, 6), jsKernels);
  const [g] = sample(dec, [{ prompt: [3], maxTokens: 12, temperature: 0, stopTokenIds: [] }], opts);
  const stop = decode(g.tokens.slice(4, 6));
  const [s] = sample(dec, [{ prompt: [3], maxTokens: 12, temperature: 0, stopTokenIds: [], stop: [stop] }], opts);
  const at = g.text.indexOf(stop);
  assert.equal(s.text, g.text.slice(0, at));
  assert.equal(s.stopReason, 'stop');
  assert.ok(s.tokens.length <= 6);
});

test('bad requests get clear errors', () => {
  const dec = new Decoder(TINY, randomWeights(TINY, 7), jsKernels);
  assert.throws(() => sample(dec, [{ prompt: [], maxTokens: 3 }], opts), /prompt must be a non-empty/);
  assert.throws(() => sample(dec, [{ prompt: [1], maxTokens: 0 }], opts), /maxTokens/);
  assert.throws(() => sample(dec, [{ prompt: [1], maxTokens: 2, temperature: -1 }], opts), /temperature/);
  assert.throws(() => sample(dec, [{ prompt: [99], maxTokens: 2 }], opts), /outside the vocabulary/);
  assert.throws(() => sample(dec, [{ prompt: [1], maxTokens: 500 }], opts), /at most 128/);
  const w = randomWeights(TINY, 7);
  w.delete('model.layers.1.mlp.up_proj.weight');
  assert.throws(() => new Decoder(TINY, w, jsKernels), /model\.layers\.1\.mlp\.up_proj\.weight' is missing/);
});

test('the default kernels (native when built) sample the same greedy tokens as the TS kernels', () => {
  const w = randomWeights(TINY, 8);
  const r = { prompt: [3, 4, 5], maxTokens: 12, temperature: 0, stopTokenIds: [] };
  const a = sample(new Decoder(TINY, w, jsKernels), [r], opts)[0];
  const b = sample(new Decoder(TINY, w, kernels()), [r], opts)[0];
  assert.deepEqual(a.tokens, b.tokens);
});

test('roll-in: beta 0 samples only from the student, beta 1 only from the teacher', () => {
  const student = new Decoder(TINY, randomWeights(TINY, 20), jsKernels);
  const teacher = new Decoder(TINY, randomWeights(TINY, 21), jsKernels);
  const reqs = [{ prompt: [3, 4], maxTokens: 8, temperature: 0, stopTokenIds: [] }, { prompt: [5], maxTokens: 8, temperature: 0, stopTokenIds: [] }];
  const tPrompts = [[9, 9, 3, 4], [7, 5]];
  const plain = sample(student, reqs, opts);
  const hot = reqs.map((r, i) => ({ ...r, temperature: 1, seed: 40 + i }));
  const b0 = sample(student, hot, { ...opts, rollIn: { decoder: teacher, prompts: tPrompts, beta: 0 } });
  assert.deepEqual(b0.map((c) => c.tokens), sample(student, hot, opts).map((c) => c.tokens));
  const b1 = sample(student, reqs, { ...opts, rollIn: { decoder: teacher, prompts: tPrompts, beta: 1 } });
  const teacherAlone = sample(teacher, tPrompts.map((p) => ({ ...reqs[0], prompt: p })), opts);
  assert.deepEqual(b1.map((c) => c.tokens), teacherAlone.map((c) => c.tokens));
  assert.notDeepEqual(b1[0].tokens, plain[0].tokens);
  // Log-probs are the student's own, even for teacher-chosen tokens.
  const scored = score(student, reqs.map((r, i) => ({ prompt: r.prompt, completion: b1[i].tokens })), { padId: 1 });
  b1.forEach((c, i) => c.logprobs.forEach((lp, t) => assert.ok(Math.abs(lp - scored[i].logprobs[t]) < 1e-4)));
  assert.throws(() => sample(student, reqs, { ...opts, rollIn: { decoder: teacher, prompts: tPrompts, beta: 2 } }), /beta must be in/);
});

test('packed weights give exactly the logits of the plain path past 8 rows; a request gets its log-probs alone, among a few and in a batch', () => {
  const dec = new Decoder(TINY, randomWeights(TINY, 5), kernels());
  const B = 12, P = 5;
  const ids = Int32Array.from({ length: B * P }, (_, i) => (i * 7 + 3) % TINY.vocabSize);
  const run = () => {
    const cache = dec.newCache(B, P + 1);
    dec.forward(ids, P, cache, [0]);
    return dec.forward(Int32Array.from({ length: B }, (_, b) => (b * 5 + 1) % TINY.vocabSize), 1, cache, Array.from({ length: B }, (_, b) => b));
  };
  const plain = run();
  const packed = dec.withPackedWeights(run);
  assert.deepEqual(packed, plain);
  const reqs = Array.from({ length: B }, (_, i) => ({ prompt: [3 + (i % 4), 2], maxTokens: 4, seed: i }));
  assert.deepEqual(sample(dec, reqs, opts).map((c) => c.tokens), reqs.map((r) => sample(dec, [r], opts)[0].tokens));
  // Alone, among 3 (the GEMM's rows run on other kernels: one row, a few rows) and among 12,
  // a request gets its log-probs (not bit for bit: vectorised elementwise kernels such as
  // swiglu's exp treat an element by its position in the whole batch).
  const together = sample(dec, reqs, opts);
  const near = (a: Float32Array, b: Float32Array, what: string) => a.forEach((v, t) => assert.ok(Math.abs(v - b[t]) < 1e-5, `${what}: ${v} vs ${b[t]}`));
  reqs.forEach((r, i) => near(sample(dec, [r], opts)[0].logprobs, together[i].logprobs, `request ${i} alone`));
  sample(dec, reqs.slice(0, 3), opts).forEach((c, i) => near(c.logprobs, together[i].logprobs, `request ${i} of 3`));
});
