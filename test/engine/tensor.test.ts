import { test } from 'node:test';
import assert from 'node:assert/strict';
import { add, crossEntropy, jsKernels, linear, mul, noGrad, poolStats, setKernels, sum, Tensor, tidy } from '../../src/engine/index.ts';
import { AdamW } from '../../src/nn/optim.ts';
import { Transformer } from '../../src/nn/transformer.ts';
import { Rng } from '../../src/util/rng.ts';
import { assertClose, randIds, randn } from './gradcheck.ts';
import { tinyConfig } from '../nn/tiny.ts';

setKernels(jsKernels);

test('parameter gradients accumulate across backward() calls until zeroGrad()', () => {
  const w = Tensor.param(Float32Array.from([1, 2, 3]), [3], 'w');
  const x = Tensor.from([2, 0.5, -1]);
  sum(mul(w, x)).backward();
  assertClose(w.grad!, [2, 0.5, -1]);
  sum(mul(w, x)).backward();
  assertClose(w.grad!, [4, 1, -2]);
  w.zeroGrad();
  assert.equal(w.grad, null);
  sum(mul(w, x)).backward();
  assertClose(w.grad!, [2, 0.5, -1]);
  assert.equal(x.grad, null, 'constants get no gradient');
});

test('backward with an upstream gradient, and its errors', () => {
  const rng = new Rng(1);
  const x = randn(rng, [2, 3], { requiresGrad: false }), W = randn(rng, [4, 3]);
  const y = linear(x, W);
  assert.throws(() => y.backward(), /is not a scalar; pass its upstream gradient/);
  assert.throws(() => y.backward(new Float32Array(3)), /upstream gradient has 3 elements but tensor \[2, 4\] has 8/);
  const dy = new Float32Array(8).fill(1);
  y.backward(dy);
  // dW[o, i] = sum_n dy[n, o] x[n, i]
  assertClose(W.grad!, [0, 1, 2, 3].flatMap(() => [0, 1, 2].map((i) => x.data[i] + x.data[3 + i])), 1e-5, 1e-6);
  assert.throws(() => y.data, /was released/);
  assert.throws(() => x.backward(), /does not require grad/);
});

test('noGrad records nothing; tidy returns intermediates to the pool', () => {
  const W = Tensor.param(Float32Array.from([1, 2]), [1, 2]);
  const x = Tensor.from([3, 4], [1, 2]);
  const y = noGrad(() => linear(x, W));
  assert.equal(y.requiresGrad, false);
  assert.throws(() => y.backward(), /does not require grad/);
  const x2 = Tensor.from([3, 4, 1, 0], [2, 2]);
  const before = poolStats.releases;
  const kept = tidy(() => noGrad(() => add(linear(x2, W), linear(x2, W))));
  assert.equal(poolStats.releases - before, 2, 'the two linear outputs were released');
  assertClose(kept.data, [22, 2]);
});

test('memory: 1,000 tiny training steps allocate nothing after warm-up', () => {
  const cfg = tinyConfig('qwen3');
  const m = new Transformer(cfg, new Rng(1));
  const opt = new AdamW(m.params, { lr: 1e-3 });
  const rng = new Rng(2);
  const [B, T] = [2, 4];
  const step = () => {
    const ids = randIds(rng, B * T, cfg.vocabSize);
    opt.zeroGrad();
    const loss = crossEntropy(m.forward(ids, B, T), randIds(rng, B * T, cfg.vocabSize));
    loss.backward();
    opt.step();
  };
  for (let i = 0; i < 5; i++) step();
  const alloc = poolStats.allocations, bytes = poolStats.allocatedBytes;
  const acquired = poolStats.acquires - poolStats.releases;
  for (let i = 0; i < 1000; i++) step();
  assert.equal(poolStats.allocations, alloc, 'no new pool buffers after warm-up');
  assert.equal(poolStats.allocatedBytes, bytes);
  assert.equal(poolStats.acquires - poolStats.releases, acquired, 'every buffer taken is given back');
  assert.ok(poolStats.acquires > 1000 * 50, 'the steps did use the pool');
});

test('detach stops the gradient', () => {
  const w = Tensor.param(Float32Array.from([1, 2]), [2], 'w');
  const y = mul(w, w.detach()); // d/dw = w (not 2w)
  sum(y).backward();
  assertClose(w.grad!, [1, 2]);
});

test('memory: sequence lengths that vary from step to step reuse the same buffers', () => {
  const cfg = tinyConfig('llama');
  const m = new Transformer(cfg, new Rng(3));
  const opt = new AdamW(m.params, { lr: 1e-3 });
  const rng = new Rng(4);
  const step = (T: number) => {
    opt.zeroGrad();
    const loss = crossEntropy(m.forward(randIds(rng, 2 * T, cfg.vocabSize), 2, T), randIds(rng, 2 * T, cfg.vocabSize));
    loss.backward();
    opt.step();
  };
  for (let T = 1; T <= 12; T++) step(T);
  const alloc = poolStats.allocations;
  for (let i = 0; i < 300; i++) step(1 + rng.int(12));
  assert.equal(poolStats.allocations, alloc);
});

test('tidy keeps the memory of a returned view alive', async () => {
  const { reshape } = await import('../../src/engine/index.ts');
  const x = Tensor.from([1, 2, 3, 4], [2, 2]);
  const v = tidy(() => noGrad(() => reshape(add(x, x), [4])));
  assertClose(v.data, [2, 4, 6, 8]);
  const other = tidy(() => noGrad(() => add(x, x))); // would reuse the buffer if it had been released
  other.data.fill(0);
  assertClose(v.data, [2, 4, 6, 8]);
});

test('retainGraph: a second backward through the same graph gives the same gradients', () => {
  const rng = new Rng(5);
  const x = randn(rng, [3, 4]), W = randn(rng, [2, 4]);
  const loss = sum(mul(linear(x, W), linear(x, W)));
  loss.backward(undefined, { retainGraph: true });
  const first = Float32Array.from(W.grad!);
  W.zeroGrad();
  x.zeroGrad();
  loss.backward();
  assertClose(W.grad!, first, 1e-6, 1e-7);
});
