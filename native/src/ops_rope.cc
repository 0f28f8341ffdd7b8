// Rotary position embedding, Hugging Face "rotate_half" convention: element i of a head is
// paired with element i + Dh/2 and rotated by pos * theta^(-2i/Dh).
//
// Angles and their cos/sin are computed in double (float angles drift by ~1e-4 rad at
// position 1000) and cached per position: a training step calls rope 4 times per layer on
// the same positions, and sin/cos of every (row, frequency) would otherwise cost more
// than the rotation itself.
#include "ops.h"  // first: it sets the optimisation pragma for the whole file

#include <vector>

namespace distil {
namespace ops {
namespace {

// Positions below this are cached (up to kMaxCached * Dh floats); others are computed per call.
constexpr int64_t kMaxCached = 1 << 16;

// cos and sin of pos * invFreq[i] for positions [0, size), for one (theta, Dh):
// table[pos * Dh + i] = cos, table[pos * Dh + half + i] = sin.
struct RopeTable {
  double theta = 0;
  int64_t Dh = 0, size = 0;
  std::vector<float> table;

  void Row(int64_t pos, float* out) const {
    const int64_t half = Dh / 2;
    for (int64_t i = 0; i < half; i++) {
      const double ang = static_cast<double>(pos) * std::pow(theta, -2.0 * static_cast<double>(i) / Dh);
      out[i] = static_cast<float>(std::cos(ang));
      out[half + i] = static_cast<float>(std::sin(ang));
    }
  }

  // Makes the table cover positions [0, need) (need <= kMaxCached).
  void Cover(double th, int64_t dh, int64_t need) {
    if (th != theta || dh != Dh) {
      theta = th;
      Dh = dh;
      size = 0;
      table.clear();
    }
    if (need <= size) return;
    const int64_t grown = std::min(kMaxCached, std::max(need, size * 2));
    table.resize(grown * Dh);
    for (int64_t p = size; p < grown; p++) Row(p, table.data() + p * Dh);
    size = grown;
  }
};

// One cache per JS thread (the addon may be loaded by several worker threads).
thread_local RopeTable cache;

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
  if (!a.ok() || rows == 0 || Dh == 0) return nullptr;
  int32_t maxPos = 0;
  for (int64_t r = 0; r < rows; r++) maxPos = std::max(maxPos, pos.data[r]);
  cache.Cover(theta, Dh, std::min<int64_t>(kMaxCached, int64_t{maxPos} + 1));
  const RopeTable& tab = cache;
  const int64_t half = Dh / 2;
  const float* xp = x.data;
  float* o = out.data;
  const int32_t* pp = pos.data;
  const float sign = inverse ? -1.0f : 1.0f;
  ParallelRange(rows, Mul(rows, H, Dh) * kCostRow, [=, &tab](int64_t r0, int64_t r1) {
    std::vector<float> own(Dh);  // for positions outside the table
    for (int64_t r = r0; r < r1; r++) {
      const float* cs;
      if (pp[r] >= 0 && pp[r] < tab.size) {
        cs = tab.table.data() + int64_t{pp[r]} * Dh;
      } else {
        tab.Row(pp[r], own.data());
        cs = own.data();
      }
      const float* c = cs;
      const float* s = cs + half;
      for (int64_t h = 0; h < H; h++) {
        const float* xr = xp + (r * H + h) * Dh;
        float* orow = o + (r * H + h) * Dh;
        // Reads both halves before writing, so out === x works.
#pragma omp simd
        for (int64_t i = 0; i < half; i++) {
          const float x1 = xr[i], x2 = xr[i + half], si = sign * s[i];
          orow[i] = x1 * c[i] - x2 * si;
          orow[i + half] = x2 * c[i] + x1 * si;
        }
      }
    }
  });
  return nullptr;
}

}  // namespace

void RegisterRope(napi_env env, napi_value exports) { SetFn(env, exports, "rope", Rope); }

}  // namespace ops
}  // namespace distil
