#!/usr/bin/python3
"""Build the tiny Hugging Face model folders and reference logits used by test/models/.

Run with Debian's torch:  /usr/bin/python3 scripts/make_fixtures.py
Needs only torch (no transformers, no safetensors package): the safetensors writer, the
tokenizer files and the forward pass are written out here, following the math of
transformers' modeling_llama.py / modeling_qwen2.py / modeling_qwen3.py (eager attention,
float32): RMSNorm computed in float32 then multiplied by its weight, rotate_half RoPE, GQA by
repeating each kv head for consecutive query heads, causal softmax attention, SwiGLU MLP, and
for Qwen3 an RMSNorm over each head of q and k before RoPE.

Output, under test/fixtures/models/:
  tiny-llama/          Llama, vocab 96, character tokenizer (char_tokenizer.json + tokenizer.json), untied
  tiny-llama-bf16/     the same weights stored as BF16
  tiny-llama-sharded/  the same weights in 3 shards + model.safetensors.index.json
  tiny-qwen3/          Qwen3: explicit head_dim 16 (!= hidden/heads), q/k norms, tied embeddings,
                       byte-level BPE tokenizer laid out like Qwen's (NFC, regex Split, ByteLevel)
                       with a ChatML chat template
  tiny-qwen2/          Qwen2: q/k/v biases, untied, same byte-level BPE tokenizer
  <name>.logits.json / <name>.logits.bin   input ids and float32 logits [batch, seq, vocab]
  dtypes/{f32,f16,bf16}.safetensors       edge-case values converted by torch (bit patterns to match)
  bpe-probes.json      texts and the ids this script's own BPE gives them (cross-checks tokenizers.js)
The script is deterministic (fixed seeds), so re-running it rewrites identical files.
"""
import json
import math
import os
import re
import struct

import torch

torch.set_num_threads(1)
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'models')


# ---------------------------------------------------------------- files

def write_bytes(path, data):
    """Atomic: temp file then rename, so an interrupted run never leaves a torn fixture."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + '.tmp'
    with open(tmp, 'wb') as f:
        f.write(data)
    os.replace(tmp, path)


def write_json(path, obj):
    write_bytes(path, (json.dumps(obj, indent=2, ensure_ascii=False) + '\n').encode('utf-8'))


def tensor_bytes(t, dtype):
    t = t.contiguous()
    if dtype == 'F32':
        return t.to(torch.float32).numpy().tobytes()
    if dtype == 'F16':
        return t.to(torch.float16).numpy().tobytes()
    if dtype == 'BF16':
        # numpy has no bfloat16: reinterpret the 2-byte values as int16 (little-endian host).
        return t.to(torch.bfloat16).view(torch.int16).numpy().tobytes()
    raise ValueError(dtype)


def safetensors_bytes(tensors, dtype):
    """The safetensors layout: u64 LE header length, JSON header padded to 8 bytes, raw data."""
    header = {'__metadata__': {'format': 'pt'}}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        b = tensor_bytes(tensors[name], dtype)
        header[name] = {'dtype': dtype, 'shape': list(tensors[name].shape), 'data_offsets': [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header, separators=(',', ':')).encode('utf-8')
    h += b' ' * ((8 - len(h) % 8) % 8)
    return struct.pack('<Q', len(h)) + h + b''.join(blobs)


def write_safetensors(path, tensors, dtype='F32'):
    write_bytes(path, safetensors_bytes(tensors, dtype))


# ---------------------------------------------------------------- tokenizers

CHAR_SPECIALS = ['<pad>', '<bos>', '<eos>', '<unk>']


def added_token(i, content):
    return {'id': i, 'content': content, 'single_word': False, 'lstrip': False, 'rstrip': False,
            'normalized': False, 'special': True}


def char_tokenizer_files(alphabet, chat_template):
    """Same layout as src/models/char-tokenizer.ts: specials 0..3, then the alphabet."""
    vocab = {t: i for i, t in enumerate(CHAR_SPECIALS + list(alphabet))}
    tok = {
        'version': '1.0', 'truncation': None, 'padding': None,
        'added_tokens': [added_token(i, t) for i, t in enumerate(CHAR_SPECIALS)],
        'normalizer': None, 'pre_tokenizer': None, 'post_processor': None,
        'decoder': {'type': 'Fuse'},
        'model': {'type': 'BPE', 'dropout': None, 'unk_token': '<unk>', 'continuing_subword_prefix': None,
                  'end_of_word_suffix': None, 'fuse_unk': False, 'byte_fallback': False, 'ignore_merges': False,
                  'vocab': vocab, 'merges': []},
    }
    cfg = {
        'tokenizer_class': 'PreTrainedTokenizerFast', 'bos_token': '<bos>', 'eos_token': '<eos>',
        'pad_token': '<pad>', 'unk_token': '<unk>', 'add_bos_token': False, 'add_eos_token': False,
        'clean_up_tokenization_spaces': False, 'model_max_length': 1000000,
        'added_tokens_decoder': {str(i): {k: v for k, v in added_token(i, t).items() if k != 'id'}
                                 for i, t in enumerate(CHAR_SPECIALS)},
        'chat_template': chat_template,
    }
    char = {'type': 'distil-char-tokenizer', 'version': 1, 'specialTokens': CHAR_SPECIALS,
            'alphabet': list(alphabet), 'unknown': 'error'}
    return tok, cfg, char


def bytes_to_unicode():
    """GPT-2's reversible byte -> printable character map used by ByteLevel tokenizers."""
    keep = list(range(ord('!'), ord('~') + 1)) + list(range(ord('¡'), ord('¬') + 1)) + list(range(ord('®'), ord('ÿ') + 1))
    chars = keep[:]
    n = 0
    for b in range(256):
        if b not in keep:
            keep.append(b)
            chars.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(keep, chars)}


