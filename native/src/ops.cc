// Non-GEMM kernels (placeholder until they land).
#include "napi_util.h"
namespace distil {
void RegisterOps(napi_env, napi_value) {}
}
