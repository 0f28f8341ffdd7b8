// Small helpers shared by every kernel binding: argument unpacking with clear errors.
#pragma once
#include <node_api.h>
#include <cstdint>
#include <cstddef>
#include <string>

namespace distil {

struct F32View { float* data; size_t length; };
struct I32View { int32_t* data; size_t length; };
struct F64View { double* data; size_t length; };

inline void ThrowIf(napi_env env, bool bad, const std::string& msg) {
  if (bad) napi_throw_type_error(env, nullptr, msg.c_str());
}

// Returns false (with a pending JS exception) when argument `i` is not a Float32Array.
inline bool GetF32(napi_env env, napi_value v, const char* name, F32View* out) {
  napi_typedarray_type t; size_t len; void* data; napi_value ab; size_t off;
  if (napi_get_typedarray_info(env, v, &t, &len, &data, &ab, &off) != napi_ok || t != napi_float32_array) {
    napi_throw_type_error(env, nullptr, (std::string("argument '") + name + "' must be a Float32Array").c_str());
    return false;
  }
  out->data = static_cast<float*>(data); out->length = len; return true;
}

inline bool GetI32(napi_env env, napi_value v, const char* name, I32View* out) {
  napi_typedarray_type t; size_t len; void* data; napi_value ab; size_t off;
  if (napi_get_typedarray_info(env, v, &t, &len, &data, &ab, &off) != napi_ok || t != napi_int32_array) {
    napi_throw_type_error(env, nullptr, (std::string("argument '") + name + "' must be an Int32Array").c_str());
    return false;
  }
  out->data = static_cast<int32_t*>(data); out->length = len; return true;
}

inline bool GetF64(napi_env env, napi_value v, const char* name, double* out) {
  if (napi_get_value_double(env, v, out) != napi_ok) {
    napi_throw_type_error(env, nullptr, (std::string("argument '") + name + "' must be a number").c_str());
    return false;
  }
  return true;
}

inline bool GetI64(napi_env env, napi_value v, const char* name, int64_t* out) {
  if (napi_get_value_int64(env, v, out) != napi_ok) {
    napi_throw_type_error(env, nullptr, (std::string("argument '") + name + "' must be an integer").c_str());
    return false;
  }
  return true;
}

inline bool GetBool(napi_env env, napi_value v, const char* name, bool* out) {
  if (napi_get_value_bool(env, v, out) != napi_ok) {
    napi_throw_type_error(env, nullptr, (std::string("argument '") + name + "' must be a boolean").c_str());
    return false;
  }
  return true;
}

// Reads exactly n arguments into argv; throws when fewer are given.
inline bool GetArgs(napi_env env, napi_callback_info info, size_t n, napi_value* argv, const char* fn) {
  size_t argc = n;
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc < n) {
    napi_throw_type_error(env, nullptr, (std::string(fn) + ": expected " + std::to_string(n) + " arguments").c_str());
    return false;
  }
  return true;
}

inline void SetFn(napi_env env, napi_value exports, const char* name, napi_callback cb) {
  napi_value fn;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, nullptr, &fn);
  napi_set_named_property(env, exports, name, fn);
}

// Each kernel file defines one of these and adds its functions to the module's exports.
void RegisterGemm(napi_env env, napi_value exports);
void RegisterOps(napi_env env, napi_value exports);

}  // namespace distil