B2U = bytes_to_unicode()
# Qwen2's pre-tokenizer regex, as in its tokenizer.json (Split, Isolated), and the same regex
# restricted to ASCII letters and digits for Python's re (enough for the ASCII probe texts).
QWEN_SPLIT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
              r"|\s*[\r\n]+|\s+(?!\S)|\s+")
PRETOK = re.compile(r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\nA-Za-z0-9]?[A-Za-z]+|[0-9]| ?[^\sA-Za-z0-9]+[\r\n]*"
                    r"|\s*[\r\n]+|\s+(?!\S)|\s+")


def byte_words(text):
    return [''.join(B2U[b] for b in w.encode('utf-8')) for w in PRETOK.findall(text)]


def train_bpe(corpus, n_merges):
    """Plain BPE training: repeatedly merge the most frequent adjacent pair (ties: smallest pair)."""
    words = {}
    for w in byte_words(corpus):
        words[tuple(w)] = words.get(tuple(w), 0) + 1
    merges = []
    for _ in range(n_merges):
        counts = {}
        for w, c in words.items():
            for a, b in zip(w, w[1:]):
                counts[(a, b)] = counts.get((a, b), 0) + c
        if not counts:
            break
        best = min(counts, key=lambda p: (-counts[p], p))
        merges.append(best)
        new = {}
        for w, c in words.items():
            out, i = [], 0
            while i < len(w):
                if i + 1 < len(w) and (w[i], w[i + 1]) == best:
                    out.append(w[i] + w[i + 1])
                    i += 2
                else:
                    out.append(w[i])
                    i += 1
            new[tuple(out)] = new.get(tuple(out), 0) + c
        words = new
    return merges


def apply_bpe(word, ranks):
    symbols = list(word)
    while len(symbols) > 1:
        pairs = [(ranks.get((a, b), math.inf), i) for i, (a, b) in enumerate(zip(symbols, symbols[1:]))]
        rank, _ = min(pairs)
        if rank == math.inf:
            break
        out, i = [], 0
        while i < len(symbols):
            if i + 1 < len(symbols) and ranks.get((symbols[i], symbols[i + 1])) == rank:
                out.append(symbols[i] + symbols[i + 1])
                i += 2
            else:
                out.append(symbols[i])
                i += 1
        symbols = out
    return symbols


