// The packed, cache-blocked SGEMM for one block of C, run by one thread.
// Loop nest (outer to inner): NC columns of C -> KC slice of K (pack B: L2/L3) -> MC rows
// (pack A: L2) -> NR-column micro-panel of B (L1) -> MR rows -> 6x16 register-blocked kernel.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include "gemm_pack.h"
#include "gemm_problem.h"
#ifdef __AVX2__
#include <immintrin.h>
#endif

namespace distil {
namespace gemm {

// Block sizes for a core with 32 KiB L1d and 512 KiB L2 (Zen 3): a KC x NR slice of B (16 KiB)
// stays in L1 while the MC x KC block of A (~144 KiB) stays in L2.
constexpr int64_t KC = 256;
constexpr int64_t MC = 144;  // multiple of MR
constexpr int64_t NC = 3072; // multiple of NR

// Writes one MR x NR tile: C = alpha * acc + beta * C. With beta == 0, C is never read, so
// NaN or garbage already in C cannot leak into the result.
#ifdef __AVX2__
static inline void StoreRow(float* c, __m256 lo, __m256 hi, __m256 va, float beta) {
  if (beta == 0.f) {
    _mm256_storeu_ps(c, _mm256_mul_ps(va, lo));
    _mm256_storeu_ps(c + 8, _mm256_mul_ps(va, hi));
  } else {
    const __m256 vb = _mm256_set1_ps(beta);
    _mm256_storeu_ps(c, _mm256_fmadd_ps(va, lo, _mm256_mul_ps(vb, _mm256_loadu_ps(c))));
    _mm256_storeu_ps(c + 8, _mm256_fmadd_ps(va, hi, _mm256_mul_ps(vb, _mm256_loadu_ps(c + 8))));
  }
}

// 12 accumulators (6 rows x 2 vectors of 8) + 2 B vectors + 1 broadcast = 15 of 16 ymm registers.
// B is read with unaligned loads: weights packed once live in JS buffers, which are not 32-byte
// aligned (on aligned addresses these cost the same as aligned loads).
static inline void Kernel6x16(int64_t kc, const float* __restrict a, const float* __restrict b,
                              float* c, int64_t ldc, float alpha, float beta) {
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
  __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
  __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
  __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
  for (int q = 0; q < MR; ++q) _mm_prefetch(reinterpret_cast<const char*>(c + q * ldc), _MM_HINT_T0);
#pragma GCC unroll 4
  for (int64_t k = 0; k < kc; ++k) {
    const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
    __m256 av;
    av = _mm256_broadcast_ss(a + 0); c00 = _mm256_fmadd_ps(av, b0, c00); c01 = _mm256_fmadd_ps(av, b1, c01);
    av = _mm256_broadcast_ss(a + 1); c10 = _mm256_fmadd_ps(av, b0, c10); c11 = _mm256_fmadd_ps(av, b1, c11);
    av = _mm256_broadcast_ss(a + 2); c20 = _mm256_fmadd_ps(av, b0, c20); c21 = _mm256_fmadd_ps(av, b1, c21);
    av = _mm256_broadcast_ss(a + 3); c30 = _mm256_fmadd_ps(av, b0, c30); c31 = _mm256_fmadd_ps(av, b1, c31);
    av = _mm256_broadcast_ss(a + 4); c40 = _mm256_fmadd_ps(av, b0, c40); c41 = _mm256_fmadd_ps(av, b1, c41);
    av = _mm256_broadcast_ss(a + 5); c50 = _mm256_fmadd_ps(av, b0, c50); c51 = _mm256_fmadd_ps(av, b1, c51);
    a += MR;
    b += NR;
  }
  const __m256 va = _mm256_set1_ps(alpha);
  StoreRow(c, c00, c01, va, beta); c += ldc;
  StoreRow(c, c10, c11, va, beta); c += ldc;
  StoreRow(c, c20, c21, va, beta); c += ldc;
  StoreRow(c, c30, c31, va, beta); c += ldc;
  StoreRow(c, c40, c41, va, beta); c += ldc;
  StoreRow(c, c50, c51, va, beta);
}
#else
// Portable fallback: same contract, plain loops (the compiler vectorises what it can).
static inline void Kernel6x16(int64_t kc, const float* __restrict a, const float* __restrict b,
                              float* c, int64_t ldc, float alpha, float beta) {
  float acc[MR][NR] = {};
  for (int64_t k = 0; k < kc; ++k, a += MR, b += NR)
    for (int i = 0; i < MR; ++i)
      for (int j = 0; j < NR; ++j) acc[i][j] += a[i] * b[j];
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < NR; ++j)
      c[i * ldc + j] = beta == 0.f ? alpha * acc[i][j] : std::fma(alpha, acc[i][j], beta * c[i * ldc + j]);
}
#endif

// Per-thread packing buffers, allocated once at their largest size and kept for the thread's life.
struct PackBuffers {
  float* a = nullptr;
  float* b = nullptr;
  PackBuffers() {
    a = Alloc((MC + MR) * KC + kPackSlack);
    b = Alloc((NC + NR) * KC + kPackSlack);
  }
  static float* Alloc(int64_t floats) {  // aligned_alloc wants a size that is a multiple of 64
    return static_cast<float*>(std::aligned_alloc(64, (floats * sizeof(float) + 63) / 64 * 64));
  }
  ~PackBuffers() { std::free(a); std::free(b); }
};

static inline PackBuffers& ThreadBuffers() {
  thread_local PackBuffers buffers;
  return buffers;
}

// Splits `len` into the fewest blocks of at most `cap`, of near-equal size rounded up to `unit`
// (so a K of 300 runs as 152 + 148 rather than 256 + 44).
static inline int64_t EvenBlock(int64_t len, int64_t cap, int64_t unit) {
  const int64_t n = (len + cap - 1) / cap;
  const int64_t per = (len + n - 1) / n;
  return std::min(cap, (per + unit - 1) / unit * unit);
}

#ifdef __AVX512F__
// With AVX-512 the packed path runs tiles of up to 12 x 32: two 6-row panels of A (PackA's
// layout) against two 16-column panels of B (PackB's), 24 zmm accumulators, so each k costs 2
// loads of B and 12 broadcasts of A for 24 fused multiply-adds (the AVX2 kernel does 12 on 8-wide
// registers). Measured on this machine's cores: 1.6-1.9x the FMA throughput of 8-wide registers.
// Every lane runs the chain of fused multiply-adds the AVX2 kernel runs (from zero, k in order)
// and is stored with StoreRow's operations, so results are the same bit for bit.
// RP panels of rows (1 or 2), CP panels of columns (1 or 2); c: RP*MR x CP*NR, row stride ldc.
template <int RP, int CP>
static inline void KernelZ(int64_t kc, const float* __restrict a, const float* __restrict b, float* c, int64_t ldc,
                           float alpha, float beta) {
  constexpr int R = RP * MR;
  __m512 acc[R][CP];
  for (int r = 0; r < R; ++r)
    for (int p = 0; p < CP; ++p) acc[r][p] = _mm512_setzero_ps();
  const float* a1 = a + MR * kc;  // second row panel
  const float* b1 = b + NR * kc;  // second column panel
#pragma GCC unroll 2
  for (int64_t k = 0; k < kc; ++k) {
    __m512 bv[CP];
    bv[0] = _mm512_loadu_ps(b + k * NR);
    if (CP == 2) bv[CP - 1] = _mm512_loadu_ps(b1 + k * NR);
#pragma GCC unroll 12
    for (int r = 0; r < R; ++r) {
      const __m512 av = _mm512_set1_ps(r < MR ? a[k * MR + r] : a1[k * MR + r - MR]);
#pragma GCC unroll 2
      for (int p = 0; p < CP; ++p) acc[r][p] = _mm512_fmadd_ps(av, bv[p], acc[r][p]);
    }
  }
  const __m512 va = _mm512_set1_ps(alpha);
  for (int r = 0; r < R; ++r)
    for (int p = 0; p < CP; ++p) {
      float* q = c + r * ldc + p * NR;
      _mm512_storeu_ps(q, beta == 0.f ? _mm512_mul_ps(va, acc[r][p])
                                      : _mm512_fmadd_ps(va, acc[r][p], _mm512_mul_ps(_mm512_set1_ps(beta), _mm512_loadu_ps(q))));
    }
}

template <int RP, int CP>
static inline void TileZ(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int64_t mr, int64_t nr,
                         float alpha, float beta) {
  if (mr == RP * MR && nr == CP * NR) return KernelZ<RP, CP>(kc, a, b, c, ldc, alpha, beta);
  // Edge tile: the raw sums into a scratch tile, the valid corner stored with the same operations.
  alignas(64) float tile[RP * MR * CP * NR];
  KernelZ<RP, CP>(kc, a, b, tile, CP * NR, 1.f, 0.f);
  for (int64_t i = 0; i < mr; ++i)
    for (int64_t j = 0; j < nr; ++j) {
      float* d = c + i * ldc + j;
      const float t = tile[i * CP * NR + j];
      *d = beta == 0.f ? alpha * t : std::fma(alpha, t, beta * *d);
    }
}

// One packed MC x KC block of A against one packed KC x NC block of B.
static inline void MacroZ(int64_t kc, int64_t mc, int64_t nc, const float* pa, const float* pb, float* c, int64_t ldc,
                          float alpha, float beta) {
  for (int64_t jr = 0; jr < nc; jr += 2 * NR) {
    const int64_t nr = std::min<int64_t>(2 * NR, nc - jr);
    const float* bp = pb + jr * kc;
    for (int64_t ir = 0; ir < mc; ir += 2 * MR) {
      const int64_t mr = std::min<int64_t>(2 * MR, mc - ir);
      const float* ap = pa + ir * kc;
      float* cp = c + ir * ldc + jr;
      if (mr > MR) {
        if (nr > NR) TileZ<2, 2>(kc, ap, bp, cp, ldc, mr, nr, alpha, beta);
        else TileZ<2, 1>(kc, ap, bp, cp, ldc, mr, nr, alpha, beta);
      } else {
        if (nr > NR) TileZ<1, 2>(kc, ap, bp, cp, ldc, mr, nr, alpha, beta);
        else TileZ<1, 1>(kc, ap, bp, cp, ldc, mr, nr, alpha, beta);
      }
    }
  }
}
#endif

// C[m0:m1, n0:n1] = alpha * op(A)[m0:m1, :] @ op(B)[:, n0:n1] + beta * C[m0:m1, n0:n1].
static void PackedBlock(const View& A, const View& B, float* C, int64_t ldc, int64_t K,
                        int64_t m0, int64_t m1, int64_t n0, int64_t n1, float alpha, float beta) {
  PackBuffers& buf = ThreadBuffers();
  if (!buf.a || !buf.b) {  // a few MiB per thread; without them the result would be silently wrong
    std::fprintf(stderr, "distil sgemm: cannot allocate packing buffers\n");
    std::abort();
  }
  const int64_t kcMax = EvenBlock(K, KC, 1);
  const int64_t mcMax = EvenBlock(m1 - m0, MC, MR);
  alignas(32) float tile[MR * NR];
  for (int64_t jc = n0; jc < n1; jc += NC) {
    const int64_t nc = std::min(NC, n1 - jc);
    for (int64_t pc = 0; pc < K; pc += kcMax) {
      const int64_t kc = std::min(kcMax, K - pc);
      const float betaK = pc == 0 ? beta : 1.f;  // later K slices accumulate into C
      PackB(B, pc, kc, jc, nc, buf.b);
      for (int64_t ic = m0; ic < m1; ic += mcMax) {
        const int64_t mc = std::min(mcMax, m1 - ic);
        PackA(A, ic, mc, pc, kc, buf.a);
#ifdef __AVX512F__
        MacroZ(kc, mc, nc, buf.a, buf.b, C + ic * ldc + jc, ldc, alpha, betaK);
        continue;
#endif
        for (int64_t jr = 0; jr < nc; jr += NR) {
          const int64_t nr = std::min<int64_t>(NR, nc - jr);
          const float* bp = buf.b + jr * kc;
          for (int64_t ir = 0; ir < mc; ir += MR) {
            const int64_t mr = std::min<int64_t>(MR, mc - ir);
            const float* ap = buf.a + ir * kc;
            float* cp = C + (ic + ir) * ldc + jc + jr;
            if (mr == MR && nr == NR) {
              Kernel6x16(kc, ap, bp, cp, ldc, alpha, betaK);
            } else {
              // Edge tile: the raw sums into a scratch tile, then the valid corner stored with
              // the very operations of StoreRow, so that an element's value never depends on
              // whether it fell in a full or an edge tile (that is, on how C was split up).
              Kernel6x16(kc, ap, bp, tile, NR, 1.f, 0.f);
              for (int64_t i = 0; i < mr; ++i)
                for (int64_t j = 0; j < nr; ++j) {
                  float* d = cp + i * ldc + j;
                  const float t = tile[i * NR + j];
                  *d = betaK == 0.f ? alpha * t : std::fma(alpha, t, betaK * *d);
                }
            }
          }
        }
      }
    }
  }
}

}  // namespace gemm
}  // namespace distil
