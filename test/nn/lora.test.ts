import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crossEntropy, jsKernels, kernels, linear, nativeError, noGrad, setKernels, tryNativeKernels, type Kernels } from '../../src/engine/index.ts';
import { Decoder } from '../../src/inference/decoder.ts';
import { attachLora, LORA_TARGETS, loraLinear, loraScale, parseLoraModuleName, loraModuleName, type LoraModel } from '../../src/nn/lora.ts';
import { AdamW } from '../../src/nn/optim.ts';
import { Transformer } from '../../src/nn/transformer.ts';
import { Rng } from '../../src/util/rng.ts';
import { assertClose, gradcheck, randIds, randn } from '../engine/gradcheck.ts';
import { tinyConfig } from './tiny.ts';

setKernels(jsKernels);

const ALL = [...LORA_TARGETS];

/** Larger-than-default random weights so every gradient is well away from zero. */
function randomise(m: Transformer, rng: Rng): void {
  for (const p of m.parameters()) for (let i = 0; i < p.size; i++) p.data[i] = (p.name!.endsWith('norm.weight') ? 1 : 0) + rng.normal() * 0.4;
}

/** Non-zero B (and bigger A) so the adapters change the output. */
function randomiseAdapters(lora: LoraModel, rng: Rng, s = 0.3): void {
  for (const p of lora.parameters().values()) for (let i = 0; i < p.size; i++) p.data[i] = rng.normal() * s;
}

const logits = (m: Transformer, ids: Int32Array, B: number, T: number) => noGrad(() => Float32Array.from(m.forward(ids, B, T).data));

test('loraLinear: forward equals linear + scale * (x A^T) B^T; finite-difference gradients of x, W, bias, A, B', () => {
  const rng = new Rng(1);
  const [N, I, O, R] = [5, 6, 7, 3];
  const x = randn(rng, [N, I]), W = randn(rng, [O, I]), b = randn(rng, [O]), A = randn(rng, [R, I]), B = randn(rng, [O, R]);
  const s = 0.75;
  const y = noGrad(() => loraLinear(x, W, b, A, B, s)).data;
  const base = noGrad(() => linear(x, W, b)).data;
  const ref = new Float32Array(N * O);
  for (let n = 0; n < N; n++)
    for (let o = 0; o < O; o++) {
      let d = 0;
      for (let r = 0; r < R; r++) {
        let xa = 0;
        for (let i = 0; i < I; i++) xa += x.data[n * I + i] * A.data[r * I + i];
        d += xa * B.data[o * R + r];
      }
      ref[n * O + o] = base[n * O + o] + s * d;
    }
  assertClose(y, ref, 1e-5, 1e-5, 'loraLinear');
  const r = gradcheck((x, W, b, A, B) => loraLinear(x, W, b, A, B, s), [x, W, b, A, B], { maxPerInput: 40 });
  assert.equal(r.failures, 0, `${r.failures}/${r.checked} disagree; worst ${JSON.stringify(r.worst)}`);
  assert.ok(r.checked >= 5 * 7);
  // Frozen W and no bias (the adapter case): only x, A, B get gradients.
  W.requiresGrad = false;
  const r2 = gradcheck((x, A, B) => loraLinear(x, W, null, A, B, s), [x, A, B]);
  assert.equal(r2.failures, 0, `worst ${JSON.stringify(r2.worst)}`);
  assert.throws(() => loraLinear(x, W, b, randn(rng, [R, I + 1]), B, s), /lora_A .* must be \[r, 6\]/);
  assert.throws(() => loraLinear(x, W, b, A, randn(rng, [O, R + 1]), s), /lora_B .* must be \[7, 3\]/);
});

