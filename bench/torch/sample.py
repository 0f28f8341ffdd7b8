"""KV-cache sampling and scoring in plain PyTorch, the side-by-side reference for distil's
inference benchmark. Reads a JSON job on stdin: the model config, a raw float32 weight file
(tensors concatenated in the order of `names`), and the measurements to take. Prints JSON."""
import json, sys, time, math
import numpy as np
import torch

job = json.load(sys.stdin)
torch.set_num_threads(job.get("threads", 1))
c = job["config"]
flat = np.fromfile(job["weights"], dtype=np.float32)
W, off = {}, 0
for name, shape in zip(job["names"], job["shapes"]):
    n = int(np.prod(shape))
    W[name] = torch.from_numpy(flat[off:off + n]).view(*shape)
    off += n
D, H, Hkv, Dh = c["hiddenSize"], c["numHeads"], c["numKvHeads"], c["headDim"]
L, V, eps, theta = c["numLayers"], c["vocabSize"], c["rmsNormEps"], c["ropeTheta"]
lm_head = W["model.embed_tokens.weight"] if c["tieWordEmbeddings"] else W["lm_head.weight"]
inv_freq = 1.0 / (theta ** (torch.arange(0, Dh, 2, dtype=torch.float32) / Dh))

def rms(x, w):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w

def rope(x, pos):  # x [B, T, h, Dh], pos [T]
    f = torch.outer(pos.float(), inv_freq)
    emb = torch.cat([f, f], -1)
    cos, sin = emb.cos()[None, :, None, :], emb.sin()[None, :, None, :]
    x1, x2 = x[..., : Dh // 2], x[..., Dh // 2:]
    return x * cos + torch.cat([-x2, x1], -1) * sin

def forward(ids, cache, start):
    B, T = ids.shape
    x = W["model.embed_tokens.weight"][ids]
    pos = torch.arange(start, start + T)
    for i in range(L):
        p = f"model.layers.{i}."
        h = rms(x, W[p + "input_layernorm.weight"])
        q = (h @ W[p + "self_attn.q_proj.weight"].T).view(B, T, H, Dh)
        k = (h @ W[p + "self_attn.k_proj.weight"].T).view(B, T, Hkv, Dh)
        v = (h @ W[p + "self_attn.v_proj.weight"].T).view(B, T, Hkv, Dh)
        q, k = rope(q, pos), rope(k, pos)
        if cache[i] is not None:
            k = torch.cat([cache[i][0], k], 1)
            v = torch.cat([cache[i][1], v], 1)
        cache[i] = (k, v)
        kk = k.repeat_interleave(H // Hkv, 2).transpose(1, 2)
        vv = v.repeat_interleave(H // Hkv, 2).transpose(1, 2)
        s = (q.transpose(1, 2) @ kk.transpose(-1, -2)) / math.sqrt(Dh)
        S = kk.shape[2]
        mask = torch.ones(T, S, dtype=torch.bool).tril(S - T)
        s = s.masked_fill(~mask, float("-inf"))
        a = (s.softmax(-1) @ vv).transpose(1, 2).reshape(B, T, H * Dh)
        x = x + a @ W[p + "self_attn.o_proj.weight"].T
        h = rms(x, W[p + "post_attention_layernorm.weight"])
        g = torch.nn.functional.silu(h @ W[p + "mlp.gate_proj.weight"].T) * (h @ W[p + "mlp.up_proj.weight"].T)
        x = x + g @ W[p + "mlp.down_proj.weight"].T
    return rms(x, W["model.norm.weight"])

def generate(B, prompt_len, new_tokens, gen):
    if new_tokens < 1:
        return
    ids = torch.randint(0, V, (B, prompt_len), generator=gen)
    cache = [None] * L
    h = forward(ids, cache, 0)[:, -1]
    for t in range(new_tokens):
        logits = h @ lm_head.T
        tok = torch.multinomial(logits.softmax(-1), 1, generator=gen)
        if t == new_tokens - 1:
            break
        h = forward(tok, cache, prompt_len + t)[:, -1]

def score(B, T, k, gen):
    ids = torch.randint(0, V, (B, T), generator=gen)
    h = forward(ids, [None] * L, 0)
    lp = (h @ lm_head.T).log_softmax(-1)
    lp.gather(-1, ids[:, 1:, None])
    lp.topk(k, -1)

out = {}
gen = torch.Generator().manual_seed(0)
with torch.no_grad():
    for m in job["measure"]:
        if m["kind"] == "sample":
            fn = lambda: generate(m["batch"], m["prompt"], m["new"], gen)
            warm = lambda: generate(m["batch"], m["prompt"], 4, gen)  # short: a full warm-up doubles the large model's time
        else:
            fn = lambda: score(m["batch"], m["len"], m["k"], gen)
            warm = lambda: score(2, m["len"], m["k"], gen)
        warm()
        times = []
        for _ in range(m["reps"]):
            t0 = time.perf_counter(); fn(); times.append(time.perf_counter() - t0)
        times.sort()
        out[m["key"]] = times[len(times) // 2]
print(json.dumps(out))
