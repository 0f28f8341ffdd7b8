import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { configFromHf, configToHf } from '../../src/models/hf-config.ts';
import { REFERENCE_MODEL, type ModelConfig } from '../../src/nn/config.ts';
import { fixture } from './helpers.ts';

const readConfig = (name: string) => JSON.parse(readFileSync(fixture(name, 'config.json'), 'utf8'));

test('tiny-llama config.json maps to ModelConfig', () => {
  assert.deepEqual(configFromHf(readConfig('tiny-llama')), {
    architecture: 'llama', vocabSize: 96, hiddenSize: 32, intermediateSize: 64, numLayers: 2, numHeads: 4, numKvHeads: 2,
    headDim: 8, maxPositions: 128, ropeTheta: 10000, rmsNormEps: 1e-5, tieWordEmbeddings: false, attentionBias: false,
    qkNorm: false, bosTokenId: 1, eosTokenId: 2, padTokenId: 0,
  } satisfies ModelConfig);
});

test('tiny-qwen3: explicit head_dim (not hidden/heads), q/k norm, tied embeddings', () => {
  const c = configFromHf(readConfig('tiny-qwen3'));
  assert.equal(c.architecture, 'qwen3');
  assert.equal(c.headDim, 16);
  assert.equal(c.hiddenSize / c.numHeads, 8);
  assert.equal(c.qkNorm, true);
  assert.equal(c.attentionBias, false);
  assert.equal(c.tieWordEmbeddings, true);
  assert.equal(c.ropeTheta, 1e6);
  assert.equal(c.rmsNormEps, 1e-6);
  assert.equal(c.vocabSize, 288);
  assert.equal(c.padTokenId, undefined);
});

test('tiny-qwen2: q/k/v biases, head_dim derived from hidden/heads', () => {
  const c = configFromHf(readConfig('tiny-qwen2'));
  assert.equal(c.architecture, 'qwen2');
  assert.equal(c.attentionBias, true);
  assert.equal(c.qkNorm, false);
  assert.equal(c.headDim, 8);
  assert.equal(c.numKvHeads, 2);
  assert.equal(c.tieWordEmbeddings, false);
});

test('defaults and alternative spellings: no num_key_value_heads, eos list, transformers 5 rope_parameters, architectures only', () => {
  const base = { model_type: 'llama', vocab_size: 10, hidden_size: 8, intermediate_size: 16, num_hidden_layers: 1, num_attention_heads: 2 };
  const c = configFromHf({ ...base, eos_token_id: [3, 4] });
  assert.equal(c.numKvHeads, 2);
  assert.equal(c.headDim, 4);
  assert.deepEqual(c.eosTokenId, [3, 4]);
  assert.equal(c.ropeTheta, 10000);
  assert.equal(configFromHf({ ...base, rope_parameters: { rope_type: 'default', rope_theta: 500000 } }).ropeTheta, 500000);
  const { model_type: _, ...noType } = base;
  assert.equal(configFromHf({ ...noType, architectures: ['Qwen2ForCausalLM'] }).architecture, 'qwen2');
});

test('unsupported features are errors naming the config key', () => {
  const good = readConfig('tiny-llama');
  const bad = (patch: Record<string, unknown>, re: RegExp) =>
    assert.throws(() => configFromHf({ ...good, ...patch }, 'some/config.json'), (e: Error) => {
      assert.match(e.message, /some\/config\.json/);
      assert.match(e.message, re);
      return true;
    });
  bad({ model_type: 'mistral' }, /"model_type" is "mistral"/);
  bad({ model_type: undefined, architectures: ['GPT2LMHeadModel'] }, /"architectures".*GPT2LMHeadModel/);
  bad({ rope_scaling: { rope_type: 'llama3', factor: 8 } }, /"rope_scaling\.rope_type" is "llama3"/);
  bad({ rope_scaling: { type: 'linear', factor: 2 } }, /"rope_scaling\.type" is "linear"/);
  bad({ rope_parameters: { rope_type: 'yarn', rope_theta: 1e4 } }, /"rope_parameters\.rope_type" is "yarn"/);
  bad({ hidden_act: 'gelu' }, /"hidden_act"/);
  bad({ attention_bias: true }, /"attention_bias".*o_proj/);
  bad({ mlp_bias: true }, /"mlp_bias"/);
  bad({ num_key_value_heads: 3 }, /"num_key_value_heads" \(3\)/);
  bad({ hidden_size: undefined }, /missing required key "hidden_size"/);
  bad({ vocab_size: -5 }, /"vocab_size" must be a positive integer/);
  bad({ model_type: 'qwen2', use_sliding_window: true }, /"use_sliding_window"/);
  bad({ head_dim: 7 }, /odd/);
});

test('configToHf -> configFromHf round-trips each architecture, with the HF keys transformers expects', () => {
  const archs: ModelConfig[] = [
    { ...REFERENCE_MODEL, eosTokenId: 2, bosTokenId: 1, padTokenId: 0 },
    { ...REFERENCE_MODEL, architecture: 'qwen2', attentionBias: true, tieWordEmbeddings: true, eosTokenId: [5, 6] },
    { ...REFERENCE_MODEL, architecture: 'qwen3', qkNorm: true, headDim: 128, numKvHeads: 2, ropeTheta: 1e6 },
  ];
  for (const c of archs) {
    const hf = configToHf(c, 'bfloat16');
    assert.equal(hf.torch_dtype, 'bfloat16');
    assert.ok(Array.isArray(hf.architectures) && /ForCausalLM$/.test((hf.architectures as string[])[0]));
    assert.equal(hf.rope_scaling, null);
    const back = configFromHf(JSON.parse(JSON.stringify(hf)));
    assert.deepEqual(back, { ...c, bosTokenId: c.bosTokenId, eosTokenId: c.eosTokenId, padTokenId: c.padTokenId });
  }
  assert.deepEqual(configToHf(archs[0]).architectures, ['LlamaForCausalLM']);
  assert.equal(configToHf(archs[0]).mlp_bias, false);
  assert.equal(configToHf(archs[2]).head_dim, 128);
});

test('configToHf refuses combinations Hugging Face cannot express', () => {
  assert.throws(() => configToHf({ ...REFERENCE_MODEL, qkNorm: true }), /qkNorm=true.*"llama"/);
  assert.throws(() => configToHf({ ...REFERENCE_MODEL, attentionBias: true }), /attentionBias=true.*"llama"/);
  assert.throws(() => configToHf({ ...REFERENCE_MODEL, architecture: 'qwen2' }), /attentionBias=false.*"qwen2"/);
});
