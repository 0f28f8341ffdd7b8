// AdamW with decoupled weight decay (PyTorch's formulation): one fused pass over the
// parameter, its gradient and both moments, vectorised and threaded for large tensors.
#include "ops.h"

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
  float *p = param.data, *mp = m.data, *vp = v.data;
  const float* g = grad.data;
#pragma omp parallel for simd if (n >= kParallelMin) schedule(static)
  for (int64_t i = 0; i < n; i++) {
    const float gi = g[i];
    const float mi = b1 * mp[i] + c1 * gi;
    const float vi = b2 * vp[i] + c2 * gi * gi;
    mp[i] = mi;
    vp[i] = vi;
    p[i] = p[i] * decay - stepSize * mi / (std::sqrt(vi * invBc2) + e);
  }
  return nullptr;
}

}  // namespace

void RegisterOptim(napi_env env, napi_value exports) { SetFn(env, exports, "adamw", AdamW); }

}  // namespace ops
}  // namespace distil
