#!/usr/bin/python3
"""Build LoRA adapter fixtures in PEFT's on-disk layout, with reference logits from plain torch.

Run with Debian's torch:  /usr/bin/python3 scripts/make_lora_fixture.py
Needs only torch (no peft, no transformers, no safetensors package). Reuses the safetensors
writer and the HF forward pass of scripts/make_fixtures.py, and reads the base models it wrote.

The adapter follows PEFT's LoRA (peft/tuners/lora/layer.py, Linear.forward):
    y = base(x) + lora_B(lora_A(dropout(x))) * scaling,   scaling = lora_alpha / r
                                                           (lora_alpha / sqrt(r) with use_rslora)
saved with get_peft_model_state_dict's names (adapter name removed, PeftModel's prefix kept):
    base_model.model.model.layers.{i}.self_attn.q_proj.lora_A.weight   [r, in_features]
    base_model.model.model.layers.{i}.self_attn.q_proj.lora_B.weight   [out_features, r]
B is random here (PEFT starts it at zero) so the adapter changes the logits.
The reference logits come from the unmerged forward above (torch.nn.functional.linear patched to
add the adapter term to the adapted weights), in eval mode (dropout is the identity); the script
checks that merging W + scaling * B @ A gives the same logits.

Output, under test/fixtures/models/:
  tiny-llama-lora/  on tiny-llama: r 4, alpha 8, all seven projections (a list), F32, lora_dropout 0.05
  tiny-qwen2-lora/  on tiny-qwen2 (q/k/v biases): r 2, alpha 5, use_rslora, target_modules a regex
                    string for q_proj and v_proj, layers_to_transform [1], tensors stored as BF16
  each with adapter_config.json, adapter_model.safetensors, reference.logits.json/.bin
  (input ids, and float32 logits [batch, seq, vocab] of the adapted base model).
Deterministic (fixed seeds): re-running rewrites identical files.
"""
import importlib.util
import json
import math
import os
import re
import struct

import torch

torch.set_num_threads(1)
HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location('make_fixtures', os.path.join(HERE, 'make_fixtures.py'))
mf = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mf)
ROOT = mf.ROOT

TARGETS = {'q_proj': 'self_attn', 'k_proj': 'self_attn', 'v_proj': 'self_attn', 'o_proj': 'self_attn',
           'gate_proj': 'mlp', 'up_proj': 'mlp', 'down_proj': 'mlp'}


def read_safetensors_f32(path):
    with open(path, 'rb') as f:
        data = f.read()
    (n,) = struct.unpack('<Q', data[:8])
    header = json.loads(data[8:8 + n])
    out = {}
    for name, e in header.items():
        if name == '__metadata__':
            continue
        assert e['dtype'] == 'F32', (path, name, e['dtype'])
        b, en = e['data_offsets']
        buf = bytearray(data[8 + n + b:8 + n + en])
        out[name] = torch.frombuffer(buf, dtype=torch.float32).reshape(e['shape']).clone()
    return out


