import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { INDEX_FILE, SINGLE_FILE, loadWeights, saveWeights } from '../../src/models/checkpoint.ts';
import { bf16ToF32, f32ToBf16 } from '../../src/models/dtypes.ts';
import { describeTokenizer, loadModelFolder, saveModelFolder } from '../../src/models/folder.ts';
import { HfTokenizer } from '../../src/models/hf-tokenizer.ts';
import { generationConfigToHf, parseGenerationConfig } from '../../src/models/generation-config.ts';
import { readSafetensors, writeSafetensors } from '../../src/models/safetensors.ts';
import type { WeightMap } from '../../src/models/types.ts';
import { REFERENCE_MODEL } from '../../src/nn/config.ts';
import { fixture, tempDir } from './helpers.ts';

/** A writable copy of a fixture folder. */
function copyFixture(name: string): string {
  const dir = join(tempDir(), name);
  cpSync(fixture(name), dir, { recursive: true });
  return dir;
}

const sameWeights = (a: WeightMap, b: WeightMap) => {
  assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort());
  for (const [n, t] of a) {
    assert.deepEqual(b.get(n)!.shape, t.shape, n);
    assert.deepEqual(b.get(n)!.data, t.data, n);
  }
};

test('tiny-llama folder: config, all expected weights, char tokenizer, chat template, generation config', () => {
  const f = loadModelFolder(fixture('tiny-llama'));
  assert.equal(f.config.architecture, 'llama');
  assert.equal(f.weights.size, 2 * 9 + 3);
  assert.deepEqual(f.weights.get('model.layers.1.self_attn.k_proj.weight')!.shape, [16, 32]);
  assert.deepEqual(f.warnings, []);
  assert.equal(f.tokenizer!.kind, 'char', 'char_tokenizer.json takes precedence over tokenizer.json');
  assert.equal(f.tokenizer!.vocabSize, 96);
  assert.equal(f.tokenizer!.decode(f.tokenizer!.encode('Hello, world!\n')), 'Hello, world!\n');
  assert.equal(f.chatTemplate!.apply([{ role: 'user', content: 'hi' }], { addGenerationPrompt: true }), '<bos>user: hi\nassistant: ');
  assert.deepEqual(f.generation.eosIds, [2]);
  assert.equal(f.torchDtype, 'float32');
});

