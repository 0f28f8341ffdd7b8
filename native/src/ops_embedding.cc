// Embedding lookup and its scatter-add gradient. Ids are validated before any memory is
// touched, so a bad id throws instead of reading or writing outside the table.
#include "ops.h"  // first: it sets the optimisation pragma for the whole file

#include <omp.h>


namespace distil {
namespace ops {
namespace {

// Returns false (with an exception thrown) when some id is outside [0, V).
bool CheckIds(Args& a, const I32View& ids, int64_t V) {
  for (size_t n = 0; n < ids.length; n++) {
    const int32_t id = ids.data[n];
    if (id < 0 || id >= V) {
      a.Fail("ids[" + std::to_string(n) + "] = " + std::to_string(id) + " is outside the table's " +
             std::to_string(V) + " rows");
      return false;
    }
  }
  return a.ok();
}

napi_value Embedding(napi_env env, napi_callback_info info) {
  Args a(env, info, 4, "embedding");
  F32View table = a.F32(0, "table");
  I32View ids = a.I32(1, "ids");
  const int64_t D = a.Dim(2, "D");
  F32View out = a.F32(3, "out");
  a.Check(D > 0, "'D' must be positive");
  const int64_t N = ids.length;
  a.AtLeast(out, Mul(N, D), "out", "ids.length * D");
  if (!a.ok() || !CheckIds(a, ids, static_cast<int64_t>(table.length) / D)) return nullptr;
  const float* t = table.data;
  const int32_t* ip = ids.data;
  float* o = out.data;
  ParallelRange(N, Mul(N, D), [=](int64_t n0, int64_t n1) {
    for (int64_t n = n0; n < n1; n++) std::memcpy(o + n * D, t + static_cast<int64_t>(ip[n]) * D, D * sizeof(float));
  });
  return nullptr;
}

// Threads own disjoint ranges of table rows and each scans all ids, adding only its own
// rows: no two threads write the same row, and every row sums its updates in id order.
napi_value EmbeddingBackward(napi_env env, napi_callback_info info) {
  Args a(env, info, 4, "embeddingBackward");
  F32View dOut = a.F32(0, "dOut");
  I32View ids = a.I32(1, "ids");
  const int64_t D = a.Dim(2, "D");
  F32View dTable = a.F32(3, "dTable");
  a.Check(D > 0, "'D' must be positive");
  const int64_t N = ids.length;
  a.AtLeast(dOut, Mul(N, D), "dOut", "ids.length * D");
  const int64_t V = D > 0 ? static_cast<int64_t>(dTable.length) / D : 0;
  if (!a.ok() || !CheckIds(a, ids, V)) return nullptr;
  const float* g = dOut.data;
  const int32_t* ip = ids.data;
  float* dt = dTable.data;
#pragma omp parallel if (N * D >= kParallelMin)
  {
    const int64_t nt = omp_get_num_threads(), t = omp_get_thread_num();
    const int64_t lo = V * t / nt, hi = V * (t + 1) / nt;
    for (int64_t n = 0; n < N; n++) {
      const int64_t id = ip[n];
      if (id < lo || id >= hi) continue;
      float* row = dt + id * D;
      const float* gr = g + n * D;
#pragma omp simd
      for (int64_t i = 0; i < D; i++) row[i] += gr[i];
    }
  }
  return nullptr;
}

}  // namespace

void RegisterEmbedding(napi_env env, napi_value exports) {
  SetFn(env, exports, "embedding", Embedding);
  SetFn(env, exports, "embeddingBackward", EmbeddingBackward);
}

}  // namespace ops
}  // namespace distil