def load_base(name):
    d = os.path.join(ROOT, name)
    with open(os.path.join(d, 'config.json')) as f:
        c = json.load(f)
    c = dict(c, head_dim=c.get('head_dim', c['hidden_size'] // c['num_attention_heads']))
    return c, read_safetensors_f32(os.path.join(d, 'model.safetensors'))


def module_selected(target_modules, module):
    """PEFT's check_target_module_exists: a regex string must fullmatch the module name; a list
    entry must equal it or be a suffix of it after a dot."""
    if isinstance(target_modules, str):
        return re.fullmatch(target_modules, module) is not None
    return any(module == t or module.endswith('.' + t) for t in target_modules)


def peft_config(base_name, r, alpha, target_modules, dropout, rslora, layers):
    """adapter_config.json with the keys PEFT (0.13) writes for a LoRA adapter."""
    return {
        'alpha_pattern': {}, 'auto_mapping': None, 'base_model_name_or_path': base_name, 'bias': 'none',
        'fan_in_fan_out': False, 'inference_mode': True, 'init_lora_weights': True, 'layer_replication': None,
        'layers_pattern': None, 'layers_to_transform': layers, 'loftq_config': {}, 'lora_alpha': alpha,
        'lora_dropout': dropout, 'megatron_config': None, 'megatron_core': 'megatron.core',
        'modules_to_save': None, 'peft_type': 'LORA', 'r': r, 'rank_pattern': {}, 'revision': None,
        'target_modules': target_modules, 'task_type': 'CAUSAL_LM', 'use_dora': False, 'use_rslora': rslora,
    }


def make_adapter(out_name, base_name, seed, r, alpha, target_modules, dropout=0.0, rslora=False, layers=None,
                 dtype='F32'):
    c, w = load_base(base_name)
    g = torch.Generator().manual_seed(seed)
    scaling = alpha / math.sqrt(r) if rslora else alpha / r
    tensors, adapters = {}, {}
    for i in range(c['num_hidden_layers']):
        if layers is not None and i not in layers:
            continue
        for t, block in TARGETS.items():
            module = f'model.layers.{i}.{block}.{t}'
            if not module_selected(target_modules, module):
                continue
            W = w[module + '.weight']
            out_f, in_f = W.shape
            bound = 1 / math.sqrt(in_f)  # kaiming_uniform_(a=sqrt(5)), as PEFT initialises A
            A = (torch.rand(r, in_f, generator=g) * 2 - 1) * bound
            B = torch.randn(out_f, r, generator=g) * (0.6 / math.sqrt(r))
            if dtype == 'BF16':  # the values the file will hold
                A, B = A.to(torch.bfloat16).float(), B.to(torch.bfloat16).float()
            tensors[f'base_model.model.{module}.lora_A.weight'] = A
            tensors[f'base_model.model.{module}.lora_B.weight'] = B
            adapters[module + '.weight'] = (A, B)
    assert adapters, out_name

    with open(os.path.join(ROOT, f'{base_name}.logits.json')) as f:
        input_ids = torch.tensor(json.load(f)['input_ids'])

    # Unmerged forward (PEFT's Linear.forward in eval mode): F.linear patched for the adapted weights.
    by_id = {id(w[name]): ab for name, ab in adapters.items()}
    plain = torch.nn.functional.linear

    def lora_linear(x, W, bias=None):
        y = plain(x, W, bias)
        ab = by_id.get(id(W))
        if ab is not None:
            y = y + plain(plain(x, ab[0]), ab[1]) * scaling
        return y

    torch.nn.functional.linear = lora_linear
    try:
        logits = mf.forward(c, w, input_ids).contiguous()
    finally:
        torch.nn.functional.linear = plain
    base_logits = mf.forward(c, w, input_ids)
    merged = dict(w)
    for name, (A, B) in adapters.items():
        merged[name] = w[name] + scaling * (B @ A)
    merged_logits = mf.forward(c, merged, input_ids)
    diff_merge = (merged_logits - logits).abs().max().item()
    effect = (logits - base_logits).abs().max().item()
    assert diff_merge < 1e-4, diff_merge
    assert effect > 0.1, effect

    d = os.path.join(ROOT, out_name)
    mf.write_json(os.path.join(d, 'adapter_config.json'),
                  peft_config(base_name, r, alpha, target_modules, dropout, rslora, layers))
    mf.write_safetensors(os.path.join(d, 'adapter_model.safetensors'), tensors, dtype)
    mf.write_bytes(os.path.join(d, 'reference.logits.bin'), logits.numpy().astype('<f4').tobytes())
    mf.write_json(os.path.join(d, 'reference.logits.json'), {
        'model': out_name, 'base': base_name, 'input_ids': input_ids.tolist(), 'shape': list(logits.shape),
        'dtype': 'float32', 'max_abs_change_from_base': effect, 'merged_vs_unmerged': diff_merge,
        'note': 'logits of the base model with this LoRA adapter (unmerged PEFT forward) from scripts/make_lora_fixture.py',
    })
    print(f'{out_name}: {len(adapters)} adapters, scaling {scaling:.4f}, max |logit change| {effect:.3f}, '
          f'merged vs unmerged {diff_merge:.2e}')


def main():
    make_adapter('tiny-llama-lora', 'tiny-llama', seed=11, r=4, alpha=8,
                 target_modules=sorted(TARGETS), dropout=0.05)
    make_adapter('tiny-qwen2-lora', 'tiny-qwen2', seed=12, r=2, alpha=5,
                 target_modules=r'.*\.(q_proj|v_proj)', rslora=True, layers=[1], dtype='BF16')


if __name__ == '__main__':
    main()