for (const arch of ['llama', 'qwen2', 'qwen3'] as const) {
  test(`${arch}: fresh adapters (B = 0) give the base model's logits; they train A and B only`, () => {
    const cfg = tinyConfig(arch);
    const m = new Transformer(cfg, new Rng(2));
    randomise(m, new Rng(3));
    const [B, T] = [2, 4];
    const ids = randIds(new Rng(4), B * T, cfg.vocabSize);
    const base = logits(m, ids, B, T);
    // Attention projections: the same GEMMs plus an exact zero, so bit-identical.
    const attn = attachLora(m, { r: 2, alpha: 4, targetModules: ['q_proj', 'k_proj', 'v_proj', 'o_proj'] }, new Rng(5));
    assert.ok(attn.adapters.every((ad) => ad.A.data.some((v) => v !== 0) && ad.B.data.every((v) => v === 0)));
    assertClose(logits(m, ids, B, T), base, 0, 0, 'attention adapters, B = 0');
    attn.detach();
    // Every projection: the MLP then runs unfused; the reference kernels sum each output in the
    // same order either way, so this is exact too (the native packed gate+up GEMM may round ~1e-9 apart).
    const lora = attachLora(m, { r: 3, alpha: 6, targetModules: ALL }, new Rng(5));
    assert.equal(lora.adapters.length, 7 * cfg.numLayers);
    assertClose(logits(m, ids, B, T), base, 0, 0, 'all adapters, B = 0');

    // Only the adapters require grad, so AdamW over model.params would do nothing; over lora.parameters() it moves them.
    assert.ok([...m.params.values()].every((p) => !p.requiresGrad));
    const before = Float32Array.from(m.weights);
    const adapterBefore = [...lora.parameters().values()].map((p) => Float32Array.from(p.data));
    const opt = new AdamW(lora.parameters(), { lr: 1e-2, weightDecay: 0.1 });
    const targets = randIds(new Rng(6), B * T, cfg.vocabSize);
    let first = 0, last = 0;
    for (let step = 0; step < 4; step++) {
      opt.zeroGrad();
      const loss = crossEntropy(m.forward(ids, B, T), targets);
      if (step === 0) first = loss.item();
      last = loss.item();
      loss.backward();
      for (const p of m.params.values()) assert.equal(p.grad, null, `${p.name} got a gradient`);
      opt.step();
    }
    assert.ok(last < first, `loss ${first} -> ${last}`);
    assert.deepEqual(m.weights, before, 'base weights changed');
    [...lora.parameters().values()].forEach((p, i) => assert.ok(p.data.some((v, j) => v !== adapterBefore[i][j]), `${p.name} did not change`));
    assert.ok(lora.adapters.every((ad) => ad.B.data.some((v) => v !== 0)));
    const trained = logits(m, ids, B, T);
    assert.ok(trained.some((v, i) => Math.abs(v - base[i]) > 1e-4), 'trained adapters change the logits');

    // Merged == unmerged; unmerge restores the base bit-for-bit; detach restores requiresGrad.
    lora.merge();
    assert.ok(lora.merged);
    assert.notDeepEqual(m.weights, before);
    assertClose(logits(m, ids, B, T), trained, 1e-5, 1e-5, 'merged vs unmerged');
    lora.unmerge();
    assert.deepEqual(m.weights, before);
    assertClose(logits(m, ids, B, T), trained, 0, 0, 'unmerged again');
    lora.merge({ keepBase: false });
    lora.unmerge();
    assertClose(m.weights, before, 1e-5, 1e-6, 'unmerge by subtraction');
    m.weights.set(before);
    lora.detach();
    assert.ok([...m.params.values()].every((p) => p.requiresGrad));
    assertClose(logits(m, ids, B, T), base, 0, 0, 'detached');
  });
}

test('gradient check through the model: finite differences on A and B entries of every target', () => {
  for (const arch of ['llama', 'qwen2', 'qwen3'] as const) {
    const cfg = tinyConfig(arch);
    const m = new Transformer(cfg, new Rng(10));
    randomise(m, new Rng(11));
    const lora = attachLora(m, { r: 2, alpha: 3, targetModules: ALL }, new Rng(12));
    randomiseAdapters(lora, new Rng(13), 0.4);
    const [B, T] = [2, 3];
    const ids = randIds(new Rng(14), B * T, cfg.vocabSize);
    const picked = [...lora.parameters().values()].filter((p) => p.name!.startsWith('model.layers.0.') || p.name!.includes('down_proj') || p.name!.includes('q_proj'));
    const r = gradcheck(() => m.forward(ids, B, T), picked, { eps: 1e-2, rtol: 2e-2, atol: 1e-3, maxPerInput: 4 });
    assert.equal(r.failures, 0, `${arch}: ${r.failures}/${r.checked} disagree; worst ${JSON.stringify(r.worst)}`);
    assert.ok(r.checked >= picked.length * 2);
    lora.detach();
  }
});