test('two tokenizers in one folder: the loaded one is named, and a broken or different twin is refused', () => {
  const f = loadModelFolder(fixture('tiny-llama'));
  assert.equal(f.tokenizerFile, 'char_tokenizer.json');
  assert.match(describeTokenizer(f), /tokenizer: .*tiny-llama\/char_tokenizer\.json \(char, 96 ids\) \(tokenizer\.json beside it agrees\)$/);
  const q3 = loadModelFolder(fixture('tiny-qwen3'));
  assert.equal(q3.tokenizerFile, 'tokenizer.json');
  // Garbage tokenizer.json beside a valid char_tokenizer.json.
  const garbage = copyFixture('tiny-llama');
  writeFileSync(join(garbage, 'tokenizer.json'), '{"this is": not json');
  assert.throws(() => loadModelFolder(garbage), (e: Error) =>
    /two tokenizers and tokenizer\.json is broken/.test(e.message) && /delete the wrong one/.test(e.message) && e.message.includes(garbage));
  // A valid tokenizer.json that maps ids to other characters.
  const swapped = copyFixture('tiny-llama');
  const tj = JSON.parse(readFileSync(join(swapped, 'tokenizer.json'), 'utf8'));
  const vocab = tj.model.vocab as Record<string, number>;
  [vocab.a, vocab.b] = [vocab.b, vocab.a];
  writeFileSync(join(swapped, 'tokenizer.json'), JSON.stringify(tj));
  assert.throws(() => loadModelFolder(swapped), /char_tokenizer\.json and tokenizer\.json disagree \(the tokenizers differ \(2 token id\(s\) map to different tokens/);
});

test('generation_config.json stop_strings: a string or a list, kept when saved, refused when malformed', () => {
  assert.deepEqual(parseGenerationConfig({ eos_token_id: 2, stop_strings: '\nQ: ' }, 'g.json').stopStrings, ['\nQ: ']);
  const g = parseGenerationConfig({ eos_token_id: 2, stop_strings: ['\nQ: ', '\nFeedback:'] }, 'g.json');
  assert.deepEqual(g.stopStrings, ['\nQ: ', '\nFeedback:']);
  assert.deepEqual(generationConfigToHf(g).stop_strings, ['\nQ: ', '\nFeedback:']);
  assert.equal(parseGenerationConfig({ eos_token_id: 2 }, 'g.json').stopStrings, undefined);
  assert.throws(() => parseGenerationConfig({ stop_strings: ['', 3] }, 'x/generation_config.json'), /x\/generation_config\.json: "stop_strings" must be a non-empty string or a list of them/);
});

test('tiny-qwen3 and tiny-qwen2 folders: HF tokenizer, several eos ids and sampling defaults, weights per architecture', () => {
  const q3 = loadModelFolder(fixture('tiny-qwen3'));
  assert.equal(q3.tokenizer!.kind, 'hf');
  assert.equal(q3.tokenizer!.eosId, 282);
  assert.equal(q3.tokenizer!.bosId, undefined, 'config.json names bos_token_id 280, but the tokenizer has no bos_token');
  assert.deepEqual(q3.generation, { eosIds: [282, 280], bosId: 280, padId: 280, doSample: true, temperature: 0.7, topP: 0.8, topK: 20 });
  assert.ok(q3.weights.has('model.layers.0.self_attn.q_norm.weight'));
  assert.ok(!q3.weights.has('lm_head.weight'), 'tied: no lm_head');
  assert.deepEqual(q3.weights.get('model.layers.0.self_attn.q_proj.weight')!.shape, [64, 32], 'heads * explicit head_dim');
  assert.match(q3.chatTemplate!.apply([{ role: 'user', content: 'x' }]), /^<\|im_start\|>system\n/);
  const q2 = loadModelFolder(fixture('tiny-qwen2'));
  assert.deepEqual(q2.weights.get('model.layers.1.self_attn.k_proj.bias')!.shape, [16]);
  assert.ok(q2.weights.has('lm_head.weight'));
});

test('BF16 folder: each weight equals the F32 weight rounded to bfloat16', () => {
  const f32 = loadModelFolder(fixture('tiny-llama')).weights;
  const bf = loadModelFolder(fixture('tiny-llama-bf16'));
  assert.equal(bf.torchDtype, 'bfloat16');
  for (const [name, t] of f32) {
    const b = bf.weights.get(name)!.data;
    for (let i = 0; i < t.data.length; i++) assert.equal(b[i], bf16ToF32(f32ToBf16(t.data[i])), `${name}[${i}]`);
  }
});

test('sharded folder loads the same weights as the single-file one', () => {
  const loaded = loadWeights(fixture('tiny-llama-sharded'));
  assert.equal(new Set(loaded.sources.values()).size, 3);
  sameWeights(loadModelFolder(fixture('tiny-llama-sharded')).weights, loadModelFolder(fixture('tiny-llama')).weights);
});

test('bad sharded indexes: missing shard file, tensor absent from its shard', () => {
  const dir = copyFixture('tiny-llama-sharded');
  const indexPath = join(dir, INDEX_FILE);
  const index = JSON.parse(readFileSync(indexPath, 'utf8'));
  index.weight_map['model.norm.weight'] = 'model-00009-of-00009.safetensors';
  writeFileSync(indexPath, JSON.stringify(index));
  assert.throws(() => loadModelFolder(dir), /lists shard model-00009-of-00009\.safetensors \(holding e\.g\. tensor "model\.norm\.weight"\).*does not exist/);
  index.weight_map['model.norm.weight'] = 'model-00001-of-00003.safetensors';
  const owner = Object.entries(index.weight_map as Record<string, string>).find(([, s]) => s !== 'model-00001-of-00003.safetensors');
  index.weight_map[owner![0]] = 'model-00001-of-00003.safetensors';
  writeFileSync(indexPath, JSON.stringify(index));
  assert.throws(() => loadModelFolder(dir), (e: Error) => e.message.includes(`tensor "${owner![0]}" is in model-00001-of-00003.safetensors`) && e.message.includes('does not contain it'));
  writeFileSync(indexPath, '{"weight_map": ');
  assert.throws(() => loadModelFolder(dir), /model\.safetensors\.index\.json is not valid JSON/);
});

test('missing tensor, wrong shape and truncated weights are errors naming the file and the tensor', () => {
  const dir = copyFixture('tiny-llama');
  const file = join(dir, SINGLE_FILE);
  const { tensors } = readSafetensors(file);
  const missing = new Map(tensors);
  missing.delete('model.layers.1.mlp.up_proj.weight');
  writeSafetensors(file, missing);
  assert.throws(() => loadModelFolder(dir), (e: Error) => {
    assert.ok(e.message.includes(file), e.message);
    assert.match(e.message, /missing tensor "model\.layers\.1\.mlp\.up_proj\.weight" \(expected shape \[64,32\]/);
    return true;
  });
  writeSafetensors(file, tensors);
  const cfgPath = join(dir, 'config.json');
  const cfg = JSON.parse(readFileSync(cfgPath, 'utf8'));
  writeFileSync(cfgPath, JSON.stringify({ ...cfg, num_key_value_heads: 4 }));
  assert.throws(() => loadModelFolder(dir), (e: Error) => {
    assert.ok(e.message.includes(file), e.message);
    assert.match(e.message, /tensor "model\.layers\.0\.self_attn\.k_proj\.weight" has shape \[16,32\] but .*config\.json implies \[32,32\]/);
    return true;
  });
  writeFileSync(cfgPath, JSON.stringify(cfg));
  const bytes = readFileSync(file);
  writeFileSync(file, bytes.subarray(0, bytes.length - 100));
  assert.throws(() => loadModelFolder(dir), (e: Error) => e.message.includes(file) && /tensor "[^"]+"/.test(e.message) && /truncated/.test(e.message));
  rmSync(file);
  writeFileSync(join(dir, 'pytorch_model.bin'), '');
  assert.throws(() => loadModelFolder(dir), /no model\.safetensors and no model\.safetensors\.index\.json \(found pytorch_model\.bin: distil reads only safetensors/);
});

test('extra tensors are warnings (and dropped), not errors; an unsupported architecture is an error naming the key', () => {
  const dir = copyFixture('tiny-llama');
  const file = join(dir, SINGLE_FILE);
  const { tensors } = readSafetensors(file);
  tensors.set('model.layers.0.self_attn.rotary_emb.inv_freq', { shape: [4], data: new Float32Array(4) });
  writeSafetensors(file, tensors);
  const f = loadModelFolder(dir);
  assert.equal(f.warnings.length, 1);
  assert.match(f.warnings[0], /ignoring tensor "model\.layers\.0\.self_attn\.rotary_emb\.inv_freq"/);
  assert.ok(!f.weights.has('model.layers.0.self_attn.rotary_emb.inv_freq'));
  const cfgPath = join(dir, 'config.json');
  writeFileSync(cfgPath, JSON.stringify({ ...JSON.parse(readFileSync(cfgPath, 'utf8')), model_type: 'gemma2', architectures: ['Gemma2ForCausalLM'] }));
  assert.throws(() => loadModelFolder(dir), (e: Error) => e.message.includes(cfgPath) && /"model_type" is "gemma2"/.test(e.message));
});

test('folder errors: no path, missing folder, missing config, missing tokenizer, tokenizer larger than the vocabulary', () => {
  assert.throws(() => loadModelFolder(''), /needs the path of a local model folder/);
  const root = tempDir();
  assert.throws(() => loadModelFolder(join(root, 'nope')), /model folder .*nope does not exist/);
  const dir = copyFixture('tiny-qwen2');
  rmSync(join(dir, 'tokenizer.json'));
  assert.throws(() => loadModelFolder(dir), /has no tokenizer\.json/);
  assert.equal(loadModelFolder(dir, { requireTokenizer: false }).tokenizer, undefined);
  const cfgPath = join(dir, 'config.json');
  const cfg = JSON.parse(readFileSync(cfgPath, 'utf8'));
  cpSync(fixture('tiny-qwen2', 'tokenizer.json'), join(dir, 'tokenizer.json'));
  writeFileSync(cfgPath, JSON.stringify({ ...cfg, vocab_size: 100 }));
  assert.throws(() => loadModelFolder(dir, { weights: false }), /the tokenizer has 283 ids but config\.json "vocab_size" is 100/);
  rmSync(cfgPath);
  assert.throws(() => loadModelFolder(dir), /has no config\.json: .*config\.json does not exist/);
});

test('save -> load round trip: F32 with the char tokenizer; HF tooling files are present', () => {
  const src = loadModelFolder(fixture('tiny-llama'));
  const out = join(tempDir(), 'saved');
  const written = saveModelFolder(out, { config: src.config, weights: src.weights, tokenizer: src.tokenizer, chatTemplate: src.chatTemplate!.source });
  assert.deepEqual(written.sort(), ['char_tokenizer.json', 'config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
  assert.deepEqual(readdirSync(join(out, '..')), ['saved'], 'no temporary folder left behind');
  const back = loadModelFolder(out);
  assert.deepEqual(back.config, src.config);
  sameWeights(back.weights, src.weights);
  assert.equal(back.tokenizer!.kind, 'char');
  assert.equal(back.chatTemplate!.source, src.chatTemplate!.source);
  const hf = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
  assert.deepEqual(hf.architectures, ['LlamaForCausalLM']);
  assert.equal(hf.torch_dtype, 'float32');
  // Without char_tokenizer.json the folder still loads through tokenizer.json (how HF tooling sees it).
  rmSync(join(out, 'char_tokenizer.json'));
  const viaHf = loadModelFolder(out);
  assert.equal(viaHf.tokenizer!.kind, 'hf');
  assert.deepEqual(viaHf.tokenizer!.encode('Abc 12!'), src.tokenizer!.encode('Abc 12!'));
});

test('save -> load round trip: BF16 and sharded, Qwen3 with its HF tokenizer; re-saving replaces the old layout', () => {
  const src = loadModelFolder(fixture('tiny-qwen3'));
  const out = join(tempDir(), 'q3');
  saveModelFolder(out, { config: src.config, weights: src.weights, tokenizer: src.tokenizer, generation: src.generation, dtype: 'BF16', maxShardBytes: 30_000 });
  const shards = readdirSync(out).filter((n) => /^model-\d{5}-of-\d{5}\.safetensors$/.test(n));
  assert.ok(shards.length >= 2, `expected several shards, got ${shards}`);
  const back = loadModelFolder(out);
  assert.equal(back.torchDtype, 'bfloat16');
  assert.deepEqual(back.generation, src.generation);
  assert.equal(back.tokenizer!.kind, 'hf');
  assert.equal(back.tokenizer!.eosId, src.tokenizer!.eosId);
  for (const [name, t] of src.weights) {
    const b = back.weights.get(name)!.data;
    for (let i = 0; i < t.data.length; i++) assert.equal(b[i], bf16ToF32(f32ToBf16(t.data[i])), name);
  }
  // Save again in place as a single F32 file: the stale shards and index must go.
  saveModelFolder(out, { config: src.config, weights: src.weights, tokenizer: src.tokenizer });
  assert.ok(existsSync(join(out, SINGLE_FILE)) && !existsSync(join(out, INDEX_FILE)));
  assert.deepEqual(readdirSync(out).filter((n) => n.startsWith('model-')), []);
  sameWeights(loadModelFolder(out).weights, src.weights);
});

test('saveModelFolder validates before writing anything', () => {
  const src = loadModelFolder(fixture('tiny-llama'));
  const root = tempDir();
  const extra = new Map(src.weights);
  extra.set('model.layers.0.mlp.extra', { shape: [1], data: new Float32Array(1) });
  assert.throws(() => saveModelFolder(join(root, 'a'), { config: src.config, weights: extra }), /"model\.layers\.0\.mlp\.extra" are not parameters of this config/);
  const missing = new Map(src.weights);
  missing.delete('lm_head.weight');
  assert.throws(() => saveModelFolder(join(root, 'b'), { config: src.config, weights: missing }), /missing tensor "lm_head\.weight"/);
  assert.deepEqual(readdirSync(root), []);
  assert.throws(() => saveModelFolder(join(root, 'c'), { config: { ...REFERENCE_MODEL, qkNorm: true }, weights: new Map() }), /missing tensor/);
});

test('saveWeights shards by size and writes an index that loadWeights reads', () => {
  const dir = tempDir();
  const w: WeightMap = new Map();
  for (let i = 0; i < 5; i++) w.set(`t${i}`, { shape: [10], data: Float32Array.from({ length: 10 }, (_, j) => i * 10 + j) });
  const files = saveWeights(dir, w, { maxShardBytes: 100 });
  assert.deepEqual(files, ['model-00001-of-00003.safetensors', 'model-00002-of-00003.safetensors', 'model-00003-of-00003.safetensors', INDEX_FILE]);
  const index = JSON.parse(readFileSync(join(dir, INDEX_FILE), 'utf8'));
  assert.equal(index.metadata.total_size, 200);
  sameWeights(loadWeights(dir).tensors, w);
});

test('an HF tokenizer saved by saveModelFolder keeps its files verbatim', () => {
  const src = loadModelFolder(fixture('tiny-qwen2'));
  const out = join(tempDir(), 'q2');
  saveModelFolder(out, { config: src.config, weights: src.weights, tokenizer: src.tokenizer });
  assert.deepEqual(JSON.parse(readFileSync(join(out, 'tokenizer.json'), 'utf8')), (src.tokenizer as HfTokenizer).tokenizerJson);
});

test('chat_template.jinja takes precedence over tokenizer_config.json; a folder saved without tokenizer keeps its template there', () => {
  const dir = copyFixture('tiny-qwen3');
  writeFileSync(join(dir, 'chat_template.jinja'), '{% for m in messages %}[{{ m.role }}]{{ m.content }}{% endfor %}');
  assert.equal(loadModelFolder(dir, { weights: false }).chatTemplate!.apply([{ role: 'user', content: 'hi' }]), '[user]hi');
  const src = loadModelFolder(fixture('tiny-llama'));
  const out = join(tempDir(), 'no-tok');
  const written = saveModelFolder(out, { config: src.config, weights: src.weights, chatTemplate: '{{ messages[0].content }}!' });
  assert.ok(written.includes('chat_template.jinja'));
  const back = loadModelFolder(out, { requireTokenizer: false });
  assert.equal(back.tokenizer, undefined);
  assert.equal(back.chatTemplate!.apply([{ role: 'user', content: 'hey' }]), 'hey!');
  const tooBig = loadModelFolder(fixture('tiny-qwen3')).tokenizer!;
  assert.throws(() => saveModelFolder(join(tempDir(), 'x'), { config: src.config, weights: src.weights, tokenizer: tooBig }), /tokenizer has 283 ids but the config's vocabSize is 96/);
});

test('a folder without tokenizer_config.json takes the eos id from generation_config.json and has no chat template', () => {
  const dir = copyFixture('tiny-qwen2');
  rmSync(join(dir, 'tokenizer_config.json'));
  const f = loadModelFolder(dir, { weights: false });
  assert.equal(f.tokenizer!.eosId, 282);
  assert.equal(f.tokenizer!.padId, 280, 'pad falls back to generation_config pad_token_id');
  assert.equal(f.chatTemplate, undefined);
});
