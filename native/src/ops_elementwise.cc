// Elementwise kernels and broadcasts: memory-bound loops, vectorised, threaded when large.
// Each kernel runs over out's length (inputs may be longer, as in the reference).
#include "ops.h"  // first: it sets the optimisation pragma for the whole file

namespace distil {
namespace ops {
namespace {

inline float Sigmoid(float x) { return 1.0f / (1.0f + ExpF(-x)); }
// d silu(x) / dx = s + x s (1 - s) with s = sigmoid(x)
inline float SiluGrad(float x, float s) { return s * (1.0f + x * (1.0f - s)); }

napi_value Fill(napi_env env, napi_callback_info info) {
  Args a(env, info, 2, "fill");
  F32View out = a.F32(0, "out");
  const float value = static_cast<float>(a.Num(1, "value"));
  if (!a.ok()) return nullptr;
  float* const op = out.data;
  ParallelRange(out.length, out.length, [=](int64_t b, int64_t e) { std::fill(op + b, op + e, value); });
  return nullptr;
}

napi_value Copy(napi_env env, napi_callback_info info) {
  Args a(env, info, 2, "copy");
  F32View src = a.F32(0, "src"), out = a.F32(1, "out");
  a.Covers(src, out.length, "src", "out");
  if (!a.ok()) return nullptr;
  if (out.length > 0 && src.data != out.data) std::memmove(out.data, src.data, out.length * sizeof(float));
  return nullptr;
}

// add / sub / mul share one binding shape: out = a (op) b.
template <int Op>
napi_value Binary(napi_env env, napi_callback_info info) {
  static const char* names[] = {"add", "sub", "mul"};
  Args a(env, info, 3, names[Op]);
  F32View x = a.F32(0, "a"), y = a.F32(1, "b"), out = a.F32(2, "out");
  a.Covers(x, out.length, "a", "out");
  a.Covers(y, out.length, "b", "out");
  if (!a.ok()) return nullptr;
  const float *const xp = x.data, *const yp = y.data;
  float* const op = out.data;
  ParallelRange(out.length, out.length, [=](int64_t b, int64_t e) {
#pragma omp simd
    for (int64_t i = b; i < e; i++) op[i] = Op == 0 ? xp[i] + yp[i] : Op == 1 ? xp[i] - yp[i] : xp[i] * yp[i];
  });
  return nullptr;
}

napi_value Scale(napi_env env, napi_callback_info info) {
  Args a(env, info, 3, "scale");
  F32View x = a.F32(0, "a");
  const float s = static_cast<float>(a.Num(1, "s"));
  F32View out = a.F32(2, "out");
  a.Covers(x, out.length, "a", "out");
  if (!a.ok()) return nullptr;
  const float* const xp = x.data;
  float* const op = out.data;
  ParallelRange(out.length, out.length, [=](int64_t b, int64_t e) {
#pragma omp simd
    for (int64_t i = b; i < e; i++) op[i] = xp[i] * s;
  });
  return nullptr;
}

napi_value Axpy(napi_env env, napi_callback_info info) {
  Args a(env, info, 3, "axpy");
  const float alpha = static_cast<float>(a.Num(0, "alpha"));
  F32View x = a.F32(1, "x"), y = a.F32(2, "y");
  a.Covers(x, y.length, "x", "y");
  if (!a.ok()) return nullptr;
  const float* const xp = x.data;
  float* const yp = y.data;
  ParallelRange(y.length, y.length, [=](int64_t b, int64_t e) {
#pragma omp simd
    for (int64_t i = b; i < e; i++) yp[i] += alpha * xp[i];
  });
  return nullptr;
}

napi_value AddRowVector(napi_env env, napi_callback_info info) {
  Args a(env, info, 5, "addRowVector");
  F32View x = a.F32(0, "a"), bias = a.F32(1, "bias");
  const int64_t R = a.Dim(2, "R"), C = a.Dim(3, "C");
  F32View out = a.F32(4, "out");
  a.AtLeast(x, Mul(R, C), "a", "R * C");
  a.AtLeast(bias, C, "bias", "C");
  a.AtLeast(out, Mul(R, C), "out", "R * C");
  if (!a.ok()) return nullptr;
  const float *const xp = x.data, *const bp = bias.data;
  float* const op = out.data;
  ParallelRange(R, R * C, [=](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const float* xr = xp + r * C;
      float* orow = op + r * C;
#pragma omp simd
      for (int64_t c = 0; c < C; c++) orow[c] = xr[c] + bp[c];
    }
  });
  return nullptr;
}

// Column sums in double, column block by column block so that threads own disjoint columns.
napi_value SumRows(napi_env env, napi_callback_info info) {
  Args a(env, info, 5, "sumRows");
  F32View x = a.F32(0, "a");
  const int64_t R = a.Dim(1, "R"), C = a.Dim(2, "C");
  F32View out = a.F32(3, "out");
  const bool acc = a.Flag(4, "accumulate");
  a.AtLeast(x, Mul(R, C), "a", "R * C");
  a.AtLeast(out, C, "out", "C");
  if (!a.ok()) return nullptr;
  constexpr int64_t kBlock = 256;
  const float* const xp = x.data;
  float* const op = out.data;
  ParallelRange((C + kBlock - 1) / kBlock, R * C, [=](int64_t b0, int64_t b1) {
    double sum[kBlock];
    for (int64_t blk = b0; blk < b1; blk++) {
      const int64_t c0 = blk * kBlock, w = std::min(C, c0 + kBlock) - c0;
      std::fill(sum, sum + w, 0.0);
      for (int64_t r = 0; r < R; r++) {
        const float* xr = xp + r * C + c0;
#pragma omp simd
        for (int64_t c = 0; c < w; c++) sum[c] += xr[c];
      }
      for (int64_t c = 0; c < w; c++) op[c0 + c] = static_cast<float>(acc ? op[c0 + c] + sum[c] : sum[c]);
    }
  });
  return nullptr;
}

napi_value SumSquares(napi_env env, napi_callback_info info) {
  Args a(env, info, 1, "sumSquares");
  F32View x = a.F32(0, "a");
  if (!a.ok()) return nullptr;
  const int64_t n = x.length;
  const float* const xp = x.data;
  double s = 0;
#pragma omp parallel for simd if (n >= kParallelMin) reduction(+ : s) schedule(static)
  for (int64_t i = 0; i < n; i++) s += static_cast<double>(xp[i]) * xp[i];
  napi_value result;
  napi_create_double(env, s, &result);
  return result;
}

napi_value Silu(napi_env env, napi_callback_info info) {
  Args a(env, info, 2, "silu");
  F32View x = a.F32(0, "x"), out = a.F32(1, "out");
  a.Covers(x, out.length, "x", "out");
  if (!a.ok()) return nullptr;
  const float* const xp = x.data;
  float* const op = out.data;
  ParallelRange(out.length, out.length * kCostExp, [=](int64_t b, int64_t e) {
#pragma omp simd
    for (int64_t i = b; i < e; i++) op[i] = xp[i] * Sigmoid(xp[i]);
  });
  return nullptr;
}

napi_value SiluBackward(napi_env env, napi_callback_info info) {
  Args a(env, info, 4, "siluBackward");
  F32View x = a.F32(0, "x"), dOut = a.F32(1, "dOut"), dx = a.F32(2, "dx");
  const bool acc = a.Flag(3, "accumulate");
  a.Covers(x, dx.length, "x", "dx");
  a.Covers(dOut, dx.length, "dOut", "dx");
  if (!a.ok()) return nullptr;
  const float *const xp = x.data, *const gp = dOut.data;
  float* const dp = dx.data;
  ParallelRange(dx.length, dx.length * kCostExp, [=](int64_t b, int64_t e) {
    if (acc) {
#pragma omp simd
      for (int64_t i = b; i < e; i++) dp[i] += gp[i] * SiluGrad(xp[i], Sigmoid(xp[i]));
    } else {
#pragma omp simd
      for (int64_t i = b; i < e; i++) dp[i] = gp[i] * SiluGrad(xp[i], Sigmoid(xp[i]));
    }
  });
  return nullptr;
}

napi_value Swiglu(napi_env env, napi_callback_info info) {
  Args a(env, info, 3, "swiglu");
  F32View gate = a.F32(0, "gate"), up = a.F32(1, "up"), out = a.F32(2, "out");
  a.Covers(gate, out.length, "gate", "out");
  a.Covers(up, out.length, "up", "out");
  if (!a.ok()) return nullptr;
  const float *const gp = gate.data, *const up_ = up.data;
  float* const op = out.data;
  ParallelRange(out.length, out.length * kCostExp, [=](int64_t b, int64_t e) {
#pragma omp simd
    for (int64_t i = b; i < e; i++) op[i] = gp[i] * Sigmoid(gp[i]) * up_[i];
  });
  return nullptr;
}

napi_value SwigluBackward(napi_env env, napi_callback_info info) {
  Args a(env, info, 6, "swigluBackward");
  F32View gate = a.F32(0, "gate"), up = a.F32(1, "up"), dOut = a.F32(2, "dOut");
  F32View dGate = a.F32(3, "dGate"), dUp = a.F32(4, "dUp");
  const bool acc = a.Flag(5, "accumulate");
  const int64_t n = dOut.length;
  a.Covers(gate, n, "gate", "dOut");
  a.Covers(up, n, "up", "dOut");
  a.Covers(dGate, n, "dGate", "dOut");
  a.Covers(dUp, n, "dUp", "dOut");
  if (!a.ok()) return nullptr;
  const float *const gp = gate.data, *const upp = up.data, *const g = dOut.data;
  float *const dg = dGate.data, *const du = dUp.data;
  ParallelRange(n, n * kCostExp, [=](int64_t b, int64_t e) {
    if (acc) {
#pragma omp simd
      for (int64_t i = b; i < e; i++) {
        const float x = gp[i], s = Sigmoid(x);
        dg[i] += g[i] * upp[i] * SiluGrad(x, s);
        du[i] += g[i] * x * s;
      }
    } else {
#pragma omp simd
      for (int64_t i = b; i < e; i++) {
        const float x = gp[i], s = Sigmoid(x);
        dg[i] = g[i] * upp[i] * SiluGrad(x, s);
        du[i] = g[i] * x * s;
      }
    }
  });
  return nullptr;
}

}  // namespace

void RegisterElementwise(napi_env env, napi_value exports) {
  SetFn(env, exports, "fill", Fill);
  SetFn(env, exports, "copy", Copy);
  SetFn(env, exports, "add", Binary<0>);
  SetFn(env, exports, "sub", Binary<1>);
  SetFn(env, exports, "mul", Binary<2>);
  SetFn(env, exports, "scale", Scale);
  SetFn(env, exports, "axpy", Axpy);
  SetFn(env, exports, "addRowVector", AddRowVector);
  SetFn(env, exports, "sumRows", SumRows);
  SetFn(env, exports, "sumSquares", SumSquares);
  SetFn(env, exports, "silu", Silu);
  SetFn(env, exports, "siluBackward", SiluBackward);
  SetFn(env, exports, "swiglu", Swiglu);
  SetFn(env, exports, "swigluBackward", SwigluBackward);
}

}  // namespace ops
}  // namespace distil
