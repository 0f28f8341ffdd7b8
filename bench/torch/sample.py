"""KV-cache sampling and teacher-forced scoring in PyTorch, written the way PyTorch users write
them: the side-by-side reference for distil's inference benchmark.

Two independent implementations, so that the reference is PyTorch at its best rather than one
way of writing it:
  "hf"     -- the structure of Hugging Face's Llama: nn.Module per layer, nn.Linear projections,
              the rotary cos/sin computed once per forward for the positions at hand, keys and
              values concatenated onto the cache every step, repeat_kv for grouped heads.
  "static" -- a minimal nn.Module: fused q|k|v and gate|up nn.Linear layers, a preallocated
              cache written in place, rotary tables for every position made once, grouped
              heads folded into the query rows instead of repeating keys.
Both run under torch.inference_mode(); the LM head sees only the rows that are sampled.

Job (JSON on stdin): {"variant": "hf"|"static", "threads": 1, "config": {...}, "weights": path of
raw float32 tensors concatenated in the order of "names"/"shapes", "measure": [{"key", "kind":
"sample"|"score", "batch", "prompt", "new", "len", "k", "reps"}]}.
Prints one JSON line: {key: median seconds, ..., "threads": n, "variant": name}."""
import json, math, sys, time
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

job = json.load(sys.stdin)
torch.set_num_threads(int(job.get("threads", 1)))
c = job["config"]
D, H, Hkv, Dh = c["hiddenSize"], c["numHeads"], c["numKvHeads"], c["headDim"]
L, V, I, eps, theta = c["numLayers"], c["vocabSize"], c["intermediateSize"], c["rmsNormEps"], c["ropeTheta"]
tied = bool(c["tieWordEmbeddings"])


class RMSNorm(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))


def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


