import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crossEntropy, jsKernels, setKernels, tryNativeKernels, nativeError, type Kernels } from '../../src/engine/index.ts';
import { AdamW } from '../../src/nn/optim.ts';
import { Transformer } from '../../src/nn/transformer.ts';
import { Rng } from '../../src/util/rng.ts';
import { assertClose, randIds } from '../engine/gradcheck.ts';
import { tinyConfig } from './tiny.ts';

/** Loss, logits, every gradient and the parameters after one AdamW step, on kernel set k. */
function run(k: Kernels, arch: 'llama' | 'qwen2' | 'qwen3') {
  setKernels(k);
  try {
    const cfg = tinyConfig(arch, { hiddenSize: 16, intermediateSize: 24, headDim: 8, vocabSize: 40 });
    const m = new Transformer(cfg, new Rng(1));
    const [B, T] = [2, 9];
    const ids = randIds(new Rng(2), B * T, cfg.vocabSize);
    const logits = m.forward(ids, B, T);
    const logitsCopy = Float32Array.from(logits.data);
    const loss = crossEntropy(logits, randIds(new Rng(3), B * T, cfg.vocabSize));
    const lossValue = loss.item();
    loss.backward();
    const grads = new Map([...m.params].map(([n, p]) => [n, Float32Array.from(p.grad!)]));
    new AdamW(m.params, { lr: 1e-2 }).step();
    const after = new Map([...m.params].map(([n, p]) => [n, Float32Array.from(p.data)]));
    return { lossValue, logits: logitsCopy, grads, after };
  } finally {
    setKernels(null);
  }
}

// When the addon is not built this compares the reference with itself, so the test still runs
// (and still exercises the whole step); with the addon it checks native against the reference.
const native = tryNativeKernels() ?? jsKernels;

for (const arch of ['llama', 'qwen2', 'qwen3'] as const) {
  test(`${arch}: one training step gives the same results on the ${native.name} and js kernels${native === jsKernels ? ` (native unavailable: ${nativeError()?.split('\n')[0]})` : ''}`, () => {
    const a = run(jsKernels, arch), b = run(native, arch);
    assertClose([b.lossValue], [a.lossValue], 1e-5, 1e-6, 'loss');
    assertClose(b.logits, a.logits, 1e-4, 1e-5, 'logits');
    assert.equal(b.grads.size, a.grads.size);
    for (const [n, g] of a.grads) assertClose(b.grads.get(n)!, g, 1e-3, 1e-6, `grad ${n}`);
    // Adam's first step is lr * g / |g|: for gradients near zero, rounding flips it, hence the atol.
    for (const [n, p] of a.after) assertClose(b.after.get(n)!, p, 1e-4, 1e-4, `param ${n}`);
  });
}