test('merge equals the explicit W + scale * B @ A; rsLoRA and layer selection', () => {
  const cfg = tinyConfig('llama', { numLayers: 3 });
  const m = new Transformer(cfg, new Rng(20));
  const lora = attachLora(m, { r: 4, alpha: 2, targetModules: ['v_proj', 'down_proj'], layers: [0, 2], useRslora: true }, new Rng(21));
  assert.deepEqual(lora.adapters.map((a) => a.module), [
    'model.layers.0.self_attn.v_proj', 'model.layers.0.mlp.down_proj', 'model.layers.2.self_attn.v_proj', 'model.layers.2.mlp.down_proj',
  ]);
  assert.equal(lora.adapters[0].scale, 1); // 2 / sqrt(4)
  assert.equal(loraScale({ r: 4, alpha: 2 }), 0.5);
  assert.deepEqual([...lora.parameters().keys()].slice(0, 2), ['model.layers.0.self_attn.v_proj.lora_A.weight', 'model.layers.0.self_attn.v_proj.lora_B.weight']);
  // A ~ U(-1/sqrt(in), 1/sqrt(in)) as PEFT's kaiming_uniform_(a = sqrt(5)).
  const a = lora.adapters[1].A; // down_proj: in = intermediateSize 12
  const bound = 1 / Math.sqrt(12);
  assert.ok(a.data.every((v) => Math.abs(v) <= bound) && Math.max(...a.data.map(Math.abs)) > bound * 0.7);
  randomiseAdapters(lora, new Rng(22));
  const ad = lora.adapters[3];
  const W0 = Float32Array.from(ad.base.data);
  lora.merge();
  const [O, I] = ad.base.shape, R = 4;
  const want = new Float32Array(O * I);
  for (let o = 0; o < O; o++)
    for (let i = 0; i < I; i++) {
      let d = 0;
      for (let r = 0; r < R; r++) d += ad.B.data[o * R + r] * ad.A.data[r * I + i];
      want[o * I + i] = W0[o * I + i] + ad.scale * d;
    }
  assertClose(ad.base.data, want, 1e-6, 1e-6, 'merged down_proj');
  assert.throws(() => lora.merge(), /already merged/);
  lora.unmerge();
  assert.throws(() => lora.unmerge(), /not merged/);
  assert.deepEqual(ad.base.data, W0);
  // mergeAndUnload: the model keeps the merged weights and no adapters.
  const ids = randIds(new Rng(23), 4, cfg.vocabSize);
  const adapted = logits(m, ids, 1, 4);
  lora.mergeAndUnload();
  assert.equal(m.projection, null);
  assertClose(logits(m, ids, 1, 4), adapted, 1e-5, 1e-5, 'merge and unload');
  assert.throws(() => lora.merge(), /detached/);
});

test('bad configs are refused with what was wrong', () => {
  const m = new Transformer(tinyConfig('llama'), new Rng(30));
  const bad = (cfg: object, re: RegExp) => assert.throws(() => attachLora(m, { r: 2, alpha: 4, targetModules: ['q_proj'], ...cfg }), re);
  bad({ targetModules: ['q_proj', 'lm_head'] }, /unknown target module "lm_head": LoRA can adapt q_proj, k_proj/);
  bad({ targetModules: [] }, /non-empty list/);
  bad({ r: 0 }, /r must be a positive integer, got 0/);
  bad({ r: 1.5 }, /r must be a positive integer/);
  bad({ alpha: NaN }, /alpha must be a finite number/);
  bad({ layers: [2] }, /layer 2 does not exist \(the model has layers 0..1\)/);
  bad({ dropout: 0.1 }, /dropout 0.1 is not supported/);
  bad({ targetModules: ['q_proj', 'q_proj'] }, /repeats a module/);
  assert.ok([...m.params.values()].every((p) => p.requiresGrad), 'a refused config leaves the model alone');
  const lora = attachLora(m, { r: 2, alpha: 4, targetModules: ['q_proj'], dropout: 0 });
  assert.throws(() => attachLora(m, { r: 2, alpha: 4, targetModules: ['q_proj'] }), /already has adapters attached/);
  assert.ok(lora.adapters[0].A.data.every((v) => v === 0), 'no rng: zeros, for loading');
  lora.detach();
  assert.throws(() => lora.detach(), /detached/);
});

