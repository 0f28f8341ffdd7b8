// Module entry: every kernel file registers its own functions.
#include "napi_util.h"
#include <omp.h>

namespace distil {
static napi_value NumThreads(napi_env env, napi_callback_info) {
  napi_value out; napi_create_int32(env, omp_get_max_threads(), &out); return out;
}
}  // namespace distil

static napi_value Init(napi_env env, napi_value exports) {
  distil::RegisterGemm(env, exports);
  distil::RegisterOps(env, exports);
  distil::SetFn(env, exports, "numThreads", distil::NumThreads);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
