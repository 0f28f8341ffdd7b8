"""One AdamW training step of the engine issue's reference model in PyTorch: the side-by-side
reference for bench/sections/train_step.ts. Two independent ways of writing it, chosen by the
job's "variant": "module" (nn.Module layers with nn.Linear, as Hugging Face's Llama, rotary
tables made once per forward) and "functional" (a dict of parameters and F.linear); the
benchmark runs both with 1 and 2 torch threads and keeps the fastest. Same architecture (Llama: RMSNorm, RoPE rotate_half,
causal multi-head attention, SwiGLU, untied lm_head), same shapes, same init scale (normal 0.02,
o_proj/down_proj scaled by 1/sqrt(2*layers)), AdamW lr 1e-3 wd 0.01 on the matrices.

Job (JSON on stdin): {"threads": 1, "B": 8, "T": 128, "warmup": 2, "steps": 10,
  "config": {"vocabSize":512,"hiddenSize":256,"intermediateSize":688,"numLayers":4,"numHeads":4,
             "numKvHeads":4,"headDim":64,"ropeTheta":10000,"rmsNormEps":1e-5}}
Prints one JSON line: median and best ms per step, median CPU ms per step (all threads), peak RSS (MB) of this process, loss.
Written plainly (no fused kernels beyond what torch itself offers), as a user would."""
import json, math, resource, sys, time
import torch
import torch.nn.functional as F