# ---------------------------------------------------------------- "hf": Hugging Face's structure
class HFAttention(nn.Module):
    def __init__(self):
        super().__init__()
        self.q_proj = nn.Linear(D, H * Dh, bias=False)
        self.k_proj = nn.Linear(D, Hkv * Dh, bias=False)
        self.v_proj = nn.Linear(D, Hkv * Dh, bias=False)
        self.o_proj = nn.Linear(H * Dh, D, bias=False)

    def forward(self, x, cos, sin, past, mask):
        B, T, _ = x.shape
        q = self.q_proj(x).view(B, T, H, Dh).transpose(1, 2)
        k = self.k_proj(x).view(B, T, Hkv, Dh).transpose(1, 2)
        v = self.v_proj(x).view(B, T, Hkv, Dh).transpose(1, 2)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        if past is not None:
            k, v = torch.cat([past[0], k], 2), torch.cat([past[1], v], 2)
        present = (k, v)
        if H != Hkv:
            k, v = k.repeat_interleave(H // Hkv, 1), v.repeat_interleave(H // Hkv, 1)
        s = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(Dh)
        if mask is not None:
            s = s + mask
        a = torch.matmul(s.softmax(-1), v).transpose(1, 2).reshape(B, T, H * Dh)
        return self.o_proj(a), present


class HFMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.gate_proj = nn.Linear(D, I, bias=False)
        self.up_proj = nn.Linear(D, I, bias=False)
        self.down_proj = nn.Linear(I, D, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class HFLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.self_attn, self.mlp = HFAttention(), HFMLP()
        self.input_layernorm, self.post_attention_layernorm = RMSNorm(D), RMSNorm(D)

    def forward(self, x, cos, sin, past, mask):
        a, present = self.self_attn(self.input_layernorm(x), cos, sin, past, mask)
        x = x + a
        return x + self.mlp(self.post_attention_layernorm(x)), present


class HFBody(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed_tokens = nn.Embedding(V, D)
        self.layers = nn.ModuleList(HFLayer() for _ in range(L))
        self.norm = RMSNorm(D)
        self.register_buffer("inv_freq", 1.0 / (theta ** (torch.arange(0, Dh, 2, dtype=torch.float32) / Dh)), persistent=False)


class HFLlama(nn.Module):
    def __init__(self):
        super().__init__()
        self.model = HFBody()
        self.lm_head = nn.Linear(D, V, bias=False)

    def forward(self, ids, past, start, last_only):
        B, T = ids.shape
        x = self.model.embed_tokens(ids)
        # Rotary tables once per forward, for these positions (as LlamaRotaryEmbedding does).
        f = torch.outer(torch.arange(start, start + T, dtype=torch.float32), self.model.inv_freq)
        emb = torch.cat((f, f), -1)
        cos, sin = emb.cos()[None, None], emb.sin()[None, None]
        mask = None
        if T > 1:
            mask = torch.full((T, start + T), float("-inf")).triu(start + 1)[None, None]
        present = []
        for i, layer in enumerate(self.model.layers):
            x, p = layer(x, cos, sin, past[i] if past else None, mask)
            present.append(p)
        x = self.model.norm(x)
        return self.lm_head(x[:, -1:] if last_only else x), present

    def generate(self, ids, new_tokens, gen):
        logits, past = self(ids, None, 0, True)
        start = ids.shape[1]
        for t in range(new_tokens):
            tok = torch.multinomial(logits[:, -1].softmax(-1), 1, generator=gen)
            if t == new_tokens - 1:
                break
            logits, past = self(tok, past, start + t, True)


# ---------------------------------------------------------------- "static": a minimal module
class StaticLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.norm1, self.norm2 = RMSNorm(D), RMSNorm(D)
        self.qkv = nn.Linear(D, (H + 2 * Hkv) * Dh, bias=False)
        self.o = nn.Linear(H * Dh, D, bias=False)
        self.gate_up = nn.Linear(D, 2 * I, bias=False)
        self.down = nn.Linear(I, D, bias=False)

    def forward(self, x, cos, sin, kc, vc, start):
        B, T, _ = x.shape
        q, k, v = self.qkv(self.norm1(x)).view(B, T, H + 2 * Hkv, Dh).transpose(1, 2).split([H, Hkv, Hkv], 1)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        kc[:, :, start:start + T] = k
        vc[:, :, start:start + T] = v
        S, G = start + T, H // Hkv
        # Grouped heads as extra query rows: [B, Hkv, G*T, Dh] against [B, Hkv, S, Dh].
        qg = q.reshape(B, Hkv, G * T, Dh)
        s = torch.matmul(qg, kc[:, :, :S].transpose(2, 3)) * (1.0 / math.sqrt(Dh))
        if T > 1:
            s = s.view(B, Hkv, G, T, S).masked_fill(self.causal[:T, :S], float("-inf")).view(B, Hkv, G * T, S)
        a = torch.matmul(s.softmax(-1), vc[:, :, :S]).view(B, H, T, Dh).transpose(1, 2).reshape(B, T, H * Dh)
        x = x + self.o(a)
        g, u = self.gate_up(self.norm2(x)).chunk(2, -1)
        return x + self.down(F.silu(g) * u)


class StaticLlama(nn.Module):
    def __init__(self, max_pos):
        super().__init__()
        self.embed = nn.Embedding(V, D)
        self.layers = nn.ModuleList(StaticLayer() for _ in range(L))
        self.norm = RMSNorm(D)
        self.head = nn.Linear(D, V, bias=False)
        inv = 1.0 / (theta ** (torch.arange(0, Dh, 2, dtype=torch.float32) / Dh))
        f = torch.outer(torch.arange(max_pos, dtype=torch.float32), inv)
        emb = torch.cat((f, f), -1)
        self.cos, self.sin = emb.cos(), emb.sin()
        causal = torch.ones(max_pos, max_pos, dtype=torch.bool).triu(1)
        for layer in self.layers:
            layer.causal = causal

    def load(self, W):
        p = "model.layers.{}."
        with torch.no_grad():
            self.embed.weight.copy_(W["model.embed_tokens.weight"])
            self.norm.weight.copy_(W["model.norm.weight"])
            self.head.weight.copy_(W["model.embed_tokens.weight"] if tied else W["lm_head.weight"])
            for i, l in enumerate(self.layers):
                a = p.format(i)
                l.norm1.weight.copy_(W[a + "input_layernorm.weight"])
                l.norm2.weight.copy_(W[a + "post_attention_layernorm.weight"])
                l.qkv.weight.copy_(torch.cat([W[a + f"self_attn.{n}_proj.weight"] for n in "qkv"]))
                l.o.weight.copy_(W[a + "self_attn.o_proj.weight"])
                l.gate_up.weight.copy_(torch.cat([W[a + "mlp.gate_proj.weight"], W[a + "mlp.up_proj.weight"]]))
                l.down.weight.copy_(W[a + "mlp.down_proj.weight"])

    def forward(self, ids, caches, start, last_only):
        T = ids.shape[1]
        x = self.embed(ids)
        cos, sin = self.cos[start:start + T], self.sin[start:start + T]
        for layer, (kc, vc) in zip(self.layers, caches):
            x = layer(x, cos, sin, kc, vc, start)
        return self.head(self.norm(x[:, -1:] if last_only else x))

    def generate(self, ids, new_tokens, gen):
        B, P = ids.shape
        caches = [(torch.empty(B, Hkv, P + new_tokens, Dh), torch.empty(B, Hkv, P + new_tokens, Dh)) for _ in range(L)]
        logits = self(ids, caches, 0, True)
        for t in range(new_tokens):
            tok = torch.multinomial(logits[:, -1].softmax(-1), 1, generator=gen)
            if t == new_tokens - 1:
                break
            logits = self(tok, caches, P + t, True)


# ---------------------------------------------------------------- loading and measuring
flat = np.fromfile(job["weights"], dtype=np.float32)
W, off = {}, 0
for name, shape in zip(job["names"], job["shapes"]):
    n = int(np.prod(shape))
    W[name] = torch.from_numpy(flat[off:off + n]).view(*shape)
    off += n

variant = job.get("variant", "hf")
max_pos = max(m.get("prompt", 0) + m.get("new", 0) for m in job["measure"])
max_pos = max([max_pos] + [m.get("len", 0) for m in job["measure"]])
if variant == "hf":
    model = HFLlama()
    sd = {k: v for k, v in W.items()}
    if tied:
        sd["lm_head.weight"] = W["model.embed_tokens.weight"]
    model.load_state_dict(sd, strict=True)
elif variant == "static":
    model = StaticLlama(max_pos)
    model.load(W)
else:
    raise SystemExit(f"unknown variant {variant!r} (hf or static)")
del flat, W
model.eval()


def sample(B, prompt_len, new_tokens, gen):
    model.generate(torch.randint(0, V, (B, prompt_len), generator=gen), new_tokens, gen)


def score(B, T, k, gen):
    ids = torch.randint(0, V, (B, T), generator=gen)
    if variant == "hf":
        logits, _ = model(ids, None, 0, False)
    else:
        caches = [(torch.empty(B, Hkv, T, Dh), torch.empty(B, Hkv, T, Dh)) for _ in range(L)]
        logits = model(ids, caches, 0, False)
    lp = logits.log_softmax(-1)
    lp[:, :-1].gather(-1, ids[:, 1:, None])
    lp.topk(k, -1)


def last_logits(ids):
    """Logits after prefilling all but the last token and decoding the last one through the
    cache: checks both the prefill and the cached decode path against distil's decoder."""
    ids = torch.tensor(ids)
    B, T = ids.shape
    if variant == "hf":
        _, past = model(ids[:, :-1], None, 0, True)
        logits, _ = model(ids[:, -1:], past, T - 1, True)
    else:
        caches = [(torch.empty(B, Hkv, T, Dh), torch.empty(B, Hkv, T, Dh)) for _ in range(L)]
        model(ids[:, :-1], caches, 0, True)
        logits = model(ids[:, -1:], caches, T - 1, True)
    return logits[:, -1].flatten().tolist()


out = {"threads": torch.get_num_threads(), "variant": variant}
if "check_ids" in job:
    with torch.inference_mode():
        out["check_logits"] = last_logits(job["check_ids"])
gen = torch.Generator().manual_seed(0)
with torch.inference_mode():
    for m in job["measure"]:
        if m["kind"] == "sample":
            fn = lambda: sample(m["batch"], m["prompt"], m["new"], gen)
            warm = lambda: sample(m["batch"], m["prompt"], 4, gen)  # short: a full warm-up doubles the large model's time
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
