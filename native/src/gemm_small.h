// SGEMM for few rows of C (M <= kSmallM): the matrix-vector-like shapes of decoding, where
// packing B would cost as much as the multiply itself. op(A) (at most 8 x K) is copied once,
// contiguous and pre-scaled by alpha; B is then streamed straight from where it lives:
//   B not transposed: rows of B are contiguous in n, so C rows are built 8*NV columns at a time
//                     with the A values broadcast (each element of B read once per row chunk;
//                     one row of C streams whole rows of B instead, see NNRow);
//   B transposed:     columns of op(B) are contiguous in k, so each C entry is a dot product,
//                     NB of them at once to keep enough independent FMA chains in flight.
// Few columns (N <= kSmallM) reuse these kernels on the transposed problem (SmallColsBlock).
// Scalar tails use the same fused operations as the vector lanes, so a value never depends on
// where a block of columns starts (threads cut N at multiples of 64).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>
#include "gemm_problem.h"
#ifdef __AVX2__
#include <immintrin.h>
#endif

namespace distil {
namespace gemm {

constexpr int64_t kSmallM = 8;

#ifdef __AVX2__
static inline float HSum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// R rows x 8*NV columns of C from B not transposed (b points at column j of row 0).
template <int R, int NV>
static inline void NNTile(int64_t K, const float* ac, const float* b, int64_t ldb, float* c,
                          int64_t ldc, float beta) {
  __m256 acc[R][NV];
  for (int r = 0; r < R; ++r)
    for (int v = 0; v < NV; ++v) acc[r][v] = _mm256_setzero_ps();
  for (int64_t k = 0; k < K; ++k) {
    const float* bk = b + k * ldb;
    // Rows of B are ldb apart (often a page or more): the hardware prefetcher does not follow.
    for (int v = 0; v < NV; v += 2) _mm_prefetch(reinterpret_cast<const char*>(bk + 8 * ldb + 8 * v), _MM_HINT_T0);
    __m256 bv[NV];
    for (int v = 0; v < NV; ++v) bv[v] = _mm256_loadu_ps(bk + 8 * v);
    for (int r = 0; r < R; ++r) {
      const __m256 a = _mm256_broadcast_ss(ac + r * K + k);
      for (int v = 0; v < NV; ++v) acc[r][v] = _mm256_fmadd_ps(a, bv[v], acc[r][v]);
    }
  }
  for (int r = 0; r < R; ++r)
    for (int v = 0; v < NV; ++v) {
      float* p = c + r * ldc + 8 * v;
      _mm256_storeu_ps(p, beta == 0.f ? acc[r][v] : _mm256_fmadd_ps(_mm256_set1_ps(beta), _mm256_loadu_ps(p), acc[r][v]));
    }
}

// One row of C from B not transposed (decoding at batch 1): whole rows of B are streamed 8 at a
// time, sequential reads the hardware prefetcher follows, while the C segment (at most 8 KiB)
// stays in L1 between passes. Reading a narrow column block down all K rows instead jumps a
// row stride per load and runs at half this speed.
static inline void NNRow(int64_t K, const float* ac, const float* b, int64_t ldb, float* c,
                         int64_t n0, int64_t n1, float beta) {
  constexpr int64_t kSeg = 2048;
  for (int64_t j0 = n0; j0 < n1; j0 += kSeg) {
    const int64_t j1 = std::min(n1, j0 + kSeg), jv = j0 + (j1 - j0) / 8 * 8;
    for (int64_t j = j0; j < j1; ++j) c[j] = beta == 0.f ? 0.f : beta * c[j];
    int64_t k = 0;
    for (; k + 8 <= K; k += 8) {
      __m256 a[8];
      const float* r[8];
      for (int q = 0; q < 8; ++q) a[q] = _mm256_broadcast_ss(ac + k + q), r[q] = b + (k + q) * ldb;
      for (int64_t j = j0; j < jv; j += 8) {
        __m256 s = _mm256_loadu_ps(c + j);
        for (int q = 0; q < 8; ++q) s = _mm256_fmadd_ps(a[q], _mm256_loadu_ps(r[q] + j), s);
        _mm256_storeu_ps(c + j, s);
      }
      for (int64_t j = jv; j < j1; ++j)
        for (int q = 0; q < 8; ++q) c[j] = std::fma(ac[k + q], r[q][j], c[j]);
    }
    for (; k < K; ++k)
      for (int64_t j = j0; j < j1; ++j) c[j] = std::fma(ac[k], b[k * ldb + j], c[j]);
  }
}

// R rows x NB columns of C from B transposed (b points at column j of op(B), contiguous in k).
template <int R, int NB>
static inline void NTTile(int64_t K, const float* ac, const float* b, int64_t ldb, float* c,
                          int64_t ldc, float beta) {
  __m256 acc[R][NB];
  for (int r = 0; r < R; ++r)
    for (int j = 0; j < NB; ++j) acc[r][j] = _mm256_setzero_ps();
  int64_t k = 0;
  for (; k + 8 <= K; k += 8) {
    __m256 av[R];
    for (int r = 0; r < R; ++r) av[r] = _mm256_loadu_ps(ac + r * K + k);
    for (int j = 0; j < NB; ++j) {
      const __m256 bv = _mm256_loadu_ps(b + j * ldb + k);
      for (int r = 0; r < R; ++r) acc[r][j] = _mm256_fmadd_ps(av[r], bv, acc[r][j]);
    }
  }
  for (int r = 0; r < R; ++r)
    for (int j = 0; j < NB; ++j) {
      float s = HSum(acc[r][j]);
      for (int64_t t = k; t < K; ++t) s = std::fma(ac[r * K + t], b[j * ldb + t], s);
      float* p = c + r * ldc + j;
      *p = beta == 0.f ? s : std::fma(beta, *p, s);
    }
}

// One row of C from B transposed (decoding at batch 1, x @ W^T): NB dot products at once, each
// with two accumulators (k and k + 8) so that twice as many loads of B are in flight; this
// path is bound by how fast rows of B arrive from L2/L3, not by the FMAs.
template <int NB>
static inline void NTRow(int64_t K, const float* ac, const float* b, int64_t ldb, float* c, float beta) {
  __m256 acc0[NB], acc1[NB];
  for (int j = 0; j < NB; ++j) acc0[j] = _mm256_setzero_ps(), acc1[j] = _mm256_setzero_ps();
  int64_t k = 0;
  for (; k + 16 <= K; k += 16) {
    const __m256 a0 = _mm256_loadu_ps(ac + k), a1 = _mm256_loadu_ps(ac + k + 8);
    for (int j = 0; j < NB; ++j) {
      acc0[j] = _mm256_fmadd_ps(a0, _mm256_loadu_ps(b + j * ldb + k), acc0[j]);
      acc1[j] = _mm256_fmadd_ps(a1, _mm256_loadu_ps(b + j * ldb + k + 8), acc1[j]);
    }
  }
  for (; k + 8 <= K; k += 8) {
    const __m256 a0 = _mm256_loadu_ps(ac + k);
    for (int j = 0; j < NB; ++j) acc0[j] = _mm256_fmadd_ps(a0, _mm256_loadu_ps(b + j * ldb + k), acc0[j]);
  }
  for (int j = 0; j < NB; ++j) {
    float s = HSum(_mm256_add_ps(acc0[j], acc1[j]));
    for (int64_t t = k; t < K; ++t) s = std::fma(ac[t], b[j * ldb + t], s);
    c[j] = beta == 0.f ? s : std::fma(beta, c[j], s);
  }
}

// Columns [n0, n1) of R rows of C.
template <int R>
static inline void SmallRows(bool transB, int64_t K, const float* ac, const View& B, float* c,
                             int64_t ldc, int64_t n0, int64_t n1, float beta) {
  int64_t j = n0;
  if (!transB && R == 1) {
    NNRow(K, ac, B.p, B.rs, c, n0, n1, beta);
  } else if (!transB) {
    constexpr int NV = R == 1 ? 8 : R == 2 ? 4 : R == 3 ? 3 : 2;
    for (; j + 8 * NV <= n1; j += 8 * NV) NNTile<R, NV>(K, ac, B.p + j, B.rs, c + j, ldc, beta);
    for (; j + 8 <= n1; j += 8) NNTile<R, 1>(K, ac, B.p + j, B.rs, c + j, ldc, beta);
    for (; j < n1; ++j)  // the last < 8 columns: the same fused operations, one lane at a time
      for (int r = 0; r < R; ++r) {
        float s = 0.f;
        for (int64_t k = 0; k < K; ++k) s = std::fma(ac[r * K + k], B.p[k * B.rs + j], s);
        float* p = c + r * ldc + j;
        *p = beta == 0.f ? s : std::fma(beta, *p, s);
      }
  } else {
    // Every column of a row goes through the same arithmetic whatever its position, so results
    // do not depend on where the threads cut N.
    if (R == 1) {  // 6 columns x 2 accumulators: 12 of the 16 registers
      for (; j + 6 <= n1; j += 6) NTRow<6>(K, ac, B.p + j * B.cs, B.cs, c + j, beta);
      for (; j < n1; ++j) NTRow<1>(K, ac, B.p + j * B.cs, B.cs, c + j, beta);
    } else {
      constexpr int NB = R == 2 ? 4 : R == 3 ? 3 : 2;
      for (; j + NB <= n1; j += NB) NTTile<R, NB>(K, ac, B.p + j * B.cs, B.cs, c + j, ldc, beta);
      for (; j < n1; ++j) NTTile<R, 1>(K, ac, B.p + j * B.cs, B.cs, c + j, ldc, beta);
    }
  }
}
#else
template <int R>
static inline void SmallRows(bool, int64_t K, const float* ac, const View& B, float* c, int64_t ldc,
                             int64_t n0, int64_t n1, float beta) {
  for (int r = 0; r < R; ++r)
    for (int64_t j = n0; j < n1; ++j) {
      float s = 0.f;
      for (int64_t k = 0; k < K; ++k) s += ac[r * K + k] * B.at(k, j);
      float* p = c + r * ldc + j;
      *p = beta == 0.f ? s : s + beta * *p;
    }
}
#endif

// C[0:M, n0:n1] = alpha * op(A) @ op(B)[:, n0:n1] + beta * C[0:M, n0:n1], for M <= kSmallM.
static void SmallBlock(const View& A, const View& B, bool transB, float* C, int64_t ldc, int64_t M,
                       int64_t K, int64_t n0, int64_t n1, float alpha, float beta) {
  thread_local std::vector<float> acBuf;
  acBuf.resize(static_cast<size_t>(M * K));
  float* ac = acBuf.data();
  for (int64_t r = 0; r < M; ++r)
    for (int64_t k = 0; k < K; ++k) ac[r * K + k] = alpha * A.at(r, k);
  // Row chunks share one pass over B: up to 6 rows when B is not transposed, up to 4 when it
  // is (the dot-product tile also keeps R rows of A in registers).
  int64_t r0 = 0;
  while (r0 < M) {
    const int64_t left = M - r0;
    const int64_t R = !transB ? (left <= 6 ? left : 4) : (left <= 4 ? left : left <= 6 ? 3 : 4);
    const float* acr = ac + r0 * K;
    float* cr = C + r0 * ldc;
    switch (R) {
      case 1: SmallRows<1>(transB, K, acr, B, cr, ldc, n0, n1, beta); break;
      case 2: SmallRows<2>(transB, K, acr, B, cr, ldc, n0, n1, beta); break;
      case 3: SmallRows<3>(transB, K, acr, B, cr, ldc, n0, n1, beta); break;
      case 4: SmallRows<4>(transB, K, acr, B, cr, ldc, n0, n1, beta); break;
      case 5: SmallRows<5>(transB, K, acr, B, cr, ldc, n0, n1, beta); break;
      default: SmallRows<6>(transB, K, acr, B, cr, ldc, n0, n1, beta); break;
    }
    r0 += R;
  }
}

// Few columns of C (N <= kSmallM, M larger): decoding with the weights as A, C = W @ h^T.
// Computed as the transposed problem C^T = op(B)^T @ op(A)^T with the few-row kernels above,
// rows [m0, m1) of C at a time, into a small buffer that is then written into C's columns.
static void SmallColsBlock(const View& A, const View& B, float* C, int64_t ldc, int64_t N, int64_t K,
                           int64_t m0, int64_t m1, float alpha, float beta) {
  const int64_t len = m1 - m0;
  thread_local std::vector<float> tBuf;
  tBuf.resize(static_cast<size_t>(N * len));
  const View At{B.p, B.cs, B.rs};                  // op(B)^T: N x K
  const View Bt{A.p + m0 * A.rs, A.cs, A.rs};      // op(A)^T: K x len
  SmallBlock(At, Bt, Bt.rs == 1, tBuf.data(), len, N, K, 0, len, alpha, 0.f);
  for (int64_t i = 0; i < len; ++i)
    for (int64_t j = 0; j < N; ++j) {
      float* p = C + (m0 + i) * ldc + j;
      const float v = tBuf[j * len + i];
      *p = beta == 0.f ? v : std::fma(beta, *p, v);
    }
}

}  // namespace gemm
}  // namespace distil
