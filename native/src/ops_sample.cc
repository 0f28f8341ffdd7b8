// Drawing one token per row of logits, for a whole decode step at once: the row's maximum,
// log-sum-exp and sum of logits, then a draw at temperature 1 (or the greedy choice).
//
// The result must be the TypeScript reference's to the bit (src/inference/sampling.ts), since
// a sampled token that changes with the kernel set would make a seed mean two things. The
// reference sums Math.exp(x - max) in float64, in index order, and V8's Math.exp is fdlibm's
// exp (v8/src/base/ieee754.cc). So this file evaluates fdlibm's algorithm: the same argument
// reduction, rational approximation and constants, operation for operation, 8 lanes at a time
// (each IEEE operation is correctly rounded per lane, so a lane computes what the scalar code
// computes), with the scalar version for lanes outside the common range. The sums stay
// sequential, in index order, as in the reference. A test compares expF64 with Math.exp bit
// for bit on every branch of the algorithm.
#include "ops.h"  // first: it sets the optimisation pragma for the whole file
// A contracted a*b+c rounds once where fdlibm rounds twice.
#pragma GCC optimize("fp-contract=off")

#include <immintrin.h>

#include <vector>

namespace distil {
namespace ops {
namespace {

// fdlibm's constants (the hexadecimal values are the definition).
inline double Bits(uint64_t u) { return __builtin_bit_cast(double, u); }
const double kLn2Hi = Bits(0x3FE62E42FEE00000ull);
const double kLn2Lo = Bits(0x3DEA39EF35793C76ull);
const double kInvLn2 = Bits(0x3FF71547652B82FEull);
const double kP1 = Bits(0x3FC555555555553Eull);
const double kP2 = Bits(0xBF66C16C16BEBD93ull);
const double kP3 = Bits(0x3F11566AAF25DE2Cull);
const double kP4 = Bits(0xBEBBBD41C5D26BF1ull);
const double kP5 = Bits(0x3E66376972BEA4D0ull);
const double kOverflow = Bits(0x40862E42FEFA39EFull);   // 709.78...
const double kUnderflow = Bits(0xC0874910D52D3051ull);  // -745.13...
const double kE = Bits(0x4005BF0A8B145769ull);
const double kTwoM1000 = Bits(0x0170000000000000ull);
const double kTwo1023 = Bits(0x7FE0000000000000ull);

// exp(x) exactly as fdlibm computes it: x = k ln2 + r, |r| <= ln2 / 2 (r carried as hi - lo),
// exp(r) from a degree-5 rational form, then scaled by 2^k.
double ExpScalar(double x) {
  const uint64_t bits = __builtin_bit_cast(uint64_t, x);
  const uint32_t hx = static_cast<uint32_t>(bits >> 32) & 0x7FFFFFFF;
  const int xsb = static_cast<int>(bits >> 63);
  if (hx >= 0x40862E42) {  // |x| >= 709.78, inf or NaN
    if (hx >= 0x7FF00000) {
      if ((bits & 0x000FFFFFFFFFFFFFull) != 0) return x + x;  // NaN
      return xsb == 0 ? x : 0.0;
    }
    if (x > kOverflow) return std::numeric_limits<double>::infinity();
    if (x < kUnderflow) return 0.0;
  }
  double hi = 0, lo = 0;
  int k = 0;
  if (hx > 0x3FD62E42) {    // |x| > ln2 / 2
    if (hx < 0x3FF0A2B2) {  // and < 1.5 ln2
      if (x == 1.0) return kE;
      hi = x - (xsb ? -kLn2Hi : kLn2Hi);
      lo = xsb ? -kLn2Lo : kLn2Lo;
      k = 1 - xsb - xsb;
    } else {
      k = static_cast<int>(kInvLn2 * x + (xsb ? -0.5 : 0.5));
      const double t = k;
      hi = x - t * kLn2Hi;
      lo = t * kLn2Lo;
    }
    x = hi - lo;
  } else if (hx < 0x3E300000) {  // |x| < 2^-28
    return 1.0 + x;
  }
  const double t = x * x;
  const double c = x - t * (kP1 + t * (kP2 + t * (kP3 + t * (kP4 + t * kP5))));
  if (k == 0) return 1.0 - ((x * c) / (c - 2.0) - x);
  const double y = 1.0 - ((lo - (x * c) / (2.0 - c)) - hi);
  if (k >= -1021) {
    if (k == 1024) return y * 2.0 * kTwo1023;
    return y * __builtin_bit_cast(double, static_cast<uint64_t>(0x3FF + k) << 52);
  }
  return y * __builtin_bit_cast(double, static_cast<uint64_t>(0x3FF + k + 1000) << 52) * kTwoM1000;
}

#if defined(__AVX512F__) && defined(__AVX512DQ__)
#define DISTIL_EXP8 1
// 8 lanes of ExpScalar for x in [-700, -2^-28] (what sampling meets: logit minus the row's
// maximum), where k is in [-1010, 0] and every lane takes the general path, the k = -1 path
// (whose hi and lo are what the general path gives with k = -1) or the k = 0 path (the general
// path's formula with hi = x and lo = 0 gives the same bits: (x c)/(c - 2) is -(x c)/(2 - c)
// exactly). Lanes outside the range are flagged and recomputed by the caller.
inline __m512d Exp8(__m512d x, __mmask8* outside) {
  const __m512d ax = _mm512_abs_pd(x);
  *outside = _mm512_cmp_pd_mask(x, _mm512_set1_pd(-700.0), _CMP_LT_OQ) |
             _mm512_cmp_pd_mask(ax, _mm512_set1_pd(Bits(0x3E30000000000000ull)), _CMP_LT_OQ) |
             _mm512_cmp_pd_mask(x, _mm512_setzero_pd(), _CMP_GT_OQ) | _mm512_cmp_pd_mask(x, x, _CMP_UNORD_Q);
  // The branch thresholds compare the high 32 bits of |x|; as doubles: |x| > hx_thr.ffffffff.
  const __mmask8 reduce = _mm512_cmp_pd_mask(ax, _mm512_set1_pd(Bits(0x3FD62E42FFFFFFFFull)), _CMP_GT_OQ);
  const __mmask8 near = _mm512_cmp_pd_mask(ax, _mm512_set1_pd(Bits(0x3FF0A2B200000000ull)), _CMP_LT_OQ);
  // General path: k = trunc(invln2 * x - 0.5) for x < 0.
  __m512d kd = _mm512_roundscale_pd(_mm512_add_pd(_mm512_mul_pd(_mm512_set1_pd(kInvLn2), x), _mm512_set1_pd(-0.5)),
                                    _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
  kd = _mm512_mask_blend_pd(near, kd, _mm512_set1_pd(-1.0));  // 0.5 ln2 < |x| < 1.5 ln2: k = -1
  kd = _mm512_mask_blend_pd(reduce, _mm512_setzero_pd(), kd);
  // k = -1: hi = x + ln2hi, lo = -ln2lo, which is x - k ln2hi and k ln2lo (products exact).
  const __m512d hi = _mm512_mask_blend_pd(reduce, x, _mm512_sub_pd(x, _mm512_mul_pd(kd, _mm512_set1_pd(kLn2Hi))));
  const __m512d lo = _mm512_mask_blend_pd(reduce, _mm512_setzero_pd(), _mm512_mul_pd(kd, _mm512_set1_pd(kLn2Lo)));
  const __m512d r = _mm512_sub_pd(hi, lo);
  const __m512d t = _mm512_mul_pd(r, r);
  __m512d p = _mm512_add_pd(_mm512_set1_pd(kP4), _mm512_mul_pd(t, _mm512_set1_pd(kP5)));
  p = _mm512_add_pd(_mm512_set1_pd(kP3), _mm512_mul_pd(t, p));
  p = _mm512_add_pd(_mm512_set1_pd(kP2), _mm512_mul_pd(t, p));
  p = _mm512_add_pd(_mm512_set1_pd(kP1), _mm512_mul_pd(t, p));
  const __m512d c = _mm512_sub_pd(r, _mm512_mul_pd(t, p));
  const __m512d q = _mm512_div_pd(_mm512_mul_pd(r, c), _mm512_sub_pd(_mm512_set1_pd(2.0), c));
  const __m512d y = _mm512_sub_pd(_mm512_set1_pd(1.0), _mm512_sub_pd(_mm512_sub_pd(lo, q), hi));
  // 2^k from its exponent bits (k >= -1021 in this range).
  const __m512i e = _mm512_slli_epi64(_mm512_add_epi64(_mm512_cvttpd_epi64(kd), _mm512_set1_epi64(0x3FF)), 52);
  return _mm512_mul_pd(y, _mm512_castsi512_pd(e));
}
#endif

// Where ExpEach reads its arguments: lane i (At), and lanes i..i+7 (At8) on the vector path.
struct Doubles {  // x[i]: expF64, the test's window onto the vector path
  const double* x;
  double At(int64_t i) const { return x[i]; }
#ifdef DISTIL_EXP8
  __m512d At8(int64_t i) const { return _mm512_loadu_pd(x + i); }
#endif
};
struct ShiftedFloats {  // row[i] - m in float64 (exact for floats): a row of logits less its maximum
  const float* row;
  double m;
  double At(int64_t i) const { return static_cast<double>(row[i]) - m; }
#ifdef DISTIL_EXP8
  __m512d At8(int64_t i) const { return _mm512_sub_pd(_mm512_cvtps_pd(_mm256_loadu_ps(row + i)), _mm512_set1_pd(m)); }
#endif
};

// out[i] = exp(src.At(i)) for i < n: Exp8 on whole vectors, ExpScalar for the lanes it flags and
// the tail.
template <class Src>
void ExpEach(const Src& src, int64_t n, double* out) {
  int64_t i = 0;
#ifdef DISTIL_EXP8
  for (; i + 8 <= n; i += 8) {
    __mmask8 outside;
    _mm512_storeu_pd(out + i, Exp8(src.At8(i), &outside));
    for (int l = 0; l < 8; l++)
      if (outside >> l & 1) out[i + l] = ExpScalar(src.At(i + l));
  }
#endif
  for (; i < n; i++) out[i] = ExpScalar(src.At(i));
}

napi_value ExpF64(napi_env env, napi_callback_info info) {
  Args a(env, info, 2, "expF64");
  F64View x = a.F64Array(0, "x"), out = a.F64Array(1, "out");
  a.AtLeast(out, static_cast<int64_t>(x.length), "out", "x.length");
  if (!a.ok()) return nullptr;
  ExpEach(Doubles{x.data}, static_cast<int64_t>(x.length), out.data);
  return nullptr;
}

// sampleRows(logits [B, V], V, rows, us, ids, rowMax, sumExp, sumLogits): for each j, the row
// r = rows[j] of logits: its maximum m, sum of exp(x - m) and sum of x (float64, index order),
// and a token: us[j] >= 0 draws at temperature 1 (the first i where
// u * sumExp - e[0] - ... - e[i] < 0 for u = us[j]), us[j] < 0 takes the first largest logit.
// The caller takes the log of sumExp (Math.log, so that log-sum-exp is the reference's too).
napi_value SampleRows(napi_env env, napi_callback_info info) {
  Args a(env, info, 8, "sampleRows");
  F32View logits = a.F32(0, "logits");
  const int64_t V = a.Dim(1, "V");
  I32View rows = a.I32(2, "rows");
  F64View us = a.F64Array(3, "us");
  I32View ids = a.I32(4, "ids");
  F64View mx = a.F64Array(5, "rowMax"), se = a.F64Array(6, "sumExp"), sl = a.F64Array(7, "sumLogits");
  a.Check(V >= 1 && logits.length % static_cast<size_t>(V) == 0, "'V' must be >= 1 and divide logits' length");
  const int64_t n = static_cast<int64_t>(rows.length);
  a.AtLeast(us, n, "us", "rows.length");
  a.AtLeast(ids, n, "ids", "rows.length");
  a.AtLeast(mx, n, "rowMax", "rows.length");
  a.AtLeast(se, n, "sumExp", "rows.length");
  a.AtLeast(sl, n, "sumLogits", "rows.length");
  if (!a.ok()) return nullptr;
  const int64_t B = static_cast<int64_t>(logits.length) / V;
  for (int64_t j = 0; j < n; j++) {
    a.Check(rows.data[j] >= 0 && rows.data[j] < B, "rows[" + std::to_string(j) + "] = " + std::to_string(rows.data[j]) +
                                                       " is outside the " + std::to_string(B) + " rows of logits");
  }
  if (!a.ok()) return nullptr;
  const float* lp = logits.data;
  const int32_t* rp = rows.data;
  int32_t* idp = ids.data;
  const double* up = us.data;
  double *mxp = mx.data, *sep = se.data, *slp = sl.data;
  ParallelRange(n, Mul(n, V) * kCostExp, [=](int64_t j0, int64_t j1) {
    thread_local std::vector<double> scratch;  // kept: fresh pages cost a fault per 4 KiB
    if (scratch.size() < static_cast<size_t>(V)) scratch.resize(static_cast<size_t>(V));
    double* e = scratch.data();
    for (int64_t j = j0; j < j1; j++) {
      const float* row = lp + static_cast<int64_t>(rp[j]) * V;
      // The reference's scan, not ops.h's MaxOf: of equal maxima (0 and -0) the first must win, as
      // in the reference, and MaxOf's lanes would keep another; a NaN never wins in either.
      float m = kNegInf;
      for (int64_t i = 0; i < V; i++) m = row[i] > m ? row[i] : m;
      double sum = 0, total = 0;
      if (m != kNegInf) {
        ExpEach(ShiftedFloats{row, m}, V, e);
        // Both sums in index order (the reference's), in one loop so their chains overlap.
        for (int64_t i = 0; i < V; i++) {
          sum += e[i];
          total += row[i];
        }
      } else {
        for (int64_t i = 0; i < V; i++) total += row[i];
      }
      mxp[j] = m;
      sep[j] = sum;
      slp[j] = total;
      int32_t id = -1;
      if (up[j] >= 0 && m != kNegInf && std::isfinite(sum)) {
        double u = up[j] * sum;
        for (int64_t i = 0; i < V; i++) {
          u -= e[i];
          if (u < 0) {
            id = static_cast<int32_t>(i);
            break;
          }
        }
      }
      if (id < 0) {  // greedy, or rounding left u >= 0 after the last term
        int64_t best = 0;
        for (int64_t i = 1; i < V; i++)
          if (row[i] > row[best]) best = i;
        id = static_cast<int32_t>(best);
      }
      idp[j] = id;
    }
  });
  return nullptr;
}

}  // namespace

void RegisterSample(napi_env env, napi_value exports) {
  SetFn(env, exports, "expF64", ExpF64);
  SetFn(env, exports, "sampleRows", SampleRows);
}

}  // namespace ops
}  // namespace distil
