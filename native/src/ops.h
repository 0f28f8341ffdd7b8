// Shared pieces of the non-GEMM kernels: argument parsing with size checks, the threading
// threshold, and a vectorisable exp. Each ops_*.cc file registers one family of kernels.
#pragma once
// Float exceptions and errno are never inspected here, and with them on GCC refuses to
// if-convert (and so to vectorise) loops holding min/max, a select or a sqrt.
// This must precede every other include of the file, so each ops_*.cc includes ops.h first.
#pragma GCC optimize("no-trapping-math", "no-math-errno")
#include <omp.h>

#include "napi_util.h"
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>

namespace distil {
namespace ops {

// Below this much work (elements times a cost weight) loops run on the calling thread.
// A fork/join costs a few microseconds on an idle machine but milliseconds on a busy one
// (the barrier waits for a descheduled thread: measured 10 ms per region at load 19 on 2
// cores), while splitting a memory-bound loop gains little. So only loops of about a
// millisecond are split: attention, and exp-heavy kernels over large buffers.
constexpr int64_t kParallelMin = 1 << 21;
// Cost weights of an element relative to a load-add-store.
constexpr int64_t kCostRow = 2;  // a row reduction and a write pass
constexpr int64_t kCostExp = 8;  // an exp and a few multiplies

// 8-float vectors (GCC vector extensions; AVX registers on this target) for the few loops
// the auto-vectoriser does not handle, such as max reductions.
typedef float v8 __attribute__((vector_size(32)));
typedef int32_t v8i __attribute__((vector_size(32)));
typedef float v8u __attribute__((vector_size(32), aligned(4), __may_alias__));
inline v8 Load(const float* p) { return *reinterpret_cast<const v8u*>(p); }
inline void Store(float* p, v8 x) { *reinterpret_cast<v8u*>(p) = x; }
inline v8 Splat(float x) { return v8{x, x, x, x, x, x, x, x}; }
inline float HMax(v8 m) {
  float r = m[0];
  for (int i = 1; i < 8; i++) r = r < m[i] ? m[i] : r;
  return r;
}

// max(x[0..n)), -inf when n == 0. (GCC does not vectorise a float max reduction without
// -ffast-math, even under omp simd.)
inline float MaxOf(const float* x, int64_t n) {
  v8 m = Splat(-__builtin_inff());
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const v8 v = Load(x + i);
    m = m < v ? v : m;
  }
  float r = HMax(m);
  for (; i < n; i++) r = r < x[i] ? x[i] : r;
  return r;
}

// Runs fn(begin, end) over [0, n), split into one contiguous chunk per thread when `work`
// (elements touched) is large enough. Kernels put their vector loops inside fn on local
// copies of their pointers: loops written directly under "omp parallel for" reload those
// pointers from OpenMP's shared-data block (their stores might alias it) and do not vectorise.
template <class F>
inline void ParallelRange(int64_t n, int64_t work, const F& fn) {
  if (work < kParallelMin || n < 2) {
    if (n > 0) fn(int64_t{0}, n);
    return;
  }
#pragma omp parallel
  {
    const int64_t nt = omp_get_num_threads(), t = omp_get_thread_num();
    const int64_t b = n * t / nt, e = n * (t + 1) / nt;
    if (b < e) fn(b, e);
  }
}

// dst[i] = v(i), or dst[i] += v(i) when accumulating: written as two loops because GCC does
// not vectorise a loop whose store picks between a loaded and a fresh value.
template <class F>
inline void Put(float* dst, int64_t n, bool acc, const F& v) {
  if (acc) {
#pragma omp simd
    for (int64_t i = 0; i < n; i++) dst[i] += v(i);
  } else {
#pragma omp simd
    for (int64_t i = 0; i < n; i++) dst[i] = v(i);
  }
}

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// Product of dimensions that saturates instead of overflowing: a saturated size is larger
// than any buffer, so the size check that follows fails cleanly.
inline int64_t Mul(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_mul_overflow(a, b, &r)) return std::numeric_limits<int64_t>::max();
  return r;
}
inline int64_t Mul(int64_t a, int64_t b, int64_t c) { return Mul(Mul(a, b), c); }
inline int64_t Mul(int64_t a, int64_t b, int64_t c, int64_t d) { return Mul(Mul(a, b), Mul(c, d)); }

// exp(x) for float, written with plain arithmetic so GCC vectorises loops that call it
// (libm's expf does not vectorise without -ffast-math). Cephes-style: x = n ln2 + r,
// |r| <= ln2/2, degree-6 polynomial; relative error below 1e-7. n is rounded by adding
// 1.5 * 2^23, whose low mantissa bits then hold n itself. Returns exactly 0 below -87.3
// (where float exp goes denormal, and for -inf) and saturates near 2^127 above 88.3, so
// masked scores give 0 and nothing overflows into NaN when multiplied by 0.
inline float ExpF(float x) {
  const float xc = std::min(std::max(x, -87.3f), 88.3f);
  const float t = xc * 1.44269504088896341f + 12582912.0f;
  const float n = t - 12582912.0f;
  float r = xc - n * 0.693359375f;
  r = r + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const int32_t e = __builtin_bit_cast(int32_t, t) - 0x4B400000 + 127;
  const float scale = __builtin_bit_cast(float, e << 23);
  return x < -87.3f ? 0.0f : p * scale;
}