test('module names round-trip', () => {
  for (const t of LORA_TARGETS) assert.deepEqual(parseLoraModuleName(loraModuleName(3, t)), { layer: 3, target: t });
  assert.equal(parseLoraModuleName('model.layers.0.mlp.q_proj'), null);
  assert.equal(parseLoraModuleName('model.layers.0.self_attn.rotary_emb'), null);
  assert.equal(parseLoraModuleName('lm_head'), null);
});

test('the KV-cache Decoder over the model\'s own buffers (as LocalBackend builds it) samples the adapted model once merged', () => {
  for (const arch of ['llama', 'qwen2', 'qwen3'] as const) {
    const cfg = tinyConfig(arch);
    const m = new Transformer(cfg, new Rng(40));
    randomise(m, new Rng(41));
    const decoder = new Decoder(cfg, new Map([...m.params].map(([n, p]) => [n, p.data])), kernels());
    const lora = attachLora(m, { r: 2, alpha: 4, targetModules: ['q_proj', 'v_proj', 'up_proj', 'down_proj'] }, new Rng(42));
    randomiseAdapters(lora, new Rng(43));
    const [B, T] = [2, 5];
    const ids = randIds(new Rng(44), B * T, cfg.vocabSize);
    const adapted = logits(m, ids, B, T);
    const rows = Array.from({ length: B * T }, (_, i) => i);
    const unmergedDecode = Float32Array.from(decoder.forward(ids, T, decoder.newCache(B, T), rows));
    assert.ok(unmergedDecode.some((v, i) => Math.abs(v - adapted[i]) > 1e-3), 'unmerged: the decoder sees the base weights only');
    lora.merge();
    assertClose(decoder.forward(ids, T, decoder.newCache(B, T), rows), adapted, 1e-4, 1e-4, `${arch} decoder on merged weights`);
    lora.unmerge();
    lora.detach();
  }
});

/** One LoRA training step (all targets) on kernel set k: logits, adapter gradients, adapters after AdamW. */
function loraStep(k: Kernels) {
  setKernels(k);
  try {
    const cfg = tinyConfig('qwen2', { hiddenSize: 16, intermediateSize: 24, headDim: 8, vocabSize: 40 });
    const m = new Transformer(cfg, new Rng(50));
    const lora = attachLora(m, { r: 4, alpha: 8, targetModules: ALL }, new Rng(51));
    randomiseAdapters(lora, new Rng(52), 0.1);
    const [B, T] = [2, 9];
    const out = m.forward(randIds(new Rng(53), B * T, cfg.vocabSize), B, T);
    const logitsCopy = Float32Array.from(out.data);
    crossEntropy(out, randIds(new Rng(54), B * T, cfg.vocabSize)).backward();
    const grads = [...lora.parameters().values()].map((p) => Float32Array.from(p.grad!));
    new AdamW(lora.parameters(), { lr: 1e-2 }).step();
    return { logits: logitsCopy, grads, after: [...lora.parameters().values()].map((p) => Float32Array.from(p.data)) };
  } finally {
    setKernels(jsKernels);
  }
}

const native = tryNativeKernels() ?? jsKernels;
test(`a LoRA training step gives the same results on the ${native.name} and js kernels${native === jsKernels ? ` (native unavailable: ${nativeError()?.split('\n')[0]})` : ''}`, () => {
  const a = loraStep(jsKernels), b = loraStep(native);
  assertClose(b.logits, a.logits, 1e-4, 1e-5, 'logits');
  a.grads.forEach((g, i) => assertClose(b.grads[i], g, 1e-3, 1e-5, `grad ${i}`));
  // AdamW's first step is lr * g / (|g| + eps): near-zero gradients amplify kernel rounding, hence lr / 100.
  a.after.forEach((w, i) => assertClose(b.after[i], w, 1e-4, 1e-4, `adapter ${i} after AdamW`));
});
