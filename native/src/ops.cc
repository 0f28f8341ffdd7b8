// Registers every non-GEMM kernel; each family lives in its own ops_*.cc file.
#include "ops.h"

namespace distil {
void RegisterOps(napi_env env, napi_value exports) {
  ops::RegisterElementwise(env, exports);
  ops::RegisterNorm(env, exports);
  ops::RegisterRope(env, exports);
  ops::RegisterAttention(env, exports);
  ops::RegisterEmbedding(env, exports);
  ops::RegisterLoss(env, exports);
  ops::RegisterOptim(env, exports);
  ops::RegisterSample(env, exports);
}
}  // namespace distil
