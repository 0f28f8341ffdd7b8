// Row-wise kernels over [R, D]: RMSNorm and (log-)softmax, forward and backward.
// Row reductions accumulate in double so results agree with the float64 reference.
#include "ops.h"  // first: it sets the optimisation pragma for the whole file

#include <omp.h>

#include <vector>


namespace distil {
namespace ops {
namespace {

napi_value RmsNorm(napi_env env, napi_callback_info info) {
  Args a(env, info, 7, "rmsnorm");
  F32View x = a.F32(0, "x"), w = a.F32(1, "w");
  const int64_t R = a.Dim(2, "R"), D = a.Dim(3, "D");
  const double eps = a.Num(4, "eps");
  F32View out = a.F32(5, "out"), rstd = a.F32(6, "rstd");
  a.AtLeast(x, Mul(R, D), "x", "R * D");
  a.AtLeast(w, D, "w", "D");
  a.AtLeast(out, Mul(R, D), "out", "R * D");
  a.AtLeast(rstd, R, "rstd", "R");
  if (!a.ok()) return nullptr;
  const float *xp = x.data, *wp = w.data;
  float *o = out.data, *rs = rstd.data;
  // ParallelRange, not "omp parallel for if": a parallel region costs ~2 us even when the if
  // keeps it on one thread, as much as a decode step's whole row.
  ParallelRange(R, Mul(R, D) * kCostRow, [=](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const float* xr = xp + r * D;
      float* orow = o + r * D;
      double ss = 0;
#pragma omp simd reduction(+ : ss)
      for (int64_t i = 0; i < D; i++) ss += static_cast<double>(xr[i]) * xr[i];
      const float s = static_cast<float>(1.0 / std::sqrt(ss / static_cast<double>(D) + eps));
      rs[r] = s;
#pragma omp simd
      for (int64_t i = 0; i < D; i++) orow[i] = xr[i] * s * wp[i];
    }
  });
  return nullptr;
}

// dx = rstd * (g - xhat * mean(g * xhat)) with g = dOut * w and xhat = x * rstd;
// dw += sum_r dOut * xhat. Each thread sums its rows' dw into its own slice, and the
// slices are added in thread order afterwards so the result does not depend on timing.
napi_value RmsNormBackward(napi_env env, napi_callback_info info) {
  Args a(env, info, 9, "rmsnormBackward");
  F32View x = a.F32(0, "x"), w = a.F32(1, "w"), rstd = a.F32(2, "rstd"), dOut = a.F32(3, "dOut");
  const int64_t R = a.Dim(4, "R"), D = a.Dim(5, "D");
  F32View dx = a.F32(6, "dx"), dw = a.F32(7, "dw");
  const bool acc = a.Flag(8, "accumulateDx");
  a.AtLeast(x, Mul(R, D), "x", "R * D");
  a.AtLeast(w, D, "w", "D");
  a.AtLeast(rstd, R, "rstd", "R");
  a.AtLeast(dOut, Mul(R, D), "dOut", "R * D");
  a.AtLeast(dx, Mul(R, D), "dx", "R * D");
  a.AtLeast(dw, D, "dw", "D");
  if (!a.ok()) return nullptr;
  const float *xp = x.data, *wp = w.data, *rs = rstd.data, *gp = dOut.data;
  float *dxp = dx.data, *dwp = dw.data;
  const bool par = R * D * kCostRow >= kParallelMin && R > 1;
  const int nt = par ? omp_get_max_threads() : 1;
  std::vector<double> partial(static_cast<size_t>(nt) * D, 0.0);
#pragma omp parallel num_threads(nt) if (par)
  {
    double* mine = partial.data() + static_cast<size_t>(omp_get_thread_num()) * D;
#pragma omp for schedule(static)
    for (int64_t r = 0; r < R; r++) {
      const float* xr = xp + r * D;
      const float* gr = gp + r * D;
      float* dr = dxp + r * D;
      const float s = rs[r];
      double dot = 0;
#pragma omp simd reduction(+ : dot)
      for (int64_t i = 0; i < D; i++) dot += static_cast<double>(gr[i] * wp[i]) * (xr[i] * s);
#pragma omp simd
      for (int64_t i = 0; i < D; i++) mine[i] += static_cast<double>(gr[i]) * (xr[i] * s);
      const float m = static_cast<float>(dot / static_cast<double>(D));
      Put(dr, D, acc, [=](int64_t i) { return s * (gr[i] * wp[i] - xr[i] * s * m); });
    }
  }
  for (int64_t i = 0; i < D; i++) {
    double sum = 0;
    for (int t = 0; t < nt; t++) sum += partial[static_cast<size_t>(t) * D + i];
    dwp[i] = static_cast<float>(dwp[i] + sum);
  }
  return nullptr;
}

template <bool Log>
napi_value Softmax(napi_env env, napi_callback_info info) {
  Args a(env, info, 4, Log ? "logSoftmax" : "softmax");
  F32View x = a.F32(0, "x");
  const int64_t R = a.Dim(1, "R"), D = a.Dim(2, "D");
  F32View out = a.F32(3, "out");
  a.AtLeast(x, Mul(R, D), "x", "R * D");
  a.AtLeast(out, Mul(R, D), "out", "R * D");
  if (!a.ok()) return nullptr;
  const float* xp = x.data;
  float* o = out.data;
  ParallelRange(R, Mul(R, D) * kCostExp, [=](int64_t r0, int64_t r1) {
  for (int64_t r = r0; r < r1; r++) {
    const float* xr = xp + r * D;
    float* orow = o + r * D;
    const float m = MaxOf(xr, D);
    double sum = 0;
    if (Log) {
#pragma omp simd reduction(+ : sum)
      for (int64_t i = 0; i < D; i++) sum += ExpF(xr[i] - m);
      const float shift = static_cast<float>(m + std::log(sum));
#pragma omp simd
      for (int64_t i = 0; i < D; i++) orow[i] = xr[i] - shift;
    } else {
#pragma omp simd reduction(+ : sum)
      for (int64_t i = 0; i < D; i++) {
        const float e = ExpF(xr[i] - m);
        orow[i] = e;
        sum += e;
      }
      const float inv = static_cast<float>(1.0 / sum);
#pragma omp simd
      for (int64_t i = 0; i < D; i++) orow[i] *= inv;
    }
  }
  });
  return nullptr;
}

// softmax: dx (+)= y * (dy - sum(dy * y)); logSoftmax: dx (+)= dy - exp(y) * sum(dy).
template <bool Log>
napi_value SoftmaxBackward(napi_env env, napi_callback_info info) {
  Args a(env, info, 6, Log ? "logSoftmaxBackward" : "softmaxBackward");
  F32View y = a.F32(0, "y"), dy = a.F32(1, "dy");
  const int64_t R = a.Dim(2, "R"), D = a.Dim(3, "D");
  F32View dx = a.F32(4, "dx");
  const bool acc = a.Flag(5, "accumulate");
  a.AtLeast(y, Mul(R, D), "y", "R * D");
  a.AtLeast(dy, Mul(R, D), "dy", "R * D");
  a.AtLeast(dx, Mul(R, D), "dx", "R * D");
  if (!a.ok()) return nullptr;
  const float *yp = y.data, *gp = dy.data;
  float* dp = dx.data;
#pragma omp parallel for if (R * D * kCostExp >= kParallelMin) schedule(static)
  for (int64_t r = 0; r < R; r++) {
    const float* yr = yp + r * D;
    const float* gr = gp + r * D;
    float* dr = dp + r * D;
    double s = 0;
    if (Log) {
#pragma omp simd reduction(+ : s)
      for (int64_t i = 0; i < D; i++) s += gr[i];
    } else {
#pragma omp simd reduction(+ : s)
      for (int64_t i = 0; i < D; i++) s += static_cast<double>(gr[i]) * yr[i];
    }
    const float sf = static_cast<float>(s);
    if (Log) Put(dr, D, acc, [=](int64_t i) { return gr[i] - ExpF(yr[i]) * sf; });
    else Put(dr, D, acc, [=](int64_t i) { return yr[i] * (gr[i] - sf); });
  }
  return nullptr;
}

}  // namespace

void RegisterNorm(napi_env env, napi_value exports) {
  SetFn(env, exports, "rmsnorm", RmsNorm);
  SetFn(env, exports, "rmsnormBackward", RmsNormBackward);
  SetFn(env, exports, "softmax", Softmax<false>);
  SetFn(env, exports, "logSoftmax", Softmax<true>);
  SetFn(env, exports, "softmaxBackward", SoftmaxBackward<false>);
  SetFn(env, exports, "logSoftmaxBackward", SoftmaxBackward<true>);
}

}  // namespace ops
}  // namespace distil
