import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crossEntropy, jsKernels, noGrad, setKernels } from '../../src/engine/index.ts';
import { parameterShapes, Transformer } from '../../src/nn/transformer.ts';
import { Rng } from '../../src/util/rng.ts';
import { assertClose, gradcheck, randIds } from '../engine/gradcheck.ts';
import { tinyConfig } from './tiny.ts';

setKernels(jsKernels);

/** Larger-than-default random weights (norms and biases too) so every gradient is well away from zero. */
function randomise(m: Transformer, rng: Rng): void {
  for (const p of m.parameters()) for (let i = 0; i < p.size; i++) p.data[i] = (p.name!.endsWith('norm.weight') ? 1 : 0) + rng.normal() * 0.4;
}

test('parameter names and shapes follow Hugging Face, per architecture', () => {
  const names = (a: 'llama' | 'qwen2' | 'qwen3') => parameterShapes(tinyConfig(a)).map(([n]) => n);
  assert.ok(names('llama').includes('lm_head.weight'));
  assert.ok(names('llama').includes('model.layers.1.mlp.down_proj.weight'));
  assert.ok(!names('qwen2').includes('lm_head.weight'), 'tied: no lm_head');
  assert.ok(names('qwen2').includes('model.layers.0.self_attn.k_proj.bias'));
  assert.ok(names('qwen3').includes('model.layers.0.self_attn.q_norm.weight'));
  assert.ok(!names('llama').some((n) => n.includes('bias') || n.includes('q_norm')));
  const m = new Transformer(tinyConfig('qwen3'), new Rng(1));
  assert.deepEqual(m.params.get('model.layers.0.self_attn.k_proj.weight')!.shape, [8, 8]); // [Hkv*Dh, d]
  assert.deepEqual(m.params.get('model.layers.0.self_attn.o_proj.weight')!.shape, [8, 16]); // [d, Hq*Dh]
  assert.throws(() => m.load('model.norm.weight', new Float32Array(3)), /model.norm.weight is \[8\] \(8 values\) but the given data has 3/);
  assert.throws(() => m.forward(Int32Array.from([1, 2, 3]), 2, 2), /ids has 3 tokens but B 2 x T 2 = 4/);
});

for (const arch of ['llama', 'qwen2', 'qwen3'] as const) {
  test(`${arch}: full backward vs finite differences for parameters of every kind`, () => {
    const cfg = tinyConfig(arch);
    const m = new Transformer(cfg, new Rng(2));
    randomise(m, new Rng(3));
    const [B, T] = [2, 3];
    const ids = randIds(new Rng(4), B * T, cfg.vocabSize);
    const kinds = ['embed_tokens', 'input_layernorm', 'q_proj.weight', 'k_proj.weight', 'v_proj.weight', 'o_proj', 'q_proj.bias', 'k_proj.bias', 'v_proj.bias', 'q_norm', 'k_norm', 'post_attention', 'gate_proj', 'up_proj', 'down_proj', 'model.norm', 'lm_head'];
    const picked = [...m.params.entries()].filter(([n]) => n.includes('layers.0.') || !n.includes('layers.')).filter(([n]) => kinds.some((k) => n.includes(k)));
    assert.ok(picked.length >= (arch === 'llama' ? 11 : arch === 'qwen2' ? 13 : 13), `picked ${picked.length}`);
    const r = gradcheck(() => m.forward(ids, B, T), picked.map(([, p]) => p), { eps: 1e-2, rtol: 2e-2, atol: 1e-3, maxPerInput: 6 });
    assert.equal(r.failures, 0, `${r.failures}/${r.checked} disagree; worst ${JSON.stringify(r.worst)}`);
  });
}

test('forward with explicit positions equal the default; RoPE depends on relative positions only', () => {
  const cfg = tinyConfig('llama');
  const m = new Transformer(cfg, new Rng(5));
  randomise(m, new Rng(6));
  const ids = randIds(new Rng(7), 6, cfg.vocabSize);
  noGrad(() => {
    const a = m.forward(ids, 2, 3).data;
    const b = m.forward(ids, 2, 3, { positions: Int32Array.from([0, 1, 2, 0, 1, 2]) }).data;
    assertClose(b, a, 0, 0);
    // RoPE is relative: shifting a whole sequence changes nothing (up to rounding); spreading it does.
    const c = m.forward(ids, 2, 3, { positions: Int32Array.from([5, 6, 7, 0, 1, 2]) }).data;
    assertClose(c, a, 1e-3, 1e-4);
    const d = m.forward(ids, 2, 3, { positions: Int32Array.from([0, 2, 5, 0, 1, 2]) }).data;
    assert.ok(Math.abs(d[cfg.vocabSize * 2] - a[cfg.vocabSize * 2]) > 1e-4);
  });
});

