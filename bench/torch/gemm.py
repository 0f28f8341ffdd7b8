"""Matrix multiply in PyTorch, the side-by-side reference for distil's GEMM benchmark.

Job (JSON on stdin):
  {"threads": 1, "shapes": [{"M":..,"N":..,"K":..,"batch":1,"transA":false,"transB":false}],
   "reps": 20, "min_seconds": 0.3}
A transposed operand is a transposed view (`a.t()`), so torch hands BLAS the trans flag and no
copy is made, as a backward pass would. Prints one JSON line: GFLOP/s median and best per shape,
and which BLAS library the process actually mapped (torch's config only says "generic")."""
import json, sys, time
import torch

job = json.load(sys.stdin)
torch.set_num_threads(int(job.get("threads", 1)))
reps = int(job.get("reps", 20))
min_seconds = float(job.get("min_seconds", 0.3))


def operand(rows, cols, trans, batch):
    # Stored as (cols x rows) when transposed, then viewed transposed.
    shape = (cols, rows) if trans else (rows, cols)
    x = torch.rand(*((batch,) if batch > 1 else ()), *shape) * 2 - 1
    return x.transpose(-1, -2) if trans else x


def measure(s):
    M, N, K, batch = s["M"], s["N"], s["K"], s.get("batch", 1)
    a = operand(M, K, s.get("transA", False), batch)
    b = operand(K, N, s.get("transB", False), batch)
    out = torch.empty(*((batch,) if batch > 1 else ()), M, N)
    f = (lambda: torch.bmm(a, b, out=out)) if batch > 1 else (lambda: torch.mm(a, b, out=out))
    f(); f()  # warm-up
    times, start = [], time.perf_counter()
    while len(times) < reps or (time.perf_counter() - start < min_seconds and len(times) < 10 * reps):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    times.sort()
    flops = 2.0 * M * N * K * batch
    return {"median_gflops": flops / times[len(times) // 2] / 1e9, "best_gflops": flops / times[0] / 1e9,
            "median_ms": times[len(times) // 2] * 1e3, "reps": len(times)}


def blas_library():
    try:
        with open("/proc/self/maps") as f:
            libs = {line.split()[-1] for line in f if "blas" in line.lower() and "/" in line}
        return ", ".join(sorted(libs)) or "unknown"
    except OSError:
        return "unknown"


results = [measure(s) for s in job["shapes"]]
print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(),
                  "blas": blas_library(), "results": results}))
