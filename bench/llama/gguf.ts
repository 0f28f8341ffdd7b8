/**
 * Writes a Llama-architecture model as a GGUF file (F32) for llama.cpp, from the same weights
 * distil benchmarks: the comparison needs no converter and no downloaded model.
 *
 * Two things differ from distil's (Hugging Face's) layout:
 * - names: llama.cpp's `blk.N.attn_q.weight` etc. instead of `model.layers.N.self_attn.q_proj.weight`;
 * - rotary pairs: Hugging Face rotates dimension i with i + Dh/2 of each head, llama.cpp's
 *   Llama rotates 2i with 2i+1, so the rows of Wq and Wk are reordered within every head
 *   (row 2i <- i, row 2i+1 <- i + Dh/2); q.k is unchanged because both sides move alike.
 * The benchmark checks the result: llama.cpp's logits must reproduce distil's.
 */
import { closeSync, openSync, renameSync, writeSync } from 'node:fs';
import type { ModelConfig } from '../../src/nn/config.ts';

const ALIGN = 32;
const T_UINT32 = 4, T_FLOAT32 = 6, T_STRING = 8;
const GGML_F32 = 0;

class Bytes {
  private parts: Buffer[] = [];
  length = 0;
  push(b: Buffer) { this.parts.push(b); this.length += b.length; }
  u32(v: number) { const b = Buffer.alloc(4); b.writeUInt32LE(v); this.push(b); }
  u64(v: number) { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(v)); this.push(b); }
  f32(v: number) { const b = Buffer.alloc(4); b.writeFloatLE(v); this.push(b); }
  str(s: string) { const b = Buffer.from(s, 'utf8'); this.u64(b.length); this.push(b); }
  concat() { return Buffer.concat(this.parts); }
}

/** Rows of a [heads*Dh, in] projection reordered from half-split to interleaved rotary pairs. */
function interleaveRotaryRows(w: Float32Array, heads: number, dh: number, inDim: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < dh / 2; i++) {
      const base = h * dh;
      out.set(w.subarray((base + i) * inDim, (base + i + 1) * inDim), (base + 2 * i) * inDim);
      out.set(w.subarray((base + i + dh / 2) * inDim, (base + i + dh / 2 + 1) * inDim), (base + 2 * i + 1) * inDim);
    }
  }
  return out;
}

/** llama.cpp's tensors, in order: [gguf name, data, shape as distil stores it ([out, in] or [n])]. */
function ggufTensors(c: ModelConfig, w: Map<string, Float32Array>): [string, Float32Array, number[]][] {
  const d = c.hiddenSize, dh = c.headDim;
  const get = (n: string) => {
    const v = w.get(n);
    if (!v) throw new Error(`gguf: weight ${n} missing`);
    return v;
  };
  const out: [string, Float32Array, number[]][] = [['token_embd.weight', get('model.embed_tokens.weight'), [c.vocabSize, d]]];
  for (let i = 0; i < c.numLayers; i++) {
    const p = `model.layers.${i}.`, q = `blk.${i}.`;
    out.push(
      [q + 'attn_norm.weight', get(p + 'input_layernorm.weight'), [d]],
      [q + 'attn_q.weight', interleaveRotaryRows(get(p + 'self_attn.q_proj.weight'), c.numHeads, dh, d), [c.numHeads * dh, d]],
      [q + 'attn_k.weight', interleaveRotaryRows(get(p + 'self_attn.k_proj.weight'), c.numKvHeads, dh, d), [c.numKvHeads * dh, d]],
      [q + 'attn_v.weight', get(p + 'self_attn.v_proj.weight'), [c.numKvHeads * dh, d]],
      [q + 'attn_output.weight', get(p + 'self_attn.o_proj.weight'), [d, c.numHeads * dh]],
      [q + 'ffn_norm.weight', get(p + 'post_attention_layernorm.weight'), [d]],
      [q + 'ffn_gate.weight', get(p + 'mlp.gate_proj.weight'), [c.intermediateSize, d]],
      [q + 'ffn_up.weight', get(p + 'mlp.up_proj.weight'), [c.intermediateSize, d]],
      [q + 'ffn_down.weight', get(p + 'mlp.down_proj.weight'), [d, c.intermediateSize]],
    );
  }
  out.push(['output_norm.weight', get('model.norm.weight'), [d]]);
  // Tied embeddings: llama.cpp uses token_embd.weight as the output layer when output.weight is absent.
  if (!c.tieWordEmbeddings) out.push(['output.weight', get('lm_head.weight'), [c.vocabSize, d]]);
  return out;
}

/** Writes `file` (through a temporary file and a rename). Plain Llama only (no biases, no q/k norms). */
export function writeLlamaGguf(file: string, c: ModelConfig, w: Map<string, Float32Array>, maxPositions: number): void {
  if (c.attentionBias || c.qkNorm) throw new Error('gguf: only the plain Llama architecture is written');
  const tensors = ggufTensors(c, w);
  const kv: [string, number, number | string][] = [
    ['general.architecture', T_STRING, 'llama'],
    ['general.file_type', T_UINT32, 0],
    ['llama.context_length', T_UINT32, maxPositions],
    ['llama.embedding_length', T_UINT32, c.hiddenSize],
    ['llama.block_count', T_UINT32, c.numLayers],
    ['llama.feed_forward_length', T_UINT32, c.intermediateSize],
    ['llama.attention.head_count', T_UINT32, c.numHeads],
    ['llama.attention.head_count_kv', T_UINT32, c.numKvHeads],
    ['llama.attention.key_length', T_UINT32, c.headDim],
    ['llama.attention.value_length', T_UINT32, c.headDim],
    ['llama.rope.dimension_count', T_UINT32, c.headDim],
    ['llama.rope.freq_base', T_FLOAT32, c.ropeTheta],
    ['llama.attention.layer_norm_rms_epsilon', T_FLOAT32, c.rmsNormEps],
    ['llama.vocab_size', T_UINT32, c.vocabSize],
    // No tokenizer: the benchmark feeds token ids; llama.cpp then makes vocab_size dummy tokens.
    ['tokenizer.ggml.model', T_STRING, 'none'],
  ];
  const head = new Bytes();
  head.push(Buffer.from('GGUF', 'latin1'));
  head.u32(3);
  head.u64(tensors.length);
  head.u64(kv.length);
  for (const [key, type, value] of kv) {
    head.str(key);
    head.u32(type);
    if (type === T_STRING) head.str(value as string);
    else if (type === T_FLOAT32) head.f32(value as number);
    else head.u32(value as number);
  }
  let offset = 0;
  const offsets: number[] = [];
  for (const [name, data, shape] of tensors) {
    head.str(name);
    head.u32(shape.length);
    for (const n of [...shape].reverse()) head.u64(n); // ggml lists the fastest-varying dimension first
    head.u32(GGML_F32);
    head.u64(offset);
    offsets.push(offset);
    offset += Math.ceil((data.length * 4) / ALIGN) * ALIGN;
  }
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    const h = head.concat();
    writeSync(fd, h);
    let pos = h.length;
    const pad = (to: number) => {
      if (to > pos) writeSync(fd, Buffer.alloc(to - pos));
      pos = to;
    };
    pad(Math.ceil(pos / ALIGN) * ALIGN);
    const dataStart = pos;
    tensors.forEach(([, data], i) => {
      pad(dataStart + offsets[i]);
      writeSync(fd, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      pos += data.byteLength;
    });
    pad(dataStart + offset);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}
