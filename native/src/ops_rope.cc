// Rotary position embedding, Hugging Face "rotate_half" convention: element i of a head is
// paired with element i + Dh/2 and rotated by pos * theta^(-2i/Dh). Angles and their
// cos/sin are computed in double (float angles drift by ~1e-4 rad at position 1000),
// once per row and shared by its H heads.
#include "ops.h"  // first: it sets the optimisation pragma for the whole file

#include <vector>


namespace distil {
namespace ops {
namespace {

napi_value Rope(napi_env env, napi_callback_info info) {
  Args a(env, info, 8, "rope");
  F32View x = a.F32(0, "x");
  const int64_t rows = a.Dim(1, "rows"), H = a.Dim(2, "H"), Dh = a.Dim(3, "Dh");
  I32View pos = a.I32(4, "positions");
  const double theta = a.Num(5, "theta");
  const bool inverse = a.Flag(6, "inverse");
  F32View out = a.F32(7, "out");
  a.Check(Dh % 2 == 0, "'Dh' must be even, got " + std::to_string(Dh));
  a.Check(theta > 0, "'theta' must be positive");
  a.AtLeast(x, Mul(rows, H, Dh), "x", "rows * H * Dh");
  a.AtLeast(out, Mul(rows, H, Dh), "out", "rows * H * Dh");
  a.AtLeast(pos, rows, "positions", "rows");
  if (!a.ok()) return nullptr;
  const int64_t half = Dh / 2;
  std::vector<double> invFreq(half);
  for (int64_t i = 0; i < half; i++) invFreq[i] = std::pow(theta, -2.0 * static_cast<double>(i) / Dh);
  const float* xp = x.data;
  float* o = out.data;
  const int32_t* pp = pos.data;
  const double sign = inverse ? -1.0 : 1.0;
#pragma omp parallel if (rows * H * Dh >= kParallelMin)
  {
    std::vector<float> cs(half), sn(half);
#pragma omp for schedule(static)
    for (int64_t r = 0; r < rows; r++) {
      const double p = pp[r];
      for (int64_t i = 0; i < half; i++) {
        const double ang = p * invFreq[i];
        cs[i] = static_cast<float>(std::cos(ang));
        sn[i] = static_cast<float>(sign * std::sin(ang));
      }
      const float* c = cs.data();
      const float* s = sn.data();
      for (int64_t h = 0; h < H; h++) {
        const float* xr = xp + (r * H + h) * Dh;
        float* orow = o + (r * H + h) * Dh;
        // Reads both halves before writing, so out === x works.
#pragma omp simd
        for (int64_t i = 0; i < half; i++) {
          const float x1 = xr[i], x2 = xr[i + half];
          orow[i] = x1 * c[i] - x2 * s[i];
          orow[i + half] = x2 * c[i] + x1 * s[i];
        }
      }
    }
  }
  return nullptr;
}

}  // namespace

void RegisterRope(napi_env env, napi_value exports) { SetFn(env, exports, "rope", Rope); }

}  // namespace ops
}  // namespace distil