test('causality: changing a later token leaves earlier logits unchanged; sequences are independent', () => {
  const cfg = tinyConfig('qwen3');
  const m = new Transformer(cfg, new Rng(8));
  randomise(m, new Rng(9));
  const ids = randIds(new Rng(10), 8, cfg.vocabSize);
  noGrad(() => {
    const a = Float32Array.from(m.forward(ids, 2, 4).data);
    const ids2 = Int32Array.from(ids);
    ids2[2] = (ids2[2] + 1) % cfg.vocabSize;
    const b = m.forward(ids2, 2, 4).data;
    const V = cfg.vocabSize;
    assertClose(b.subarray(0, 2 * V), a.subarray(0, 2 * V), 0, 0);
    assert.ok(b.subarray(2 * V, 3 * V).some((v, i) => v !== a[2 * V + i]));
    assertClose(b.subarray(4 * V), a.subarray(4 * V), 0, 0); // second sequence untouched
  });
});

test('bidirectional (causal: false): a later token changes earlier logits; sequences stay independent', () => {
  const cfg = tinyConfig('llama');
  const m = new Transformer(cfg, new Rng(8));
  randomise(m, new Rng(9));
  const ids = randIds(new Rng(10), 8, cfg.vocabSize);
  noGrad(() => {
    const a = Float32Array.from(m.forward(ids, 2, 4, { causal: false }).data);
    const ids2 = Int32Array.from(ids);
    ids2[3] = (ids2[3] + 1) % cfg.vocabSize;
    const b = m.forward(ids2, 2, 4, { causal: false }).data;
    const V = cfg.vocabSize;
    assert.ok(b.subarray(0, V).some((v, i) => v !== a[i]), 'position 0 sees position 3');
    assertClose(b.subarray(4 * V), a.subarray(4 * V), 0, 0);
  });
  // With one layer the last position sees the same keys either way: causal and bidirectional agree there.
  const one = new Transformer(tinyConfig('llama', { numLayers: 1 }), new Rng(11));
  randomise(one, new Rng(12));
  noGrad(() => {
    const V = cfg.vocabSize;
    const a = Float32Array.from(one.forward(ids, 2, 4, { causal: false }).data), c = one.forward(ids, 2, 4).data;
    assertClose(c.subarray(3 * V, 4 * V), a.subarray(3 * V, 4 * V), 1e-5, 1e-6);
    assert.ok(c.subarray(0, V).some((v, i) => v !== a[i]));
  });
});

test('a few AdamW steps on one batch lower the cross-entropy', async () => {
  const { AdamW } = await import('../../src/nn/optim.ts');
  const cfg = tinyConfig('llama');
  const m = new Transformer(cfg, new Rng(11));
  const opt = new AdamW(m.params, { lr: 1e-2 });
  const ids = randIds(new Rng(12), 8, cfg.vocabSize);
  const targets = Int32Array.from(ids.subarray(1)).slice(0, 8);
  const t = new Int32Array(8).fill(-1);
  t.set(targets.subarray(0, 7));
  const losses: number[] = [];
  for (let s = 0; s < 20; s++) {
    opt.zeroGrad();
    const loss = crossEntropy(m.forward(ids, 1, 8), t);
    losses.push(loss.item());
    loss.backward();
    opt.step();
  }
  assert.ok(losses[19] < losses[0] * 0.5, `loss ${losses[0]} -> ${losses[19]}`);
});

test('outputRows: logits of chosen rows equal those rows of the full forward, and gradients flow', () => {
  const cfg = tinyConfig('qwen2');
  const m = new Transformer(cfg, new Rng(13));
  randomise(m, new Rng(14));
  const ids = randIds(new Rng(15), 8, cfg.vocabSize);
  const rows = Int32Array.from([1, 5, 7]);
  const full = noGrad(() => Float32Array.from(m.forward(ids, 2, 4).data));
  const part = m.forward(ids, 2, 4, { outputRows: rows });
  assert.deepEqual(part.shape, [3, cfg.vocabSize]);
  const V = cfg.vocabSize;
  rows.forEach((r, i) => assertClose(part.data.subarray(i * V, i * V + V), full.subarray(r * V, r * V + V), 1e-6, 1e-6));
  const r = gradcheck(() => m.forward(ids, 2, 4, { outputRows: rows }), [m.embed, m.layers[0].q], { eps: 1e-2, rtol: 2e-2, atol: 1e-3, maxPerInput: 6 });
  assert.equal(r.failures, 0, JSON.stringify(r.worst));
});

test('parameters are views of one buffer in checkpoint order, so gate_proj and up_proj are adjacent (one GEMM)', () => {
  const m = new Transformer(tinyConfig('llama'), new Rng(16));
  const { gate, up } = m.layers[1];
  assert.equal(gate.data.buffer, m.weights.buffer);
  assert.equal(up.data.byteOffset, gate.data.byteOffset + gate.data.byteLength);
  gate.beginGrad();
  up.beginGrad();
  assert.equal(up.gradBuf.byteOffset, gate.gradBuf.byteOffset + gate.gradBuf.byteLength);
  assert.equal(m.weights.length, [...m.params.values()].reduce((n, p) => n + p.size, 0));
});