def peak_rss_mb():
    """This process's own peak (VmHWM); getrusage's maxrss can carry the spawning parent's over exec."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

job = json.load(sys.stdin)
torch.set_num_threads(int(job.get("threads", 1)))
torch.manual_seed(0)
c = job["config"]
B, T = int(job.get("B", 8)), int(job.get("T", 128))
d, I, L = c["hiddenSize"], c["intermediateSize"], c["numLayers"]
Hq, Hkv, Dh, V = c["numHeads"], c["numKvHeads"], c["headDim"], c["vocabSize"]
eps, theta = c["rmsNormEps"], c["ropeTheta"]


def normal(*shape, std=0.02):
    return torch.nn.Parameter(torch.randn(*shape) * std)


variant = job.get("variant", "functional")
res = 0.02 / math.sqrt(2 * L)
params = {}
if variant == "functional":
    params = {"embed": normal(V, d), "norm": torch.nn.Parameter(torch.ones(d)), "lm_head": normal(V, d)}
    for i in range(L):
        params.update({
            f"{i}.in": torch.nn.Parameter(torch.ones(d)), f"{i}.post": torch.nn.Parameter(torch.ones(d)),
            f"{i}.q": normal(Hq * Dh, d), f"{i}.k": normal(Hkv * Dh, d), f"{i}.v": normal(Hkv * Dh, d),
            f"{i}.o": normal(d, Hq * Dh, std=res),
            f"{i}.gate": normal(I, d), f"{i}.up": normal(I, d), f"{i}.down": normal(d, I, std=res),
        })

inv_freq = 1.0 / (theta ** (torch.arange(0, Dh, 2).float() / Dh))
ang = torch.outer(torch.arange(T).float(), inv_freq)
cos = torch.cat([ang.cos(), ang.cos()], -1)[None, :, None, :]  # [1, T, 1, Dh]
sin = torch.cat([ang.sin(), ang.sin()], -1)[None, :, None, :]
mask = torch.full((T, T), float("-inf")).triu(1)
sdpa = getattr(F, "scaled_dot_product_attention", None)


def rmsnorm(x, w):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def rope(x):  # x [B, T, H, Dh]
    x1, x2 = x[..., : Dh // 2], x[..., Dh // 2:]
    return x * cos + torch.cat([-x2, x1], -1) * sin


def attention(q, k, v):  # [B, T, H, Dh] -> [B, T, H*Dh]
    q, k, v = (t.transpose(1, 2) for t in (q, k, v))
    if Hkv != Hq:
        k = k.repeat_interleave(Hq // Hkv, 1)
        v = v.repeat_interleave(Hq // Hkv, 1)
    if sdpa is not None:
        o = sdpa(q, k, v, is_causal=True)
    else:  # torch < 2.0
        o = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(Dh) + mask, -1) @ v
    return o.transpose(1, 2).reshape(B, T, Hq * Dh)


def forward(ids):
    p = params
    x = F.embedding(ids, p["embed"])
    for i in range(L):
        h = rmsnorm(x, p[f"{i}.in"])
        q = rope(F.linear(h, p[f"{i}.q"]).view(B, T, Hq, Dh))
        k = rope(F.linear(h, p[f"{i}.k"]).view(B, T, Hkv, Dh))
        v = F.linear(h, p[f"{i}.v"]).view(B, T, Hkv, Dh)
        x = x + F.linear(attention(q, k, v), p[f"{i}.o"])
        h = rmsnorm(x, p[f"{i}.post"])
        x = x + F.linear(F.silu(F.linear(h, p[f"{i}.gate"])) * F.linear(h, p[f"{i}.up"]), p[f"{i}.down"])
    return F.linear(rmsnorm(x, p["norm"]), p["lm_head"])


class RMSNorm(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.ones(d))

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))


class Layer(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.input_layernorm, self.post_attention_layernorm = RMSNorm(), RMSNorm()
        self.q_proj = torch.nn.Linear(d, Hq * Dh, bias=False)
        self.k_proj = torch.nn.Linear(d, Hkv * Dh, bias=False)
        self.v_proj = torch.nn.Linear(d, Hkv * Dh, bias=False)
        self.o_proj = torch.nn.Linear(Hq * Dh, d, bias=False)
        self.gate_proj = torch.nn.Linear(d, I, bias=False)
        self.up_proj = torch.nn.Linear(d, I, bias=False)
        self.down_proj = torch.nn.Linear(I, d, bias=False)
        for m in (self.q_proj, self.k_proj, self.v_proj, self.gate_proj, self.up_proj):
            torch.nn.init.normal_(m.weight, std=0.02)
        for m in (self.o_proj, self.down_proj):
            torch.nn.init.normal_(m.weight, std=res)

    def forward(self, x, cos, sin):
        h = self.input_layernorm(x)
        q = self.q_proj(h).view(B, T, Hq, Dh)
        k = self.k_proj(h).view(B, T, Hkv, Dh)
        rot = lambda t: t * cos + torch.cat([-t[..., Dh // 2:], t[..., : Dh // 2]], -1) * sin
        x = x + self.o_proj(attention(rot(q), rot(k), self.v_proj(h).view(B, T, Hkv, Dh)))
        h = self.post_attention_layernorm(x)
        return x + self.down_proj(F.silu(self.gate_proj(h)) * self.up_proj(h))


class Llama(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embed_tokens = torch.nn.Embedding(V, d)
        torch.nn.init.normal_(self.embed_tokens.weight, std=0.02)
        self.layers = torch.nn.ModuleList(Layer() for _ in range(L))
        self.norm = RMSNorm()
        self.lm_head = torch.nn.Linear(d, V, bias=False)
        torch.nn.init.normal_(self.lm_head.weight, std=0.02)
        self.register_buffer("inv_freq", inv_freq, persistent=False)

    def forward(self, ids):
        x = self.embed_tokens(ids)
        # Rotary tables once per forward, shared by every layer.
        f = torch.outer(torch.arange(T, dtype=torch.float32), self.inv_freq)
        emb = torch.cat([f, f], -1)
        cos, sin = emb.cos()[None, :, None, :], emb.sin()[None, :, None, :]
        for layer in self.layers:
            x = layer(x, cos, sin)
        return self.lm_head(self.norm(x))


if variant == "module":
    model = Llama()
    forward = model
    params = dict(model.named_parameters())
    for k in list(params):  # the functional version's names, for the weight-decay groups below
        if k == "embed_tokens.weight":
            params["embed"] = params.pop(k)
elif variant != "functional":
    raise SystemExit(f"unknown variant {job['variant']!r} (module or functional)")

decay = [v for k, v in params.items() if v.dim() >= 2 and k != "embed"]
no_decay = [v for k, v in params.items() if not (v.dim() >= 2 and k != "embed")]
opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}], lr=1e-3)
ids = torch.randint(0, V, (B, T))
targets = torch.randint(0, V, (B * T,))


def step():
    opt.zero_grad(set_to_none=True)
    loss = F.cross_entropy(forward(ids).view(B * T, V), targets)
    loss.backward()
    opt.step()
    return loss.item()


for _ in range(int(job.get("warmup", 2))):
    step()
times, cpus = [], []
for _ in range(int(job.get("steps", 10))):
    t0, c0 = time.perf_counter(), time.process_time()
    loss = step()
    cpus.append((time.process_time() - c0) * 1e3)
    times.append((time.perf_counter() - t0) * 1e3)
times.sort()
cpus.sort()
print(json.dumps({
    "median_ms": times[len(times) // 2], "best_ms": times[0], "cpu_ms": cpus[len(cpus) // 2], "threads": torch.get_num_threads(),
    "peak_rss_mb": peak_rss_mb(), "loss": loss,
    "torch": torch.__version__, "sdpa": sdpa is not None, "variant": variant,
}))