QWEN_SPECIALS = ['<|endoftext|>', '<|im_start|>', '<|im_end|>']
CHATML_TEMPLATE = (
    "{%- if messages[0]['role'] != 'system' %}"
    "{{- '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}"
    "{%- endif %}"
    "{%- for message in messages %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)
BPE_CORPUS = (
    "the cat sat on the mat. the dog sat on the log. then the cat ate the rat and the dog ate the cake.\n"
    "12 + 34 = 46. 46 - 12 = 34. the answer is 46. there is the thing that they think.\n"
) * 3


def byte_level_tokenizer():
    merges = train_bpe(BPE_CORPUS, 24)
    vocab = {B2U[b]: b for b in range(256)}
    for a, b in merges:
        vocab[a + b] = len(vocab)
    specials = {t: len(vocab) + i for i, t in enumerate(QWEN_SPECIALS)}
    vocab.update(specials)
    tok = {
        'version': '1.0', 'truncation': None, 'padding': None,
        'added_tokens': [added_token(i, t) for t, i in specials.items()],
        # The layout of Qwen2/Qwen3's tokenizer.json: NFC, regex Split, then ByteLevel without its own regex.
        'normalizer': {'type': 'NFC'},
        'pre_tokenizer': {'type': 'Sequence', 'pretokenizers': [
            {'type': 'Split', 'pattern': {'Regex': QWEN_SPLIT}, 'behavior': 'Isolated', 'invert': False},
            {'type': 'ByteLevel', 'add_prefix_space': False, 'trim_offsets': False, 'use_regex': False}]},
        'post_processor': {'type': 'ByteLevel', 'add_prefix_space': False, 'trim_offsets': False, 'use_regex': False},
        'decoder': {'type': 'ByteLevel', 'add_prefix_space': False, 'trim_offsets': False, 'use_regex': False},
        'model': {'type': 'BPE', 'dropout': None, 'unk_token': None, 'continuing_subword_prefix': '',
                  'end_of_word_suffix': '', 'fuse_unk': False, 'byte_fallback': False, 'ignore_merges': False,
                  'vocab': vocab, 'merges': [[a, b] for a, b in merges]},
    }
    cfg = {
        'add_prefix_space': False, 'bos_token': None, 'eos_token': '<|im_end|>', 'pad_token': '<|endoftext|>',
        'unk_token': None, 'errors': 'replace', 'split_special_tokens': False, 'model_max_length': 32768,
        'tokenizer_class': 'Qwen2Tokenizer', 'clean_up_tokenization_spaces': False,
        'added_tokens_decoder': {str(i): {k: v for k, v in added_token(i, t).items() if k != 'id'} for t, i in specials.items()},
        'chat_template': CHATML_TEMPLATE,
    }
    ranks = {p: i for i, p in enumerate(merges)}
    probes = ['Hello world', 'the cat sat on the mat.', 'then they think 12 + 34 = 46!', '  two  spaces\nand a newline',
              "It's the CAT's (hat)...\n\n  end"]
    probe_ids = [[vocab[s] for w in byte_words(t) for s in apply_bpe(w, ranks)] for t in probes]
    return tok, cfg, specials, {'probes': probes, 'ids': probe_ids}


# ---------------------------------------------------------------- models

def make_weights(c, seed):
    g = torch.Generator().manual_seed(seed)
    H, I, V, hd = c['hidden_size'], c['intermediate_size'], c['vocab_size'], c['head_dim']
    nh, nkv = c['num_attention_heads'], c['num_key_value_heads']

    def lin(out_f, in_f):  # scaled so activations stay O(1) and the logits are far from zero
        return torch.randn(out_f, in_f, generator=g) / math.sqrt(in_f)

    def norm(n):  # weights away from 1 so a missing weight multiply shows in the logits
        return 1.0 + 0.2 * torch.randn(n, generator=g)

    w = {'model.embed_tokens.weight': torch.randn(V, H, generator=g)}
    for i in range(c['num_hidden_layers']):
        p = f'model.layers.{i}.'
        w[p + 'input_layernorm.weight'] = norm(H)
        w[p + 'self_attn.q_proj.weight'] = lin(nh * hd, H)
        w[p + 'self_attn.k_proj.weight'] = lin(nkv * hd, H)
        w[p + 'self_attn.v_proj.weight'] = lin(nkv * hd, H)
        w[p + 'self_attn.o_proj.weight'] = lin(H, nh * hd)
        if c['model_type'] == 'qwen2':
            w[p + 'self_attn.q_proj.bias'] = 0.3 * torch.randn(nh * hd, generator=g)
            w[p + 'self_attn.k_proj.bias'] = 0.3 * torch.randn(nkv * hd, generator=g)
            w[p + 'self_attn.v_proj.bias'] = 0.3 * torch.randn(nkv * hd, generator=g)
        if c['model_type'] == 'qwen3':
            w[p + 'self_attn.q_norm.weight'] = norm(hd)
            w[p + 'self_attn.k_norm.weight'] = norm(hd)
        w[p + 'post_attention_layernorm.weight'] = norm(H)
        w[p + 'mlp.gate_proj.weight'] = lin(I, H)
        w[p + 'mlp.up_proj.weight'] = lin(I, H)
        w[p + 'mlp.down_proj.weight'] = lin(H, I)
    w['model.norm.weight'] = norm(H)
    if not c['tie_word_embeddings']:
        w['lm_head.weight'] = lin(V, H)
    return w


def rms_norm(x, weight, eps):
    """LlamaRMSNorm / Qwen2RMSNorm / Qwen3RMSNorm: normalise in float32, then weight * x."""
    dtype = x.dtype
    x = x.to(torch.float32)
    variance = x.pow(2).mean(-1, keepdim=True)
    x = x * torch.rsqrt(variance + eps)
    return weight * x.to(dtype)


def rotate_half(x):
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def rope_cos_sin(c, seq_len):
    """LlamaRotaryEmbedding (rope_type "default", attention_scaling 1)."""
    dim = c['head_dim']
    inv_freq = 1.0 / (c['rope_theta'] ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))
    position_ids = torch.arange(seq_len)[None, :]
    inv_freq_expanded = inv_freq[None, :, None].float()
    position_ids_expanded = position_ids[:, None, :].float()
    freqs = (inv_freq_expanded @ position_ids_expanded).transpose(1, 2)
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos(), emb.sin()  # [1, seq, head_dim]