// Unpacks a binding's positional arguments. The first failure throws a TypeError that
// names the kernel and the argument; later calls become no-ops, so a binding reads all
// its arguments and checks ok() once before touching memory.
class Args {
 public:
  static constexpr size_t kMax = 24;

  Args(napi_env env, napi_callback_info info, size_t n, const char* fn) : env_(env), fn_(fn) {
    size_t argc = kMax;
    napi_get_cb_info(env, info, &argc, argv_, nullptr, nullptr);
    if (argc < n) Fail("expected " + std::to_string(n) + " arguments, got " + std::to_string(argc));
  }

  bool ok() const { return ok_; }

  F32View F32(size_t i, const char* name) { return TypedArray<F32View>(i, name, napi_float32_array, "Float32Array", false); }
  // null or undefined gives {nullptr, 0}.
  F32View F32Opt(size_t i, const char* name) { return TypedArray<F32View>(i, name, napi_float32_array, "Float32Array", true); }
  I32View I32(size_t i, const char* name) { return TypedArray<I32View>(i, name, napi_int32_array, "Int32Array", false); }
  I32View I32Opt(size_t i, const char* name) { return TypedArray<I32View>(i, name, napi_int32_array, "Int32Array", true); }
  F64View F64Array(size_t i, const char* name) { return TypedArray<F64View>(i, name, napi_float64_array, "Float64Array", false); }

  double Num(size_t i, const char* name) {
    double d = 0;
    if (ok_ && napi_get_value_double(env_, argv_[i], &d) != napi_ok) Fail(std::string("'") + name + "' must be a number");
    return d;
  }

  // A non-negative integer dimension.
  int64_t Dim(size_t i, const char* name) {
    const double d = Num(i, name);
    if (ok_ && !(d >= 0 && d <= 9007199254740991.0 && std::floor(d) == d)) {
      Fail(std::string("'") + name + "' must be a non-negative integer, got " + Str(d));
    }
    return ok_ ? static_cast<int64_t>(d) : 0;
  }

  bool Flag(size_t i, const char* name) {
    bool b = false;
    if (ok_ && napi_get_value_bool(env_, argv_[i], &b) != napi_ok) Fail(std::string("'") + name + "' must be a boolean");
    return b;
  }

  // The buffer must hold at least `need` elements (dimension-given kernels).
  template <class V>
  void AtLeast(const V& v, int64_t need, const char* name, const char* what) {
    if (ok_ && static_cast<int64_t>(v.length) < need) {
      Fail(std::string("'") + name + "' has " + std::to_string(v.length) + " elements but " + what + " = " +
           std::to_string(need) + " are needed");
    }
  }

  // An input of an elementwise kernel must cover the output: the kernel runs over out's
  // length (as the reference does), so a longer input is fine and a shorter one is an error.
  template <class V>
  void Covers(const V& v, int64_t n, const char* name, const char* other) {
    if (ok_ && static_cast<int64_t>(v.length) < n) {
      Fail(std::string("'") + name + "' has " + std::to_string(v.length) + " elements, fewer than '" + other +
           "' (" + std::to_string(n) + ")");
    }
  }

  void Check(bool cond, const std::string& msg) {
    if (ok_ && !cond) Fail(msg);
  }

  void Fail(const std::string& msg) {
    if (!ok_) return;
    ok_ = false;
    napi_throw_type_error(env_, nullptr, (std::string(fn_) + ": " + msg).c_str());
  }

  static std::string Str(double d) {
    char buf[32];
    snprintf(buf, sizeof buf, "%g", d);
    return buf;
  }

 private:
  template <class V>
  V TypedArray(size_t i, const char* name, napi_typedarray_type want, const char* wantName, bool optional) {
    V out{nullptr, 0};
    if (!ok_) return out;
    if (optional) {
      napi_valuetype t;
      napi_typeof(env_, argv_[i], &t);
      if (t == napi_undefined || t == napi_null) return out;
    }
    napi_typedarray_type t;
    size_t len = 0;
    void* data = nullptr;
    napi_value ab;
    size_t off;
    if (napi_get_typedarray_info(env_, argv_[i], &t, &len, &data, &ab, &off) != napi_ok || t != want) {
      Fail(std::string("'") + name + "' must be a" + (optional ? "n optional " : " ") + wantName);
      return out;
    }
    out.data = static_cast<decltype(out.data)>(data);
    out.length = len;
    return out;
  }

  napi_env env_;
  const char* fn_;
  napi_value argv_[kMax];
  bool ok_ = true;
};

void RegisterElementwise(napi_env env, napi_value exports);
void RegisterNorm(napi_env env, napi_value exports);
void RegisterRope(napi_env env, napi_value exports);
void RegisterAttention(napi_env env, napi_value exports);
void RegisterEmbedding(napi_env env, napi_value exports);
void RegisterLoss(napi_env env, napi_value exports);
void RegisterOptim(napi_env env, napi_value exports);
void RegisterSample(napi_env env, napi_value exports);

}  // namespace ops
}  // namespace distil
