// SGEMM kernels (placeholder until the packed kernel lands).
#include "napi_util.h"
namespace distil {
void RegisterGemm(napi_env, napi_value) {}
}