def repeat_kv(x, n_rep):
    """[b, kv_heads, s, d] -> [b, kv_heads * n_rep, s, d]; query head h uses kv head h // n_rep."""
    b, nkv, s, d = x.shape
    if n_rep == 1:
        return x
    return x[:, :, None, :, :].expand(b, nkv, n_rep, s, d).reshape(b, nkv * n_rep, s, d)


def forward(c, w, input_ids):
    B, T = input_ids.shape
    nh, nkv, hd, eps = c['num_attention_heads'], c['num_key_value_heads'], c['head_dim'], c['rms_norm_eps']
    h = w['model.embed_tokens.weight'][input_ids]
    cos, sin = rope_cos_sin(c, T)
    cos, sin = cos[:, None], sin[:, None]  # unsqueeze over heads
    mask = torch.full((T, T), float('-inf')).triu(1)
    for i in range(c['num_hidden_layers']):
        p = f'model.layers.{i}.'
        residual = h
        x = rms_norm(h, w[p + 'input_layernorm.weight'], eps)

        def proj(name):
            return torch.nn.functional.linear(x, w[p + f'self_attn.{name}.weight'], w.get(p + f'self_attn.{name}.bias'))

        q = proj('q_proj').view(B, T, nh, hd)
        k = proj('k_proj').view(B, T, nkv, hd)
        v = proj('v_proj').view(B, T, nkv, hd)
        if c['model_type'] == 'qwen3':
            q = rms_norm(q, w[p + 'self_attn.q_norm.weight'], eps)
            k = rms_norm(k, w[p + 'self_attn.k_norm.weight'], eps)
        q, k, v = q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = repeat_kv(k, nh // nkv)
        v = repeat_kv(v, nh // nkv)
        scores = torch.matmul(q, k.transpose(2, 3)) * hd ** -0.5 + mask
        probs = torch.softmax(scores, dim=-1, dtype=torch.float32).to(q.dtype)
        attn = torch.matmul(probs, v).transpose(1, 2).reshape(B, T, nh * hd)
        h = residual + torch.nn.functional.linear(attn, w[p + 'self_attn.o_proj.weight'])
        residual = h
        x = rms_norm(h, w[p + 'post_attention_layernorm.weight'], eps)
        gate = torch.nn.functional.silu(torch.nn.functional.linear(x, w[p + 'mlp.gate_proj.weight']))
        up = torch.nn.functional.linear(x, w[p + 'mlp.up_proj.weight'])
        h = residual + torch.nn.functional.linear(gate * up, w[p + 'mlp.down_proj.weight'])
    h = rms_norm(h, w['model.norm.weight'], eps)
    head = w['model.embed_tokens.weight'] if c['tie_word_embeddings'] else w['lm_head.weight']
    return torch.nn.functional.linear(h, head)


def hf_config(arch, **kw):
    """config.json with the keys transformers writes for each architecture."""
    base = {
        'attention_dropout': 0.0, 'hidden_act': 'silu', 'initializer_range': 0.02, 'rope_scaling': None,
        'torch_dtype': 'float32', 'transformers_version': '4.51.0', 'use_cache': True,
    }
    if arch == 'llama':
        base.update({'architectures': ['LlamaForCausalLM'], 'model_type': 'llama', 'attention_bias': False,
                     'mlp_bias': False, 'pretraining_tp': 1})
    elif arch == 'qwen2':
        base.update({'architectures': ['Qwen2ForCausalLM'], 'model_type': 'qwen2', 'use_sliding_window': False,
                     'sliding_window': None, 'max_window_layers': kw['num_hidden_layers']})
    elif arch == 'qwen3':
        base.update({'architectures': ['Qwen3ForCausalLM'], 'model_type': 'qwen3', 'attention_bias': False,
                     'use_sliding_window': False, 'sliding_window': None, 'max_window_layers': kw['num_hidden_layers']})
    base.update(kw)
    return dict(sorted(base.items()))


def write_logits(name, c, w, input_ids):
    logits = forward(c, w, input_ids).contiguous()
    write_bytes(os.path.join(ROOT, f'{name}.logits.bin'), logits.numpy().astype('<f4').tobytes())
    write_json(os.path.join(ROOT, f'{name}.logits.json'), {
        'model': name, 'input_ids': input_ids.tolist(), 'shape': list(logits.shape), 'dtype': 'float32',
        'note': 'logits of the plain-torch HF forward pass in scripts/make_fixtures.py',
    })
    return logits


def main():
    # Shared inputs: two sequences of 10 tokens (no padding; the causal mask is the only mask).
    g = torch.Generator().manual_seed(7)

    # ---- tiny Llama (SmolLM-style) with the character tokenizer
    alphabet = '\n' + ''.join(chr(c) for c in range(32, 123))  # 92 characters -> vocab 96
    llama = hf_config('llama', vocab_size=96, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2, head_dim=8, rope_theta=10000.0,
                      rms_norm_eps=1e-5, tie_word_embeddings=False, max_position_embeddings=128,
                      bos_token_id=1, eos_token_id=2, pad_token_id=0)
    w_llama = make_weights(llama, seed=1)
    tok, tok_cfg, char = char_tokenizer_files(
        alphabet,
        "{{ bos_token }}{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"
        "{% if add_generation_prompt %}assistant: {% endif %}")
    gen_llama = {'bos_token_id': 1, 'eos_token_id': 2, 'pad_token_id': 0}
    ids = torch.randint(4, 96, (2, 10), generator=g)

    def llama_folder(name, dtype_cfg):
        d = os.path.join(ROOT, name)
        write_json(os.path.join(d, 'config.json'), dict(llama, torch_dtype=dtype_cfg))
        write_json(os.path.join(d, 'tokenizer.json'), tok)
        write_json(os.path.join(d, 'tokenizer_config.json'), tok_cfg)
        write_json(os.path.join(d, 'char_tokenizer.json'), char)
        write_json(os.path.join(d, 'generation_config.json'), gen_llama)
        return d

    d = llama_folder('tiny-llama', 'float32')
    write_safetensors(os.path.join(d, 'model.safetensors'), w_llama)
    write_logits('tiny-llama', llama, w_llama, ids)

    d = llama_folder('tiny-llama-bf16', 'bfloat16')
    write_safetensors(os.path.join(d, 'model.safetensors'), w_llama, 'BF16')
    w_bf16 = {k: v.to(torch.bfloat16).to(torch.float32) for k, v in w_llama.items()}
    write_logits('tiny-llama-bf16', llama, w_bf16, ids)

    d = llama_folder('tiny-llama-sharded', 'float32')
    names = sorted(w_llama)
    groups = [names[0::3], names[1::3], names[2::3]]
    weight_map = {}
    for i, grp in enumerate(groups):
        shard = f'model-{i + 1:05d}-of-{len(groups):05d}.safetensors'
        write_safetensors(os.path.join(d, shard), {n: w_llama[n] for n in grp})
        weight_map.update({n: shard for n in grp})
    total = sum(v.numel() * 4 for v in w_llama.values())
    write_json(os.path.join(d, 'model.safetensors.index.json'),
               {'metadata': {'total_size': total}, 'weight_map': dict(sorted(weight_map.items()))})

    # ---- byte-level BPE tokenizer shared by the Qwen models
    bpe_tok, bpe_cfg, specials, probes = byte_level_tokenizer()
    n_tok = max(bpe_tok['model']['vocab'].values()) + 1
    vocab_q = 288  # padded past the tokenizer, as Qwen pads its embedding
    assert n_tok <= vocab_q, n_tok
    write_json(os.path.join(ROOT, 'bpe-probes.json'), probes)
    gen_qwen = {'bos_token_id': specials['<|endoftext|>'], 'do_sample': True,
                'eos_token_id': [specials['<|im_end|>'], specials['<|endoftext|>']],
                'pad_token_id': specials['<|endoftext|>'], 'temperature': 0.7, 'top_k': 20, 'top_p': 0.8}
    ids_q = torch.randint(0, n_tok, (2, 10), generator=g)

    qwen3 = hf_config('qwen3', vocab_size=vocab_q, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2, head_dim=16, rope_theta=1000000.0,
                      rms_norm_eps=1e-6, tie_word_embeddings=True, max_position_embeddings=256,
                      bos_token_id=specials['<|endoftext|>'], eos_token_id=specials['<|im_end|>'])
    qwen2 = hf_config('qwen2', vocab_size=vocab_q, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2, rope_theta=10000.0,
                      rms_norm_eps=1e-6, tie_word_embeddings=False, max_position_embeddings=256,
                      bos_token_id=specials['<|endoftext|>'], eos_token_id=specials['<|endoftext|>'])
    for name, c, seed in [('tiny-qwen3', qwen3, 3), ('tiny-qwen2', qwen2, 2)]:
        c_full = dict(c, head_dim=c.get('head_dim', c['hidden_size'] // c['num_attention_heads']))
        w = make_weights(c_full, seed)
        d = os.path.join(ROOT, name)
        write_json(os.path.join(d, 'config.json'), c)
        write_json(os.path.join(d, 'tokenizer.json'), bpe_tok)
        write_json(os.path.join(d, 'tokenizer_config.json'), bpe_cfg)
        write_json(os.path.join(d, 'generation_config.json'), gen_qwen)
        write_safetensors(os.path.join(d, 'model.safetensors'), w)
        write_logits(name, c_full, w, ids_q)

    # ---- dtype edge cases, converted by torch: the TS converters must match these bits
    tiny = 2.0 ** -24  # smallest float16 subnormal
    edge = [0.0, -0.0, 1.0, -1.0, 65504.0, 65519.0, 65520.0, 1e6, -1e6, tiny, tiny / 2, tiny * 0.75, tiny * 1.5,
            tiny * 2.5, 6.103515625e-05, 6.097555160522461e-05, 1e-8, 1.0 + 2.0 ** -8, 1.0 + 3 * 2.0 ** -8,
            1.0 + 2.0 ** -11, 1.0 + 3 * 2.0 ** -11, 3.4028234663852886e38, -3.4028234663852886e38, 1e-40, -1e-40,
            1e-45, 3.3895313892515355e38, 3.3961775292304e38, math.inf, -math.inf, math.nan, math.pi, -math.e]
    gen = torch.Generator().manual_seed(11)
    rand = torch.randn(64, generator=gen) * torch.logspace(-9, 6, 64)
    values = torch.cat([torch.tensor(edge, dtype=torch.float32), rand.to(torch.float32)])
    for dt in ['F32', 'F16', 'BF16']:
        write_safetensors(os.path.join(ROOT, 'dtypes', f'{dt.lower()}.safetensors'), {'values': values}, dt)


if __name__ == '__main__':
    main()
