/**
 * score(..., hidden: true) returns the LM head's input at each completion position: checked
 * against the autograd Transformer's logits (with more vocabulary rows than hidden units, the
 * logits pin the hidden state down), and the sampler's per-token self-certainty against its
 * definition on the decoder's own logits.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LocalBackend } from '../../src/backends/local.ts';
import { noGrad, tidy } from '../../src/engine/tensor.ts';
import { CharTokenizer } from '../../src/models/char-tokenizer.ts';
import { selfCertainty } from '../../src/inference/sampling.ts';
import type { ModelConfig } from '../../src/nn/config.ts';
import { Transformer } from '../../src/nn/transformer.ts';
import { Rng } from '../../src/util/rng.ts';

const CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789 =:\n';
const tok = new CharTokenizer(CHARS);

function model(untied: boolean): Transformer {
  const config: ModelConfig = {
    architecture: 'llama', vocabSize: tok.vocabSize, hiddenSize: 16, intermediateSize: 32, numLayers: 2,
    numHeads: 2, numKvHeads: 1, headDim: 8, maxPositions: 128, ropeTheta: 10000, rmsNormEps: 1e-5,
    tieWordEmbeddings: !untied, attentionBias: false, qkNorm: false,
  };
  return new Transformer(config, new Rng(3));
}

for (const untied of [false, true]) {
  test(`score(hidden) rows times the LM head give the Transformer's logits (${untied ? 'untied' : 'tied'} head)`, async () => {
    const m = model(untied);
    const be = new LocalBackend(m, { tokenizer: tok });
    const reqs = [
      { prompt: tok.encode('ab=c'), completion: tok.encode('12:x\n'), hidden: true },
      { prompt: tok.encode('z'), completion: tok.encode('q'), hidden: true },
      { prompt: tok.encode('hello'), completion: tok.encode('w'), topK: 2 }, // no hidden asked
    ];
    const got = await be.score(reqs);
    const D = m.config.hiddenSize, V = m.config.vocabSize;
    assert.equal(got[2].hidden, undefined, 'hidden states only when asked');
    const head = m.params.get(untied ? 'lm_head.weight' : 'model.embed_tokens.weight')!.data;
    for (const i of [0, 1]) {
      const r = reqs[i], T = r.completion.length;
      const h = got[i].hidden!;
      assert.equal(h.length, T * D);
      const seq = [...r.prompt, ...r.completion.slice(0, -1)];
      const rows = Int32Array.from({ length: T }, (_, t) => r.prompt.length - 1 + t);
      const logits = tidy(() => noGrad(() => Array.from(m.forward(Int32Array.from(seq), 1, seq.length, { outputRows: rows }).data)));
      for (let t = 0; t < T; t++) {
        for (let v = 0; v < V; v++) {
          let z = 0;
          for (let d = 0; d < D; d++) z += h[t * D + d] * head[v * D + d];
          assert.ok(Math.abs(z - logits[t * V + v]) < 1e-4, `request ${i} token ${t} vocab ${v}: ${z} vs ${logits[t * V + v]}`);
        }
      }
      // The final RMSNorm's output has a per-row scale set by the norm weight: not all zeros.
      assert.ok(h.some((x) => Math.abs(x) > 1e-3));
    }
  });
}

test('selfCertainty: hand values and limits', () => {
  // logits [0, 0, ln 2]: lse = ln 4, mean = ln2 / 3; KL(U || p) = lse - mean - ln 3.
  const sc = selfCertainty(Float32Array.from([0, 0, Math.log(2)]));
  assert.ok(Math.abs(sc - 0.05663301226) < 1e-6, String(sc));
  assert.ok(Math.abs(sc + Math.log(3) - 1.15525) < 1e-5);
  assert.ok(Math.abs(selfCertainty(Float32Array.from([2, 2, 2, 2]))) < 1e-7, 'uniform -> 0');
  assert.ok(selfCertainty(Float32Array.from([10, 0, 0, 0])) > selfCertainty(Float32Array.from([1, 0, 0, 0])), 'more peaked -> more certain');
});

test('the sampler reports each token\'s self-certainty from the same logits the scorer sees', async () => {
  const m = model(false);
  const be = new LocalBackend(m, { tokenizer: tok });
  const [c] = await be.sample([{ prompt: tok.encode('ab='), maxTokens: 6, seed: 5 }]);
  const T = c.tokens.length;
  assert.equal(c.selfCertainty?.length, T);
  const prompt = tok.encode('ab=');
  const seq = [...prompt, ...c.tokens.slice(0, -1)];
  const rows = Int32Array.from({ length: T }, (_, t) => prompt.length - 1 + t);
  const V = m.config.vocabSize;
  const logits = tidy(() => noGrad(() => Float32Array.from(m.forward(Int32Array.from(seq), 1, seq.length, { outputRows: rows }).data)));
  for (let t = 0; t < T; t++) {
    const want = selfCertainty(logits.subarray(t * V, (t + 1) * V));
    assert.ok(Math.abs(c.selfCertainty![t] - want) < 1e-4, `token ${t}: ${c.selfCertainty![t]} vs ${want}`);
    assert.ok(c.selfCertainty![t] >= -1e-6);
  }
});
