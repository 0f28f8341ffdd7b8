/**
 * The tensors a ModelConfig implies, with their shapes, in Hugging Face naming (linear weights
 * [out_features, in_features]); and the check that a loaded checkpoint has exactly those.
 */
import type { ModelConfig } from '../nn/config.ts';
import type { WeightMap } from './types.ts';

export interface ExpectedTensor {
  name: string;
  shape: number[];
  /** Why this shape, in config.json terms, for error messages. */
  why: string;
}

export function expectedTensors(c: ModelConfig): ExpectedTensor[] {
  const H = c.hiddenSize;
  const qDim = c.numHeads * c.headDim;
  const kvDim = c.numKvHeads * c.headDim;
  const I = c.intermediateSize;
  const V = c.vocabSize;
  const q = `num_attention_heads*head_dim=${qDim}`;
  const kv = `num_key_value_heads*head_dim=${kvDim}`;
  const out: ExpectedTensor[] = [{ name: 'model.embed_tokens.weight', shape: [V, H], why: `[vocab_size, hidden_size]` }];
  for (let i = 0; i < c.numLayers; i++) {
    const p = `model.layers.${i}.`;
    out.push(
      { name: `${p}input_layernorm.weight`, shape: [H], why: '[hidden_size]' },
      { name: `${p}self_attn.q_proj.weight`, shape: [qDim, H], why: `[${q}, hidden_size]` },
      { name: `${p}self_attn.k_proj.weight`, shape: [kvDim, H], why: `[${kv}, hidden_size]` },
      { name: `${p}self_attn.v_proj.weight`, shape: [kvDim, H], why: `[${kv}, hidden_size]` },
      { name: `${p}self_attn.o_proj.weight`, shape: [H, qDim], why: `[hidden_size, ${q}]` },
    );
    if (c.attentionBias) {
      out.push(
        { name: `${p}self_attn.q_proj.bias`, shape: [qDim], why: `[${q}]` },
        { name: `${p}self_attn.k_proj.bias`, shape: [kvDim], why: `[${kv}]` },
        { name: `${p}self_attn.v_proj.bias`, shape: [kvDim], why: `[${kv}]` },
      );
    }
    if (c.qkNorm) {
      out.push(
        { name: `${p}self_attn.q_norm.weight`, shape: [c.headDim], why: '[head_dim]' },
        { name: `${p}self_attn.k_norm.weight`, shape: [c.headDim], why: '[head_dim]' },
      );
    }
    out.push(
      { name: `${p}post_attention_layernorm.weight`, shape: [H], why: '[hidden_size]' },
      { name: `${p}mlp.gate_proj.weight`, shape: [I, H], why: '[intermediate_size, hidden_size]' },
      { name: `${p}mlp.up_proj.weight`, shape: [I, H], why: '[intermediate_size, hidden_size]' },
      { name: `${p}mlp.down_proj.weight`, shape: [H, I], why: '[hidden_size, intermediate_size]' },
    );
  }
  out.push({ name: 'model.norm.weight', shape: [H], why: '[hidden_size]' });
  if (!c.tieWordEmbeddings) out.push({ name: 'lm_head.weight', shape: [V, H], why: '[vocab_size, hidden_size] (tie_word_embeddings is false)' });
  return out;
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * Throw if a tensor the config implies is missing or has another shape; return warnings for
 * tensors the config does not use (they are dropped from `weights`, e.g. a stale
 * rotary_emb.inv_freq, or lm_head.weight in a tied model, which transformers also ignores).
 */
export function checkWeights(
  config: ModelConfig,
  weights: WeightMap,
  where: { configFile: string; weightsFile: string; sources?: Map<string, string> },
): string[] {
  const expected = expectedTensors(config);
  const missing = expected.filter((e) => !weights.has(e.name));
  if (missing.length) {
    const first = missing[0];
    const more = missing.length > 1 ? ` (and ${missing.length - 1} more: ${missing.slice(1, 6).map((m) => m.name).join(', ')}${missing.length > 6 ? ', ...' : ''})` : '';
    throw new Error(
      `${where.weightsFile} is missing tensor "${first.name}" (expected shape [${first.shape}] = ${first.why} from ${where.configFile})${more}; ` +
        'the weights do not belong to this config.json, or the checkpoint is incomplete',
    );
  }
  for (const e of expected) {
    const t = weights.get(e.name)!;
    if (!sameShape(t.shape, e.shape)) {
      const file = where.sources?.get(e.name) ?? where.weightsFile;
      throw new Error(
        `${file}: tensor "${e.name}" has shape [${t.shape}] but ${where.configFile} implies [${e.shape}] = ${e.why}; ` +
          'the config and the weights disagree — check that config.json belongs to these weights',
      );
    }
  }
  const known = new Set(expected.map((e) => e.name));
  const warnings: string[] = [];
  for (const name of [...weights.keys()]) {
    if (known.has(name)) continue;
    const why = name === 'lm_head.weight' && config.tieWordEmbeddings ? ' (tie_word_embeddings is true, so the embedding is used instead)' : '';
    warnings.push(`${where.sources?.get(name) ?? where.weightsFile}: ignoring tensor "${name}", which ${where.configFile} does not use${why}`);
    weights.delete(name);
  }
  return warnings;
}
