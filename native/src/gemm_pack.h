// Packing of op(A) and op(B) into the panel layouts the micro-kernel streams through.
//   A block (mc x kc) -> panels of MR rows: for each k, the MR values of that column.
//   B block (kc x nc) -> panels of NR columns: for each k, the NR values of that row.
// Edges are zero-padded, so the micro-kernel always runs full MR x NR tiles. Transposed
// operands are handled here (8x8 register transposes), so they cost no more than plain ones.
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>
#include "gemm_problem.h"
#ifdef __AVX2__
#include <immintrin.h>
#endif

namespace distil {
namespace gemm {

constexpr int MR = 6;
constexpr int NR = 16;
// Extra floats after a packed A buffer: the vector A packer writes 8 lanes for a 6-float slot.
constexpr int kPackSlack = 16;

#ifdef __AVX2__
// In-register transpose of an 8x8 block: r[i] holds row i on entry, column i on exit.
static inline void Transpose8(__m256 r[8]) {
  __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
  __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
  __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
  __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
  __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE);
  __m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE);
  __m256 s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xEE);
  __m256 s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
  r[0] = _mm256_permute2f128_ps(s0, s4, 0x20); r[1] = _mm256_permute2f128_ps(s1, s5, 0x20);
  r[2] = _mm256_permute2f128_ps(s2, s6, 0x20); r[3] = _mm256_permute2f128_ps(s3, s7, 0x20);
  r[4] = _mm256_permute2f128_ps(s0, s4, 0x31); r[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
  r[6] = _mm256_permute2f128_ps(s2, s6, 0x31); r[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
}
#endif

// Rows [m0, m0+mc) x columns [k0, k0+kc) of op(A) into `out` (MR-row panels, MR*kc floats each).
static inline void PackA(const View& A, int64_t m0, int64_t mc, int64_t k0, int64_t kc, float* out) {
  for (int64_t i = 0; i < mc; i += MR, out += MR * kc) {
    const int64_t mr = std::min<int64_t>(MR, mc - i);
    const float* src = A.p + (m0 + i) * A.rs + k0 * A.cs;
    if (mr == MR && A.cs == 1) {
      // Rows contiguous along k: read 8 k of each row, transpose, write 8 slots of MR.
      int64_t k = 0;
#ifdef __AVX2__
      const __m256 zero = _mm256_setzero_ps();
      for (; k + 8 <= kc; k += 8) {
        __m256 r[8];
        for (int q = 0; q < MR; ++q) r[q] = _mm256_loadu_ps(src + q * A.rs + k);
        r[6] = zero; r[7] = zero;
        Transpose8(r);
        // Each store spills 2 lanes into the next slot, which the next store overwrites
        // (the very last one lands in the next panel or the slack, written later or unused).
        for (int q = 0; q < 8; ++q) _mm256_storeu_ps(out + (k + q) * MR, r[q]);
      }
#endif
      for (; k < kc; ++k)
        for (int q = 0; q < MR; ++q) out[k * MR + q] = src[q * A.rs + k];
    } else if (mr == MR && A.rs == 1) {
      // Transposed A: the MR values of one k are already adjacent. A masked load reads exactly
      // those 6 (never past the matrix); the 8-lane store spills into the next slot as above.
#ifdef __AVX2__
      const __m256i six = _mm256_setr_epi32(-1, -1, -1, -1, -1, -1, 0, 0);
      for (int64_t k = 0; k < kc; ++k) _mm256_storeu_ps(out + k * MR, _mm256_maskload_ps(src + k * A.cs, six));
#else
      for (int64_t k = 0; k < kc; ++k)
        for (int q = 0; q < MR; ++q) out[k * MR + q] = src[k * A.cs + q];
#endif
    } else {
      for (int64_t k = 0; k < kc; ++k)
        for (int q = 0; q < MR; ++q) out[k * MR + q] = q < mr ? src[q * A.rs + k * A.cs] : 0.f;
    }
  }
}

// Rows [k0, k0+kc) x columns [n0, n0+nc) of op(B) into `out` (NR-column panels, NR*kc floats each).
static inline void PackB(const View& B, int64_t k0, int64_t kc, int64_t n0, int64_t nc, float* out) {
  for (int64_t j = 0; j < nc; j += NR, out += NR * kc) {
    const int64_t nr = std::min<int64_t>(NR, nc - j);
    const float* src = B.p + k0 * B.rs + (n0 + j) * B.cs;
    if (nr == NR && B.cs == 1) {
      for (int64_t k = 0; k < kc; ++k) std::memcpy(out + k * NR, src + k * B.rs, NR * sizeof(float));
    } else if (nr == NR && B.rs == 1) {
      // Transposed B: each of the NR columns is contiguous along k; two 8x8 transposes per 8 k.
      int64_t k = 0;
#ifdef __AVX2__
      for (; k + 8 <= kc; k += 8) {
        for (int h = 0; h < 2; ++h) {
          __m256 r[8];
          for (int q = 0; q < 8; ++q) r[q] = _mm256_loadu_ps(src + (h * 8 + q) * B.cs + k);
          Transpose8(r);
          for (int q = 0; q < 8; ++q) _mm256_storeu_ps(out + (k + q) * NR + h * 8, r[q]);
        }
      }
#endif
      for (; k < kc; ++k)
        for (int q = 0; q < NR; ++q) out[k * NR + q] = src[q * B.cs + k];
    } else {
      for (int64_t k = 0; k < kc; ++k)
        for (int q = 0; q < NR; ++q) out[k * NR + q] = q < nr ? src[k * B.rs + q * B.cs] : 0.f;
    }
  }
}

}  // namespace gemm
}  // namespace distil
