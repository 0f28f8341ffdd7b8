/**
 * LoRA adapters in PEFT's layout: save/load round trips, the fixture adapters written by
 * scripts/make_lora_fixture.py (plain-torch reference logits), and bad input.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { noGrad } from '../../src/engine/index.ts';
import { loadModelFolder } from '../../src/models/folder.ts';
import { ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE, loadPeftAdapter, peftKey, readPeftConfig, savePeftAdapter } from '../../src/models/peft.ts';
import { readSafetensors, writeSafetensors } from '../../src/models/safetensors.ts';
import { transformerFromWeights } from '../../src/models/transformer-io.ts';
import { attachLora } from '../../src/nn/lora.ts';
import { Transformer } from '../../src/nn/transformer.ts';
import { Rng } from '../../src/util/rng.ts';
import { assertClose } from '../engine/gradcheck.ts';
import { tinyConfig } from '../nn/tiny.ts';
import { fixture, tempDir } from './helpers.ts';

function baseModel(name: string): Transformer {
  const f = loadModelFolder(fixture(name), { requireTokenizer: false });
  return transformerFromWeights(f.config, f.weights, name);
}

function reference(adapter: string): { ids: Int32Array; B: number; T: number; logits: Float32Array; base: string } {
  const meta = JSON.parse(readFileSync(fixture(adapter, 'reference.logits.json'), 'utf8'));
  const bin = readFileSync(fixture(adapter, 'reference.logits.bin'));
  const logits = new Float32Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength));
  return { ids: Int32Array.from(meta.input_ids.flat()), B: meta.shape[0], T: meta.shape[1], logits, base: meta.base };
}

const logitsOf = (m: Transformer, ids: Int32Array, B: number, T: number) => noGrad(() => Float32Array.from(m.forward(ids, B, T).data));

for (const name of ['tiny-llama-lora', 'tiny-qwen2-lora']) {
  test(`${name}: the PEFT fixture loads; unmerged and merged logits match the torch reference to 1e-4`, () => {
    const ref = reference(name);
    const model = baseModel(ref.base);
    const baseLogits = logitsOf(model, ref.ids, ref.B, ref.T);
    const { lora, baseModelNameOrPath, warnings } = loadPeftAdapter(model, fixture(name));
    assert.equal(baseModelNameOrPath, ref.base);
    if (name === 'tiny-llama-lora') {
      assert.equal(lora.adapters.length, 14);
      assert.equal(lora.adapters[0].scale, 2);
      assert.match(warnings.join('\n'), /lora_dropout 0.05 is ignored/);
    } else {
      assert.deepEqual(lora.adapters.map((a) => a.module), ['model.layers.1.self_attn.q_proj', 'model.layers.1.self_attn.v_proj']);
      assertClose([lora.adapters[0].scale], [5 / Math.sqrt(2)], 1e-7, 0, 'rsLoRA scale');
      assert.deepEqual(warnings, []);
    }
    const unmerged = logitsOf(model, ref.ids, ref.B, ref.T);
    assertClose(unmerged, ref.logits, 1e-4, 1e-4, `${name} unmerged`);
    assert.ok(ref.logits.some((v, i) => Math.abs(v - baseLogits[i]) > 0.1), 'the adapter changes the logits');
    lora.merge();
    assertClose(logitsOf(model, ref.ids, ref.B, ref.T), ref.logits, 1e-4, 1e-4, `${name} merged`);
    lora.unmerge();
    assertClose(logitsOf(model, ref.ids, ref.B, ref.T), unmerged, 0, 0, `${name} unmerged again`);
  });
}

test('save -> load round trip (F32 exact, BF16 rounded); the config has PEFT fields', () => {
  const cfg = tinyConfig('qwen2', { numLayers: 3 });
  const m = new Transformer(cfg, new Rng(1));
  const lora = attachLora(m, { r: 3, alpha: 5, targetModules: ['gate_proj', 'q_proj', 'o_proj'], layers: [0, 2], useRslora: true }, new Rng(2));
  const rng = new Rng(3);
  for (const ad of lora.adapters) for (let i = 0; i < ad.B.size; i++) ad.B.data[i] = rng.normal() * 0.3;
  const ids = Int32Array.from([1, 5, 2, 7, 3, 9]);
  const want = logitsOf(m, ids, 2, 3);
  const dir = tempDir();
  const files = savePeftAdapter(join(dir, 'a'), lora, { baseModelNameOrPath: 'org/tiny' });
  assert.deepEqual(files, [join(dir, 'a', ADAPTER_CONFIG_FILE), join(dir, 'a', ADAPTER_WEIGHTS_FILE)]);
  const json = JSON.parse(readFileSync(files[0], 'utf8'));
  assert.equal(json.peft_type, 'LORA');
  assert.equal(json.task_type, 'CAUSAL_LM');
  assert.equal(json.bias, 'none');
  assert.equal(json.r, 3);
  assert.equal(json.lora_alpha, 5);
  assert.equal(json.use_rslora, true);
  assert.equal(json.base_model_name_or_path, 'org/tiny');
  assert.deepEqual(json.target_modules, ['gate_proj', 'o_proj', 'q_proj']);
  assert.deepEqual(json.layers_to_transform, [0, 2]);
  const st = readSafetensors(files[1]).tensors;
  assert.equal(st.size, 12);
  assert.deepEqual(st.get('base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight')!.shape, [3, 8]);
  assert.deepEqual(st.get('base_model.model.model.layers.2.mlp.gate_proj.lora_B.weight')!.shape, [12, 3]);
  assert.deepEqual(st.get('base_model.model.model.layers.0.self_attn.o_proj.lora_B.weight')!.shape, [8, 3]);

  // Onto a fresh copy of the base model.
  lora.detach();
  const base = logitsOf(m, ids, 2, 3);
  const m2 = new Transformer(cfg);
  m2.weights.set(m.weights);
  const loaded = loadPeftAdapter(m2, join(dir, 'a'));
  assert.equal(loaded.baseModelNameOrPath, 'org/tiny');
  assert.deepEqual(loaded.lora.config.layers, [0, 2]);
  assert.deepEqual(loaded.lora.config.targetModules, ['q_proj', 'o_proj', 'gate_proj']);
  loaded.lora.adapters.forEach((ad, i) => {
    assert.deepEqual(ad.A.data, lora.adapters[i].A.data);
    assert.deepEqual(ad.B.data, lora.adapters[i].B.data);
    assert.equal(ad.scale, lora.adapters[i].scale);
  });
  assertClose(logitsOf(m2, ids, 2, 3), want, 0, 0, 'round trip');
  assert.ok(want.some((v, i) => v !== base[i]));
  // Saving merged adapters writes the same adapter values; BF16 storage rounds them.
  loaded.lora.merge();
  savePeftAdapter(join(dir, 'b'), loaded.lora, { dtype: 'BF16' });
  loaded.lora.detach();
  m2.weights.set(m.weights);
  const bf = loadPeftAdapter(m2, join(dir, 'b'));
  assert.equal(bf.baseModelNameOrPath, null);
  assertClose(bf.lora.adapters[0].A.data, lora.adapters[0].A.data, 8e-3, 0, 'bf16 A');
  assertClose(logitsOf(m2, ids, 2, 3), want, 5e-2, 5e-2, 'bf16 round trip');
});

/** A copy of the llama fixture adapter to break. */
function brokenCopy(): string {
  const dir = join(tempDir(), 'adapter');
  cpSync(fixture('tiny-llama-lora'), dir, { recursive: true });
  return dir;
}
function editConfig(dir: string, edit: (c: Record<string, unknown>) => void): void {
  const p = join(dir, ADAPTER_CONFIG_FILE);
  const c = JSON.parse(readFileSync(p, 'utf8'));
  edit(c);
  writeFileSync(p, JSON.stringify(c));
}
function editTensors(dir: string, edit: (t: Map<string, { shape: number[]; data: Float32Array }>) => void): void {
  const p = join(dir, ADAPTER_WEIGHTS_FILE);
  const t = readSafetensors(p).tensors;
  edit(t);
  writeSafetensors(p, t);
}

