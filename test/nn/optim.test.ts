import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsKernels, setKernels, Tensor } from '../../src/engine/index.ts';
import { AdamW } from '../../src/nn/optim.ts';
import { clipGradNorm, isNoDecay, paramGroups } from '../../src/nn/params.ts';
import { Transformer } from '../../src/nn/transformer.ts';
import { Rng } from '../../src/util/rng.ts';
import { assertClose } from '../engine/gradcheck.ts';
import { tinyConfig } from './tiny.ts';

setKernels(jsKernels);

function withGrad(p: Tensor, g: number[]): void {
  p.beginGrad();
  p.gradBuf.set(g);
}

test('AdamW: two steps match hand-computed values (bias correction, decoupled weight decay)', () => {
  const w = Tensor.param(Float32Array.from([1, -2]), [2, 1], 'layer.weight');
  const opt = new AdamW(new Map([['layer.weight', w]]), { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1 });
  withGrad(w, [0.5, -1]);
  opt.step();
  // p *= 1 - lr*wd; m-hat = g, v-hat = g^2 at step 1, so p -= lr * sign(g).
  assertClose(w.data, [0.89, -1.88], 1e-6, 1e-7);
  opt.zeroGrad();
  assert.equal(w.grad, null);
  withGrad(w, [0.25, 1]);
  opt.step();
  // m = [0.07, 0.01], v = [3.1225e-4, 1.999e-3], bias corrections 0.19 and 1.999e-3.
  assertClose(w.data, [0.78788204, -1.86646316], 1e-6, 1e-7);
  assert.equal(opt.steps, 2);
});

test('AdamW: no weight decay on norms, biases, embeddings; skips parameters without gradients', () => {
  const n = Tensor.param(Float32Array.from([1, 1]), [2], 'model.norm.weight');
  const e = Tensor.param(Float32Array.from([3, 3]), [1, 2], 'model.embed_tokens.weight');
  const opt = new AdamW(new Map([['model.norm.weight', n], ['model.embed_tokens.weight', e]]), { lr: 0.1, weightDecay: 0.5 });
  withGrad(n, [0, 0]);
  opt.step();
  assertClose(n.data, [1, 1], 0, 0); // zero gradient and no decay: unchanged
  assertClose(e.data, [3, 3], 0, 0); // no gradient: skipped
  assert.deepEqual(opt.decayed(), []);
  const g = paramGroups(new Transformer(tinyConfig('qwen2'), new Rng(1)).params);
  assert.ok(g.decay.includes('model.layers.0.self_attn.q_proj.weight'));
  assert.ok(g.noDecay.includes('model.layers.0.self_attn.q_proj.bias'));
  assert.ok(g.noDecay.includes('model.layers.1.post_attention_layernorm.weight'));
  assert.ok(g.noDecay.includes('model.embed_tokens.weight'));
  assert.ok(!isNoDecay('lm_head.weight'));
});

test('AdamW state saved and loaded continues identically', () => {
  const make = () => Tensor.param(Float32Array.from([0.5, -0.3, 0.2]), [3, 1], 'w');
  const a = make(), b = make();
  const oa = new AdamW(new Map([['w', a]]), { lr: 0.05 });
  const grads = [[0.1, 0.2, -0.3], [0.3, -0.1, 0.2], [-0.2, 0.4, 0.1]];
  for (const g of grads.slice(0, 2)) {
    withGrad(a, g);
    oa.step();
  }
  const saved = oa.stateDict();
  b.data.set(a.data);
  const ob = new AdamW(new Map([['w', b]]), { lr: 0.05 });
  ob.loadStateDict(saved);
  withGrad(a, grads[2]);
  oa.step();
  withGrad(b, grads[2]);
  ob.step();
  assertClose(b.data, a.data, 0, 0);
  assert.throws(() => ob.loadStateDict({ step: 1, paramSteps: { w: 1 }, tensors: { 'w.exp_avg': new Float32Array(2), 'w.exp_avg_sq': new Float32Array(2) } }), /w has 3 elements but the saved moments have 2\/2/);
});

test('gradient clipping: global norm, scaling, and non-finite norms reported without touching grads', () => {
  const a = Tensor.param(new Float32Array(2), [2]), b = Tensor.param(new Float32Array(1), [1]);
  withGrad(a, [3, 0]);
  withGrad(b, [4]);
  const r = clipGradNorm([a, b], 1);
  assert.ok(r.finite);
  assertClose([r.norm], [5]);
  assertClose([...a.grad!, ...b.grad!], [0.6, 0, 0.8], 1e-5, 1e-6);
  const r2 = clipGradNorm([a, b], 10);
  assertClose([r2.norm, r2.scale], [1, 1], 1e-5, 1e-6);
  withGrad(b, [NaN]);
  const r3 = clipGradNorm([a, b], 1);
  assert.equal(r3.finite, false);
  assert.ok(Number.isNaN(r3.norm));
  assertClose(a.grad!, [0.6, 0], 1e-5, 1e-6);
  withGrad(b, [Infinity]);
  assert.equal(clipGradNorm([a, b], 1).finite, false);
});
