// Losses over logits [N, V]: hard-target cross-entropy, soft cross-entropy toward a
// teacher's top-k distribution (renorm | tail | full, METHODS.md), and top-k selection.
// Each row is independent, so rows are spread over threads when the batch is large.
#include "ops.h"  // first: it sets the optimisation pragma for the whole file

#include <omp.h>

#include <vector>


namespace distil {
namespace ops {
namespace {

enum Support { kRenorm = 0, kTail = 1, kFull = 2 };

inline float RowMax(const float* z, int64_t V) { return MaxOf(z, V); }

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// log(sum exp(z)) over a row; when `e` is given, also stores exp(z - max) there. `m` is
// the row's maximum when the caller already has it.
inline double RowLse(const float* z, int64_t V, float* e = nullptr, float m = kNaN) {
  if (std::isnan(m)) m = RowMax(z, V);
  if (m == kNegInf) return -INFINITY;
  double s = 0;
  if (e) {
#pragma omp simd reduction(+ : s)
    for (int64_t i = 0; i < V; i++) {
      e[i] = ExpF(z[i] - m);
      s += e[i];
    }
  } else {
#pragma omp simd reduction(+ : s)
    for (int64_t i = 0; i < V; i++) s += ExpF(z[i] - m);
  }
  return m + std::log(s);
}

napi_value CrossEntropy(napi_env env, napi_callback_info info) {
  Args a(env, info, 8, "crossEntropy");
  F32View logits = a.F32(0, "logits");
  const int64_t N = a.Dim(1, "N"), V = a.Dim(2, "V");
  I32View targets = a.I32(3, "targets");
  F32View weights = a.F32(4, "rowWeights"), loss = a.F32(5, "lossOut"), dLogits = a.F32(6, "dLogits");
  const bool acc = a.Flag(7, "accumulate");
  a.AtLeast(logits, Mul(N, V), "logits", "N * V");
  a.AtLeast(targets, N, "targets", "N");
  a.AtLeast(weights, N, "rowWeights", "N");
  a.AtLeast(loss, N, "lossOut", "N");
  a.AtLeast(dLogits, Mul(N, V), "dLogits", "N * V");
  for (int64_t n = 0; a.ok() && n < N; n++) {
    if (targets.data[n] >= V) {
      a.Fail("targets[" + std::to_string(n) + "] = " + std::to_string(targets.data[n]) + " is not below V = " +
             std::to_string(V));
    }
  }
  if (!a.ok()) return nullptr;
  const float* zp = logits.data;
  const int32_t* tp = targets.data;
  const float* wp = weights.data;
  float *lp = loss.data, *gp = dLogits.data;
#pragma omp parallel for if (N * V * kCostExp >= kParallelMin) schedule(static)
  for (int64_t n = 0; n < N; n++) {
    const float* z = zp + n * V;
    float* g = gp + n * V;
    const int32_t t = tp[n];
    if (t < 0) {
      lp[n] = 0;
      if (!acc) std::fill(g, g + V, 0.0f);
      continue;
    }
    const float w = wp[n];
    const float zt = z[t];  // read first: dLogits may be the logits buffer itself
    if (!acc) {
      // exp(z - max) goes straight into the gradient row and is rescaled there.
      const float m = RowMax(z, V);
      const double lse = RowLse(z, V, g, m);
      const float sc = static_cast<float>(w * std::exp(static_cast<double>(m) - lse));
#pragma omp simd
      for (int64_t i = 0; i < V; i++) g[i] *= sc;
      lp[n] = static_cast<float>(lse - zt);
    } else {
      // p = exp(z - m) * exp(m - lse): the float exponent stays exact (m is one of the
      // logits) and the rounding of lse only enters through the double factor.
      const float m = RowMax(z, V);
      const double lse = RowLse(z, V, nullptr, m);
      const float sc = static_cast<float>(w * std::exp(static_cast<double>(m) - lse));
#pragma omp simd
      for (int64_t i = 0; i < V; i++) g[i] += sc * ExpF(z[i] - m);
      lp[n] = static_cast<float>(lse - zt);
    }
    g[t] -= w;
  }
  return nullptr;
}

// One row of soft cross-entropy. `scratch` is a per-thread row of V floats.
void SoftRow(const float* z, int64_t V, const int32_t* ids, const float* q, int64_t k, int support, float w,
             bool acc, float* g, double* lossOut, float* massOut, float* lseOut, float* scratch) {
  double Q = 0;
  for (int64_t i = 0; i < k; i++) Q += q[i];
  const bool needLse = support != kRenorm || massOut || lseOut;
  const float m = RowMax(z, V);
  const double lse = needLse ? RowLse(z, V, nullptr, m) : 0.0;
  if (lseOut) *lseOut = static_cast<float>(lse);
  if (massOut) {
    double P = 0;
    for (int64_t i = 0; i < k; i++) P += std::exp(z[ids[i]] - lse);
    *massOut = static_cast<float>(P);
  }
  double loss = 0;
  if (support == kRenorm) {
    // Both sides renormalised over K: a cross-entropy over the logits restricted to K.
    float mK = kNegInf;
    for (int64_t i = 0; i < k; i++) mK = std::max(mK, z[ids[i]]);
    double sK = 0;
    for (int64_t i = 0; i < k; i++) sK += std::exp(static_cast<double>(z[ids[i]]) - mK);
    const double lseK = mK + std::log(sK);
    if (!acc) std::fill(g, g + V, 0.0f);
    for (int64_t i = 0; i < k; i++) {
      const double qi = Q > 0 ? q[i] / Q : 0.0;
      loss -= qi * (z[ids[i]] - lseK);
      if (w != 0) g[ids[i]] += static_cast<float>(w * (std::exp(z[ids[i]] - lseK) - qi));
    }
    *lossOut = loss;
    return;
  }
  for (int64_t i = 0; i < k; i++) loss -= q[i] * (z[ids[i]] - lse);
  double qTail = support == kTail ? std::max(0.0, 1.0 - Q) : 0.0;
  double lseC = 0;
  float mC = 0;
  if (qTail > 0) {
    // log p_tail = logsumexp over the complement of K minus lse, computed from the
    // complement's own maximum so it stays finite even when p_tail underflows float.
    std::memcpy(scratch, z, V * sizeof(float));
    for (int64_t i = 0; i < k; i++) scratch[ids[i]] = kNegInf;
    mC = RowMax(scratch, V);
    lseC = RowLse(scratch, V, nullptr, mC);
    if (lseC == -INFINITY) qTail = 0;  // K covers every id: there is no "everything else"
    else loss -= qTail * (lseC - lse);
  }
  *lossOut = loss;
  if (w == 0) {
    if (!acc) std::fill(g, g + V, 0.0f);
    return;
  }
  // d/dz_v = (Q + qTail) p_v - q_v [v in K] - qTail p_v / p_tail [v not in K].
  // Exponents are taken from the row's (or the complement's) maximum, with the log-sum-exp
  // folded into a double factor, so that its float rounding does not enter every term.
  const float cAll = static_cast<float>(w * (Q + qTail) * std::exp(static_cast<double>(m) - lse));
  if (qTail > 0) {
    const float cTail = static_cast<float>(w * qTail * std::exp(static_cast<double>(mC) - lseC));
    const float* zz = scratch;  // -inf on K, so its term vanishes there
    Put(g, V, acc, [=](int64_t v) { return cAll * ExpF(z[v] - m) - cTail * ExpF(zz[v] - mC); });
  } else {
    Put(g, V, acc, [=](int64_t v) { return cAll * ExpF(z[v] - m); });
  }
  for (int64_t i = 0; i < k; i++) g[ids[i]] -= w * q[i];
}

napi_value SoftCrossEntropy(napi_env env, napi_callback_info info) {
  Args a(env, info, 13, "softCrossEntropy");
  F32View logits = a.F32(0, "logits");
  const int64_t N = a.Dim(1, "N"), V = a.Dim(2, "V");
  I32View ids = a.I32(3, "ids");
  F32View probs = a.F32(4, "probs");
  const int64_t k = a.Dim(5, "k");
  const int64_t support = a.Dim(6, "support");
  F32View weights = a.F32(7, "rowWeights"), loss = a.F32(8, "lossOut"), dLogits = a.F32(9, "dLogits");
  const bool acc = a.Flag(10, "accumulate");
  F32View mass = a.F32Opt(11, "studentMassOut"), lseOut = a.F32Opt(12, "lseOut");
  a.Check(support <= kFull, "'support' must be 0 (renorm), 1 (tail) or 2 (full)");
  a.Check(support != kFull || k == V, "support 'full' needs k === V, got k = " + std::to_string(k) +
                                          " and V = " + std::to_string(V));
  a.Check(k <= V, "'k' = " + std::to_string(k) + " exceeds V = " + std::to_string(V));
  a.AtLeast(logits, Mul(N, V), "logits", "N * V");
  a.AtLeast(ids, Mul(N, k), "ids", "N * k");
  a.AtLeast(probs, Mul(N, k), "probs", "N * k");
  a.AtLeast(weights, N, "rowWeights", "N");
  a.AtLeast(loss, N, "lossOut", "N");
  a.AtLeast(dLogits, Mul(N, V), "dLogits", "N * V");
  if (mass.data) a.AtLeast(mass, N, "studentMassOut", "N");
  if (lseOut.data) a.AtLeast(lseOut, N, "lseOut", "N");
  for (int64_t i = 0; a.ok() && i < N * k; i++) {
    if (ids.data[i] < 0 || ids.data[i] >= V) {
      a.Fail("ids[" + std::to_string(i) + "] = " + std::to_string(ids.data[i]) + " is outside [0, V = " +
             std::to_string(V) + ")");
    }
  }
  if (!a.ok()) return nullptr;
  const int sup = static_cast<int>(support);
  std::vector<double> rowLoss(N);
#pragma omp parallel if (N * V * kCostExp >= kParallelMin)
  {
    std::vector<float> scratch(sup == kTail ? V : 0);
#pragma omp for schedule(static)
    for (int64_t n = 0; n < N; n++) {
      SoftRow(logits.data + n * V, V, ids.data + n * k, probs.data + n * k, k, sup, weights.data[n], acc,
              dLogits.data + n * V, &rowLoss[n], mass.data ? mass.data + n : nullptr,
              lseOut.data ? lseOut.data + n : nullptr, scratch.data());
    }
  }
  // The weighted total in double, summed in row order (the same whatever the thread count):
  // float32 per-row values would cost a loss of ~70 its last six digits.
  double total = 0;
  for (int64_t n = 0; n < N; n++) {
    loss.data[n] = static_cast<float>(rowLoss[n]);
    if (weights.data[n] != 0) total += static_cast<double>(weights.data[n]) * rowLoss[n];
  }
  napi_value out;
  napi_create_double(env, total, &out);
  return out;
}

// Top-k order: a larger value first, and the lower id among equal values. NaN counts as
// -inf so that the order is total.
struct Entry {
  float v;
  int32_t id;
};
inline float Key(float v) { return std::isnan(v) ? kNegInf : v; }
inline bool Better(const Entry& a, const Entry& b) { return a.v > b.v || (a.v == b.v && a.id < b.id); }

// Descending by value, ties by lower id.
napi_value TopK(napi_env env, napi_callback_info info) {
  Args a(env, info, 6, "topk");
  F32View x = a.F32(0, "x");
  const int64_t N = a.Dim(1, "N"), V = a.Dim(2, "V"), k = a.Dim(3, "k");
  I32View idsOut = a.I32(4, "idsOut");
  F32View valsOut = a.F32(5, "valsOut");
  a.Check(k <= V, "'k' = " + std::to_string(k) + " exceeds V = " + std::to_string(V));
  a.Check(V <= INT32_MAX, "'V' does not fit an Int32 id");
  a.AtLeast(x, Mul(N, V), "x", "N * V");
  a.AtLeast(idsOut, Mul(N, k), "idsOut", "N * k");
  a.AtLeast(valsOut, Mul(N, k), "valsOut", "N * k");
  if (!a.ok() || k == 0) return nullptr;
#pragma omp parallel if (N * V * kCostExp >= kParallelMin)
  {
    std::vector<Entry> heap(k);
#pragma omp for schedule(static)
    for (int64_t n = 0; n < N; n++) {
      const float* row = x.data + n * V;
      // A heap of the k best so far with the worst on top: most ids are turned away by one
      // comparison with it. Ids arrive in increasing order, so an id that ties the worst
      // kept value loses to it, as "ties: lower id first" requires.
      for (int64_t i = 0; i < k; i++) heap[i] = Entry{Key(row[i]), static_cast<int32_t>(i)};
      std::make_heap(heap.begin(), heap.end(), Better);
      for (int64_t i = k; i < V; i++) {
        const Entry e{Key(row[i]), static_cast<int32_t>(i)};
        if (!Better(e, heap.front())) continue;
        std::pop_heap(heap.begin(), heap.end(), Better);
        heap.back() = e;
        std::push_heap(heap.begin(), heap.end(), Better);
      }
      std::sort_heap(heap.begin(), heap.end(), Better);  // best first
      for (int64_t i = 0; i < k; i++) {
        idsOut.data[n * k + i] = heap[i].id;
        valsOut.data[n * k + i] = row[heap[i].id];
      }
    }
  }
  return nullptr;
}

}  // namespace

void RegisterLoss(napi_env env, napi_value exports) {
  SetFn(env, exports, "crossEntropy", CrossEntropy);
  SetFn(env, exports, "softCrossEntropy", SoftCrossEntropy);
  SetFn(env, exports, "topk", TopK);
}

}  // namespace ops
}  // namespace distil