test('bad adapters give errors naming the file and the tensor or field; the model is left untouched', () => {
  const model = baseModel('tiny-llama');
  const before = Float32Array.from(model.weights);
  const fails = (dir: string, re: RegExp) => {
    assert.throws(() => loadPeftAdapter(model, dir), re);
    assert.equal(model.projection, null);
    assert.ok([...model.params.values()].every((p) => p.requiresGrad));
  };
  const q0A = peftKey('model.layers.0.self_attn.q_proj', 'A');
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

  let d = brokenCopy();
  editConfig(d, (c) => (c.r = 8));
  fails(d, new RegExp(`${esc(join(d, ADAPTER_WEIGHTS_FILE))}: rank mismatch: tensor "base_model\\.model\\.model\\.layers\\.0\\.self_attn\\.q_proj\\.lora_A\\.weight" is \\[4, 32\\] \\(rank 4\\) but .*adapter_config\\.json has r 8`));

  d = brokenCopy();
  editConfig(d, (c) => (c.target_modules = ['q_proj', 'lm_head']));
  fails(d, new RegExp(`${esc(join(d, ADAPTER_CONFIG_FILE))}: unknown target module "lm_head": LoRA can adapt q_proj`));

  d = brokenCopy();
  editConfig(d, (c) => (c.target_modules = 'model\\.embed_tokens'));
  fails(d, /adapter_config\.json: target_modules "model\\\\.embed_tokens" selects none of this model's projections/);

  d = brokenCopy();
  editTensors(d, (t) => t.delete(q0A));
  fails(d, new RegExp(`${esc(join(d, ADAPTER_WEIGHTS_FILE))}: tensor "${esc(q0A)}" is missing; .*adapter_config\\.json targets that module`));

  d = brokenCopy();
  editTensors(d, (t) => {
    const v = t.get(q0A)!;
    t.delete(q0A);
    t.set(q0A.slice('base_model.model.'.length), v);
  });
  fails(d, /is missing; .* \(it has "model\.layers\.0\.self_attn\.q_proj\.lora_A\.weight": PEFT files carry the "base_model\.model\." prefix\)/);

  d = brokenCopy();
  editTensors(d, (t) => t.set('base_model.model.lm_head.lora_A.weight', { shape: [4, 32], data: new Float32Array(128) }));
  fails(d, /adapter_model\.safetensors: unexpected tensor "base_model\.model\.lm_head\.lora_A\.weight"/);

  d = brokenCopy();
  editTensors(d, (t) => t.set(q0A, { shape: [4, 16], data: new Float32Array(64) }));
  fails(d, /tensor "base_model\.model\.model\.layers\.0\.self_attn\.q_proj\.lora_A\.weight" is \[4, 16\] but this model needs \[4, 32\]/);

  d = brokenCopy();
  editConfig(d, (c) => (c.layers_to_transform = [0]));
  fails(d, /unexpected tensor "base_model\.model\.model\.layers\.1\./);

  for (const [edit, re] of [
    [(c: Record<string, unknown>) => (c.peft_type = 'IA3'), /adapter_config\.json: peft_type is "IA3"; only LORA/],
    [(c: Record<string, unknown>) => (c.use_dora = true), /use_dora is true; DoRA is not supported/],
    [(c: Record<string, unknown>) => (c.bias = 'lora_only'), /bias is "lora_only"; only "none"/],
    [(c: Record<string, unknown>) => (c.rank_pattern = { q_proj: 8 }), /rank_pattern \{"q_proj":8\} is not supported/],
    [(c: Record<string, unknown>) => (c.modules_to_save = ['lm_head']), /modules_to_save \["lm_head"\] is not supported/],
    [(c: Record<string, unknown>) => (c.r = 0), /r must be a positive integer, got 0/],
    [(c: Record<string, unknown>) => (c.layers_to_transform = [5]), /layers_to_transform names layer 5 but the model has layers 0..1/],
    [(c: Record<string, unknown>) => (c.target_modules = '(q_proj'), /is not a valid regular expression/],
    [(c: Record<string, unknown>) => (c.target_modules = 'model\\.layers\\.0\\.self_attn\\.q_proj|model\\.layers\\.1\\.mlp\\.up_proj'), /selects different projections in different layers/],
  ] as const) {
    d = brokenCopy();
    editConfig(d, edit);
    fails(d, re);
  }

  d = brokenCopy();
  rmSync(join(d, ADAPTER_WEIGHTS_FILE));
  fails(d, /adapter_model\.safetensors does not exist/);
  d = brokenCopy();
  writeFileSync(join(d, ADAPTER_CONFIG_FILE), '{"r": 4,');
  fails(d, /adapter_config\.json is not valid JSON/);
  fails(join(d, 'nowhere'), /nowhere\/adapter_config\.json does not exist or cannot be read/);
  // An adapter for another base model: tiny-qwen3's q_proj is [64, 32] (head_dim 16), tiny-llama's [32, 32].
  assert.throws(() => loadPeftAdapter(baseModel('tiny-qwen3'), fixture('tiny-llama-lora')), /is \[.*\] but this model needs \[.*\] \(an adapter for another base model\?\)/);
  assert.deepEqual(model.weights, before);
});

test('target_modules forms PEFT accepts: short names, dotted suffixes, a regex, all-linear', () => {
  const d = brokenCopy();
  const targets = (tm: unknown, extra: Record<string, unknown> = {}) => {
    editConfig(d, (c) => Object.assign(c, { target_modules: tm }, extra));
    const c = readPeftConfig(d, 2).lora;
    return [c.targetModules.join(','), c.layers?.join(',') ?? 'all'];
  };
  assert.deepEqual(targets(['v_proj', 'q_proj']), ['q_proj,v_proj', 'all']);
  assert.deepEqual(targets(['self_attn.v_proj', 'mlp.up_proj']), ['v_proj,up_proj', 'all']);
  assert.deepEqual(targets('all-linear'), ['q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj', 'all']);
  assert.deepEqual(targets('.*\\.1\\.self_attn\\.(k_proj|o_proj)'), ['k_proj,o_proj', '1']);
  assert.deepEqual(targets(['down_proj'], { layers_to_transform: 0 }), ['down_proj', '0']);
  assert.throws(() => targets(['mlp']), /unknown target module "mlp"/);
  assert.throws(() => targets(42, { layers_to_transform: null }), /target_modules must be a list of module names or a regex string, got 42/);
});
