// AdamW with decoupled weight decay (PyTorch's formulation): one fused pass over the
// parameter, its gradient and both moments, vectorised and threaded for large tensors.
#include "ops.h"  // first: it sets the optimisation pragma for the whole file

#ifdef __AVX__
#include <immintrin.h>
#endif

namespace distil {
namespace ops {
namespace {

napi_value AdamW(napi_env env, napi_callback_info info) {
  Args a(env, info, 10, "adamw");
  F32View param = a.F32(0, "param"), grad = a.F32(1, "grad"), m = a.F32(2, "m"), v = a.F32(3, "v");
  const double lr = a.Num(4, "lr"), beta1 = a.Num(5, "beta1"), beta2 = a.Num(6, "beta2");
  const double eps = a.Num(7, "eps"), wd = a.Num(8, "weightDecay"), step = a.Num(9, "step");
  const int64_t n = param.length;
  a.Covers(grad, n, "grad", "param");
  a.Covers(m, n, "m", "param");
  a.Covers(v, n, "v", "param");
  a.Check(step >= 1, "'step' is 1-based and must be >= 1, got " + Args::Str(step));
  if (!a.ok()) return nullptr;
  const float b1 = static_cast<float>(beta1), b2 = static_cast<float>(beta2);
  const float c1 = static_cast<float>(1 - beta1), c2 = static_cast<float>(1 - beta2);
  const float decay = static_cast<float>(1 - lr * wd);
  const float stepSize = static_cast<float>(lr / (1 - std::pow(beta1, step)));
  const float invBc2 = static_cast<float>(1 / (1 - std::pow(beta2, step)));
  const float e = static_cast<float>(eps);
  float *const p = param.data, *const mp = m.data, *const vp = v.data;
  const float* const g = grad.data;
  ParallelRange(n, n * 4, [=](int64_t b, int64_t end) {
    int64_t i = b;
#ifdef __AVX__
    // GCC will not vectorise std::sqrt while errno semantics are on (the default), so the
    // main loop is written with AVX intrinsics; the scalar loop below does the remainder.
    const __m256 vb1 = _mm256_set1_ps(b1), vb2 = _mm256_set1_ps(b2), vc1 = _mm256_set1_ps(c1);
    const __m256 vc2 = _mm256_set1_ps(c2), vdecay = _mm256_set1_ps(decay), vstep = _mm256_set1_ps(stepSize);
    const __m256 vinv = _mm256_set1_ps(invBc2), veps = _mm256_set1_ps(e);
    for (; i + 8 <= end; i += 8) {
      const __m256 gi = _mm256_loadu_ps(g + i);
      const __m256 mi = _mm256_add_ps(_mm256_mul_ps(vb1, _mm256_loadu_ps(mp + i)), _mm256_mul_ps(vc1, gi));
      const __m256 vi = _mm256_add_ps(_mm256_mul_ps(vb2, _mm256_loadu_ps(vp + i)), _mm256_mul_ps(_mm256_mul_ps(vc2, gi), gi));
      _mm256_storeu_ps(mp + i, mi);
      _mm256_storeu_ps(vp + i, vi);
      const __m256 den = _mm256_add_ps(_mm256_sqrt_ps(_mm256_mul_ps(vi, vinv)), veps);
      const __m256 upd = _mm256_div_ps(_mm256_mul_ps(vstep, mi), den);
      _mm256_storeu_ps(p + i, _mm256_sub_ps(_mm256_mul_ps(_mm256_loadu_ps(p + i), vdecay), upd));
    }
#endif
    for (; i < end; i++) {
      const float gi = g[i];
      const float mi = b1 * mp[i] + c1 * gi;
      const float vi = b2 * vp[i] + c2 * gi * gi;
      mp[i] = mi;
      vp[i] = vi;
      p[i] = p[i] * decay - stepSize * mi / (std::sqrt(vi * invBc2) + e);
    }
  });
  return nullptr;
}

}  // namespace

void RegisterOptim(napi_env env, napi_value exports) { SetFn(env, exports, "adamw", AdamW); }

}  // namespace ops
}  // namespace distil
