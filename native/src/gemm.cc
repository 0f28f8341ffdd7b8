// SGEMM: the Node-API binding (argument validation) and the threading policy.
//   sgemm(transA, transB, M, N, K, alpha, a, lda, b, ldb, beta, c, ldc, batch, strideA, strideB, strideC)
// C[i] = alpha * op(A[i]) @ op(B[i]) + beta * C[i] for i < batch, row-major, leading dimensions
// lda/ldb/ldc as stored. A stride of 0 broadcasts that operand. strideC = 0 with batch > 1 runs
// the items one after another on the one C, each as C = alpha * op(A[i]) @ op(B[i]) + beta * C
// (the literal reading of the Kernels contract, as the TypeScript reference does): with
// beta = 1 that sums every item into C. beta = 0 overwrites C without reading it.
//
// Threads: a big matrix is split inside (row or column blocks of C, each thread packing its own
// operands); a batch of small matrices is split across items, never inside each (fork/join and
// packing overhead would dominate); tiny problems run on the calling thread only, and so does
// everything for a while after the machine proved too busy for a second thread (see below).
#include <omp.h>
#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include "contention.h"
#include "gemm_packed.h"
#include "gemm_problem.h"
#include "gemm_small.h"
#include "napi_util.h"

namespace distil {
namespace gemm {

// Multiply-adds below which waking a second thread costs more than it saves (a few microseconds).
constexpr double kParallelWork = 1 << 18;

// C = beta * C for one item (alpha == 0 or K == 0: op(A) @ op(B) contributes nothing).
static void ScaleC(float* c, int64_t ldc, int64_t M, int64_t N, float beta) {
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) c[i * ldc + j] = beta == 0.f ? 0.f : beta * c[i * ldc + j];
}

// One rectangle of one item's C, on the calling thread.
static void RunBlock(const Problem& p, int64_t b, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  const View A = OpA(p, b), B = OpB(p, b);
  float* C = p.c + b * p.strideC;
  if (p.M <= kSmallM)
    SmallBlock(A, B, p.transB, C, p.ldc, p.M, p.K, n0, n1, p.alpha, p.beta);  // never split in M
  else if (p.N <= kSmallM)
    SmallColsBlock(A, B, C, p.ldc, p.N, p.K, m0, m1, p.alpha, p.beta);  // never split in N
  else
    PackedBlock(A, B, C, p.ldc, p.K, m0, m1, n0, n1, p.alpha, p.beta);
}

// The contention guard (contention.h): after a threaded call whose helper got no core, products
// stay on the calling thread for a while.

// Start of part `i` of `parts` when [0, len) is cut at multiples of `unit`.
static int64_t Cut(int64_t len, int64_t parts, int64_t i, int64_t unit) {
  const int64_t units = (len + unit - 1) / unit;
  return std::min(len, units * i / parts * unit);
}

// Items run independently (C items do not overlap).
static void RunItems(const Problem& p) {
  const int nt = omp_get_max_threads();
  const double work = double(p.M) * double(p.N) * double(p.K) * double(p.batch);
  if (nt <= 1 || work < kParallelWork || Contended()) {
    for (int64_t b = 0; b < p.batch; ++b) RunBlock(p, b, 0, p.M, 0, p.N);
    return;
  }
  // Cut each item into just enough parts that the tasks divide evenly among the threads
  // (batch 1 -> nt parts; a batch that is a multiple of nt -> whole items).
  // Splitting M, each thread packs all of B and its share of A; splitting N, the reverse. Pick the
  // cheaper: a transposed operand costs about twice as much to pack (strided reads).
  const bool smallM = p.M <= kSmallM, smallN = !smallM && p.N <= kSmallM;
  const double packA = p.transA ? 2 : 1, packB = p.transB ? 2 : 1;
  const bool alongM = smallN || (!smallM && packB * double(p.N) < packA * double(p.M));
  const int64_t unit = smallM || smallN ? 64 : alongM ? MR : NR;
  const int64_t len = alongM ? p.M : p.N;
  int64_t parts = nt / std::gcd<int64_t>(p.batch, nt);
  parts = std::max<int64_t>(1, std::min(parts, (len + unit - 1) / unit));
  const int64_t tasks = p.batch * parts;
  const int threads = int(std::min<int64_t>(nt, tasks));
  GuardedParallel(threads, [&](int64_t tid, int64_t nth) {
    // Contiguous equal shares of the task list, one per thread.
    for (int64_t t = tasks * tid / nth; t < tasks * (tid + 1) / nth; ++t) {
      const int64_t b = t / parts, i = t % parts;
      const int64_t lo = Cut(len, parts, i, unit), hi = Cut(len, parts, i + 1, unit);
      if (lo >= hi) continue;
      if (alongM) RunBlock(p, b, lo, hi, 0, p.N);
      else RunBlock(p, b, 0, p.M, lo, hi);
    }
  });
}

static void Run(const Problem& p) {
  if (p.M == 0 || p.N == 0 || p.batch == 0) return;
  const bool reduce = p.batch > 1 && p.strideC == 0;
  if (p.K == 0 || p.alpha == 0.f) {  // C = beta * C per item (beta^batch on a shared C)
    for (int64_t b = 0; b < p.batch; ++b) ScaleC(p.c + b * p.strideC, p.ldc, p.M, p.N, p.beta);
    return;
  }
  if (!reduce) return RunItems(p);
  // One C for every item: items one after another (each may still use every thread inside).
  for (int64_t b = 0; b < p.batch; ++b) {
    Problem q = p;
    q.batch = 1;
    q.a = p.a + b * p.strideA;
    q.b = p.b + b * p.strideB;
    RunItems(q);
  }
}

// ---------------------------------------------------------------------------------------------
// Weights packed once. Decoding multiplies the same weights W [N, K] (stored [out, in]) by a few
// dozen rows every step; the generic path re-packs W^T into micro-panels on each call, a
// quarter of the work at 32 rows. Here W^T is packed once per model into exactly the layout
// PackedBlock builds (per K slice of EvenBlock(K, KC) floats, NR-column panels, N padded to
// NR with zeros), and each call only packs its rows of A. Same kernel, same order of sums per
// element, so results equal the generic path's bit for bit.

int64_t PackedWeightsSize(int64_t N, int64_t K) { return (N + NR - 1) / NR * NR * K; }

void PackWeights(const float* w, int64_t N, int64_t K, float* out) {
  const int64_t Np = (N + NR - 1) / NR * NR, kcMax = EvenBlock(K, KC, 1);
  const View B{w, 1, K};  // op(B) = W^T: element (k, n) at w[n * K + k]
  for (int64_t pc = 0; pc < K; pc += kcMax) PackB(B, pc, std::min(kcMax, K - pc), 0, N, out + pc * Np);
}

#ifdef __AVX512F__
// With AVX-512, an 8 x 16 tile takes one zmm per row: 8 accumulators, one load of B and eight
// broadcasts of A per k, twice the multiply-adds per instruction of the 6 x 16 AVX2 kernel. Each
// lane runs the same chain of fused multiply-adds as the AVX2 kernel's, and the store does the
// same operations, so the results are the same bit for bit. A is packed 8 rows per panel.
constexpr int64_t MR8 = 8;

static inline void PackA8(const float* a, int64_t lda, int64_t rows, int64_t k0, int64_t kc, float* out) {
  for (int64_t k = 0; k < kc; ++k)
    for (int64_t r = 0; r < MR8; ++r) out[k * MR8 + r] = r < rows ? a[r * lda + k0 + k] : 0.f;
}

// CP column panels at once (1 or 2): 8 x 32 takes 16 accumulators and two loads of B per eight
// broadcasts of A, so it is bound by the multiply-adds rather than by the loads (8 x 16: one load
// and eight broadcasts per eight multiply-adds); the second panel starts NR * kc floats after b.
template <int CP, bool Prefetch = false>
static inline void Kernel8xN(int64_t kc, const float* __restrict a, const float* __restrict b, float* c,
                             int64_t ldc, int64_t rows, float beta, const float* next = nullptr) {
  __m512 acc[MR8][CP];
  for (int r = 0; r < MR8; ++r)
    for (int p = 0; p < CP; ++p) acc[r][p] = _mm512_setzero_ps();
  const float* b1 = b + NR * kc;
#pragma GCC unroll 4
  for (int64_t k = 0; k < kc; ++k) {
    if (Prefetch) {
      _mm_prefetch(reinterpret_cast<const char*>(next + k * NR), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(next + NR * kc + k * NR), _MM_HINT_T0);
    }
    __m512 bv[CP];
    bv[0] = _mm512_loadu_ps(b + k * NR);
    if (CP == 2) bv[CP - 1] = _mm512_loadu_ps(b1 + k * NR);
#pragma GCC unroll 8
    for (int r = 0; r < MR8; ++r) {
      const __m512 av = _mm512_set1_ps(a[k * MR8 + r]);
#pragma GCC unroll 2
      for (int p = 0; p < CP; ++p) acc[r][p] = _mm512_fmadd_ps(av, bv[p], acc[r][p]);
    }
  }
  // The AVX2 kernel's StoreRow with alpha 1: alpha * acc, or alpha * acc + beta * C fused.
  const __m512 one = _mm512_set1_ps(1.f);
  for (int64_t r = 0; r < rows; ++r)
    for (int p = 0; p < CP; ++p) {
      float* q = c + r * ldc + p * NR;
      _mm512_storeu_ps(q, beta == 0.f ? _mm512_mul_ps(one, acc[r][p])
                                      : _mm512_fmadd_ps(one, acc[r][p], _mm512_mul_ps(_mm512_set1_ps(beta), _mm512_loadu_ps(q))));
    }
}

static inline void Kernel8x16(int64_t kc, const float* __restrict a, const float* __restrict b, float* c,
                              int64_t ldc, int64_t rows, float beta) {
  Kernel8xN<1>(kc, a, b, c, ldc, rows, beta);
}

// One row of C against P panels at once (decoding a single sequence): P accumulators, one
// broadcast of A and P loads of B per k, each panel streamed once and in order. Kernel8x16
// would spend seven of its eight rows on padding and read one panel at a time; this reads the
// weights 1.3x faster (measured on 688 x 256, from L2 and streamed from L3). Each lane is the
// same chain of fused multiply-adds as a row of Kernel8x16, stored with the same operations, so
// a row's result does not depend on how many rows are multiplied with it.
template <int P>
static inline void KernelRow(int64_t kc, const float* __restrict a, const float* __restrict b, int64_t panelStride,
                             float* c, float beta) {
  __m512 acc[P];
  for (int p = 0; p < P; ++p) acc[p] = _mm512_setzero_ps();
#pragma GCC unroll 4
  for (int64_t k = 0; k < kc; ++k) {
    const __m512 av = _mm512_set1_ps(a[k]);
#pragma GCC unroll 4
    for (int p = 0; p < P; ++p) acc[p] = _mm512_fmadd_ps(av, _mm512_loadu_ps(b + p * panelStride + k * NR), acc[p]);
  }
  const __m512 one = _mm512_set1_ps(1.f);
  for (int p = 0; p < P; ++p) {
    float* q = c + p * NR;
    _mm512_storeu_ps(q, beta == 0.f ? _mm512_mul_ps(one, acc[p])
                                    : _mm512_fmadd_ps(one, acc[p], _mm512_mul_ps(_mm512_set1_ps(beta), _mm512_loadu_ps(q))));
  }
}

// Columns [n0, n1) of one row c = a @ W^T from the packed weights (n0 a multiple of NR).
static void PrepackedRow(const float* a, const float* packed, int64_t N, int64_t K, float* c, int64_t n0, int64_t n1) {
  constexpr int kPanels = 4;
  const int64_t Np = (N + NR - 1) / NR * NR, kcMax = EvenBlock(K, KC, 1), full = n0 + (n1 - n0) / NR * NR;
  alignas(64) float tile[NR];
  for (int64_t pc = 0; pc < K; pc += kcMax) {
    const int64_t kc = std::min(kcMax, K - pc);
    const float betaK = pc == 0 ? 0.f : 1.f;
    const float* bp = packed + pc * Np;
    int64_t j = n0;
    for (; j + kPanels * NR <= full; j += kPanels * NR) KernelRow<kPanels>(kc, a + pc, bp + j * kc, NR * kc, c + j, betaK);
    for (; j < full; j += NR) KernelRow<1>(kc, a + pc, bp + j * kc, NR * kc, c + j, betaK);
    if (j < n1) {  // the last, partial panel: as Kernel8x16's edge tiles
      KernelRow<1>(kc, a + pc, bp + j * kc, NR * kc, tile, 0.f);
      for (int64_t t = 0; t < n1 - j; ++t) c[j + t] = betaK == 0.f ? 1.f * tile[t] : std::fma(1.f, tile[t], betaK * c[j + t]);
    }
  }
}
#endif

// C[m0:m1, n0:n1] = A[m0:m1, :] @ W^T[:, n0:n1] (beta 0), n0 a multiple of NR.
static void PrepackedBlock(const float* a, int64_t lda, const float* packed, int64_t N, int64_t K, float* C,
                           int64_t ldc, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  PackBuffers& buf = ThreadBuffers();
  if (!buf.a) {
    std::fprintf(stderr, "distil sgemm: cannot allocate packing buffers\n");
    std::abort();
  }
  const int64_t Np = (N + NR - 1) / NR * NR, kcMax = EvenBlock(K, KC, 1), mcMax = EvenBlock(m1 - m0, MC, MR);
  alignas(64) float tile[8 * NR];
#ifdef __AVX512F__
  if (m1 - m0 == 1) {
    PrepackedRow(a + m0 * lda, packed, N, K, C + m0 * ldc, n0, n1);
    return;
  }
  // MC rows of 8-row panels fit the A buffer (sized for MC + MR rows of KC).
  constexpr int64_t mc8 = MC / MR8 * MR8;
  for (int64_t pc = 0; pc < K; pc += kcMax) {
    const int64_t kc = std::min(kcMax, K - pc);
    const float betaK = pc == 0 ? 0.f : 1.f;
    for (int64_t ic = m0; ic < m1; ic += mc8) {
      const int64_t mc = std::min(mc8, m1 - ic);
      for (int64_t ir = 0; ir < mc; ir += MR8) PackA8(a + (ic + ir) * lda, lda, std::min(MR8, mc - ir), pc, kc, buf.a + ir * kc);
      int64_t jr = n0;
      for (; jr + 2 * NR <= n1; jr += 2 * NR) {  // two full panels at a time
        const float* bp = packed + pc * Np + jr * kc;
        // The first row tile pulls the next pair of panels towards L1 while it works: from
        // memory (the weights of a large model do not stay in cache between steps) the hardware
        // prefetcher alone leaves each new panel's first loads waiting.
        if (jr + 4 * NR <= n1)
          Kernel8xN<2, true>(kc, buf.a, bp, C + ic * ldc + jr, ldc, std::min(MR8, mc), betaK, bp + 2 * NR * kc);
        else
          Kernel8xN<2>(kc, buf.a, bp, C + ic * ldc + jr, ldc, std::min(MR8, mc), betaK);
        for (int64_t ir = MR8; ir < mc; ir += MR8)
          Kernel8xN<2>(kc, buf.a + ir * kc, bp, C + (ic + ir) * ldc + jr, ldc, std::min(MR8, mc - ir), betaK);
      }
      for (; jr < n1; jr += NR) {
        const int64_t nr = std::min<int64_t>(NR, n1 - jr);
        const float* bp = packed + pc * Np + jr * kc;
        for (int64_t ir = 0; ir < mc; ir += MR8) {
          const int64_t mr = std::min(MR8, mc - ir);
          float* cp = C + (ic + ir) * ldc + jr;
          if (nr == NR) {
            Kernel8x16(kc, buf.a + ir * kc, bp, cp, ldc, mr, betaK);
          } else {
            Kernel8x16(kc, buf.a + ir * kc, bp, tile, NR, MR8, 0.f);
            for (int64_t i = 0; i < mr; ++i)
              for (int64_t j = 0; j < nr; ++j) {
                float* d = cp + i * ldc + j;
                const float t = tile[i * NR + j];
                *d = betaK == 0.f ? 1.f * t : std::fma(1.f, t, betaK * *d);
              }
          }
        }
      }
    }
  }
  (void)mcMax;
#else
  const View A{a, lda, 1};
  for (int64_t pc = 0; pc < K; pc += kcMax) {
    const int64_t kc = std::min(kcMax, K - pc);
    const float betaK = pc == 0 ? 0.f : 1.f;
    for (int64_t ic = m0; ic < m1; ic += mcMax) {
      const int64_t mc = std::min(mcMax, m1 - ic);
      PackA(A, ic, mc, pc, kc, buf.a);
      for (int64_t jr = n0; jr < n1; jr += NR) {
        const int64_t nr = std::min<int64_t>(NR, n1 - jr);
        const float* bp = packed + pc * Np + jr * kc;
        for (int64_t ir = 0; ir < mc; ir += MR) {
          const int64_t mr = std::min<int64_t>(MR, mc - ir);
          float* cp = C + (ic + ir) * ldc + jr;
          if (mr == MR && nr == NR) {
            Kernel6x16(kc, buf.a + ir * kc, bp, cp, ldc, 1.f, betaK);
          } else {
            Kernel6x16(kc, buf.a + ir * kc, bp, tile, NR, 1.f, 0.f);
            for (int64_t i = 0; i < mr; ++i)
              for (int64_t j = 0; j < nr; ++j) {
                float* d = cp + i * ldc + j;
                const float t = tile[i * NR + j];
                *d = betaK == 0.f ? 1.f * t : std::fma(1.f, t, betaK * *d);
              }
          }
        }
      }
    }
  }
#endif
}

// C [M, N] = A [M, K] @ W^T with W packed by PackWeights; columns split over the threads.
void LinearPacked(const float* a, int64_t M, const float* packed, int64_t N, int64_t K, float* c) {
  if (M == 0 || N == 0) return;
  if (K == 0) {
    std::fill(c, c + M * N, 0.f);
    return;
  }
  const int nt = omp_get_max_threads();
  const double work = double(M) * double(N) * double(K);
  const int64_t panels = (N + NR - 1) / NR;
  if (nt <= 1 || panels < 2 || work < kParallelWork || Contended()) {
    PrepackedBlock(a, K, packed, N, K, c, N, 0, M, 0, N);
    return;
  }
  const int threads = int(std::min<int64_t>(nt, panels));
  GuardedParallel(threads, [&](int64_t tid, int64_t nth) {
    const int64_t lo = std::min(N, panels * tid / nth * NR), hi = std::min(N, panels * (tid + 1) / nth * NR);
    if (lo < hi) PrepackedBlock(a, K, packed, N, K, c, N, 0, M, lo, hi);
  });
}

}  // namespace gemm

// ---------------------------------------------------------------------------------------------
// Binding

using I128 = __int128;

// A non-negative integer argument (a JS number with no fraction, below 2^53).
static bool GetCount(napi_env env, napi_value v, const char* name, int64_t* out) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok || !std::isfinite(d) || d != std::floor(d) || d < 0 ||
      d > 9007199254740991.0) {
    napi_throw_type_error(env, nullptr, (std::string("sgemm: argument '") + name + "' must be a non-negative integer").c_str());
    return false;
  }
  *out = static_cast<int64_t>(d);
  return true;
}

// Elements a batch of rows x cols matrices (row stride ld, item stride stride) spans.
static I128 Span(int64_t batch, int64_t stride, int64_t rows, int64_t cols, int64_t ld) {
  if (batch == 0 || rows == 0 || cols == 0) return 0;
  return I128(batch - 1) * stride + I128(rows - 1) * ld + cols;
}

static std::string Str(I128 v) { return std::to_string(static_cast<long long>(v)); }

static bool Fail(napi_env env, const std::string& msg) {
  napi_throw_type_error(env, nullptr, ("sgemm: " + msg).c_str());
  return false;
}

// Checks one operand: leading dimension wide enough for a row, buffer long enough for the batch.
static bool CheckOperand(napi_env env, const char* buf, const char* ldName, const char* strideName,
                         size_t length, int64_t batch, int64_t stride, int64_t rows, int64_t cols,
                         int64_t ld, const char* colsName, I128* span) {
  if (ld < std::max<int64_t>(1, cols))
    return Fail(env, std::string("argument '") + ldName + "' (" + std::to_string(ld) + ") must be >= " + colsName +
                         " (" + std::to_string(cols) + ") and >= 1");
  *span = Span(batch, stride, rows, cols, ld);
  if (*span > I128(length))
    return Fail(env, std::string("argument '") + buf + "' is too short: " + std::to_string(rows) + "x" +
                         std::to_string(cols) + " with " + ldName + "=" + std::to_string(ld) + ", batch=" +
                         std::to_string(batch) + ", " + strideName + "=" + std::to_string(stride) + " needs " +
                         Str(*span) + " elements, it has " + std::to_string(length));
  return true;
}

static bool Overlap(const float* x, I128 nx, const float* y, I128 ny) {
  if (nx == 0 || ny == 0) return false;
  return x < y + static_cast<int64_t>(ny) && y < x + static_cast<int64_t>(nx);
}

static napi_value Sgemm(napi_env env, napi_callback_info info) {
  napi_value argv[17];
  if (!GetArgs(env, info, 17, argv, "sgemm")) return nullptr;
  gemm::Problem p{};
  double alpha, beta;
  F32View a, b, c;
  if (!GetBool(env, argv[0], "transA", &p.transA) || !GetBool(env, argv[1], "transB", &p.transB) ||
      !GetCount(env, argv[2], "M", &p.M) || !GetCount(env, argv[3], "N", &p.N) || !GetCount(env, argv[4], "K", &p.K) ||
      !GetF64(env, argv[5], "alpha", &alpha) || !GetF32(env, argv[6], "a", &a) ||
      !GetCount(env, argv[7], "lda", &p.lda) || !GetF32(env, argv[8], "b", &b) ||
      !GetCount(env, argv[9], "ldb", &p.ldb) || !GetF64(env, argv[10], "beta", &beta) ||
      !GetF32(env, argv[11], "c", &c) || !GetCount(env, argv[12], "ldc", &p.ldc) ||
      !GetCount(env, argv[13], "batch", &p.batch) || !GetCount(env, argv[14], "strideA", &p.strideA) ||
      !GetCount(env, argv[15], "strideB", &p.strideB) || !GetCount(env, argv[16], "strideC", &p.strideC))
    return nullptr;
  p.alpha = static_cast<float>(alpha);
  p.beta = static_cast<float>(beta);
  p.a = a.data; p.b = b.data; p.c = c.data;

  // As stored: A is M x K (K x M when transposed), B is K x N (N x K when transposed).
  I128 spanA, spanB, spanC;
  if (!CheckOperand(env, "a", "lda", "strideA", a.length, p.batch, p.strideA, p.transA ? p.K : p.M,
                    p.transA ? p.M : p.K, p.lda, p.transA ? "M" : "K", &spanA) ||
      !CheckOperand(env, "b", "ldb", "strideB", b.length, p.batch, p.strideB, p.transB ? p.N : p.K,
                    p.transB ? p.K : p.N, p.ldb, p.transB ? "K" : "N", &spanB) ||
      !CheckOperand(env, "c", "ldc", "strideC", c.length, p.batch, p.strideC, p.M, p.N, p.ldc, "N", &spanC))
    return nullptr;
  // Items of C must not overlap (threads write them concurrently), except strideC = 0 (one C,
  // items run in turn).
  // Allowed: items one after another, or interleaved within each row (e.g. heads of [T, H, D]).
  if (p.batch > 1 && p.strideC != 0 && p.M > 0 && p.N > 0) {
    const bool sequential = I128(p.strideC) >= I128(p.M - 1) * p.ldc + p.N;
    const bool interleaved = p.strideC >= p.N && I128(p.batch - 1) * p.strideC + p.N <= p.ldc;
    if (!sequential && !interleaved) {
      Fail(env, "argument 'strideC' (" + std::to_string(p.strideC) + ") makes the " + std::to_string(p.batch) +
                    " items of C overlap (strideC 0 with beta 1 sums them into one C)");
      return nullptr;
    }
  }
  // C is written while A and B are read (after packing, in blocks): sharing memory corrupts both.
  if (Overlap(p.c, spanC, p.a, spanA)) { Fail(env, "'c' must not share memory with 'a'"); return nullptr; }
  if (Overlap(p.c, spanC, p.b, spanB)) { Fail(env, "'c' must not share memory with 'b'"); return nullptr; }

  gemm::Run(p);
  return nullptr;
}

static void Plain(napi_env env, const std::string& msg) { napi_throw_type_error(env, nullptr, msg.c_str()); }

// packWeights(w, N, K, out): W [N, K] into the panel layout linearPacked reads (out: packedWeightsSize floats).
static napi_value PackWeightsFn(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!GetArgs(env, info, 4, argv, "packWeights")) return nullptr;
  F32View w, out;
  int64_t N, K;
  if (!GetF32(env, argv[0], "w", &w) || !GetCount(env, argv[1], "N", &N) || !GetCount(env, argv[2], "K", &K) ||
      !GetF32(env, argv[3], "out", &out))
    return nullptr;
  if (I128(N) * K != I128(w.length)) { Plain(env, "packWeights: 'w' must hold N * K values"); return nullptr; }
  if (I128(gemm::PackedWeightsSize(N, K)) != I128(out.length)) {
    Plain(env, "packWeights: 'out' must hold " + std::to_string(gemm::PackedWeightsSize(N, K)) + " values");
    return nullptr;
  }
  gemm::PackWeights(w.data, N, K, out.data);
  return nullptr;
}

// misalignment(buf): the byte offset of a Float32Array's first element past a 64-byte boundary
// (a cache line), so that the TypeScript side can place large buffers on cache-line boundaries.
static napi_value MisalignmentFn(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!GetArgs(env, info, 1, argv, "misalignment")) return nullptr;
  F32View b;
  if (!GetF32(env, argv[0], "buf", &b)) return nullptr;
  napi_value out;
  napi_create_int32(env, static_cast<int32_t>(reinterpret_cast<uintptr_t>(b.data) % 64), &out);
  return out;
}

// linearPacked(x, M, packed, N, K, out): out [M, N] = x [M, K] @ W^T for W packed by packWeights.
static napi_value LinearPackedFn(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  if (!GetArgs(env, info, 6, argv, "linearPacked")) return nullptr;
  F32View x, packed, out;
  int64_t M, N, K;
  if (!GetF32(env, argv[0], "x", &x) || !GetCount(env, argv[1], "M", &M) || !GetF32(env, argv[2], "packed", &packed) ||
      !GetCount(env, argv[3], "N", &N) || !GetCount(env, argv[4], "K", &K) || !GetF32(env, argv[5], "out", &out))
    return nullptr;
  if (I128(M) * K > I128(x.length)) { Plain(env, "linearPacked: 'x' holds fewer than M * K values"); return nullptr; }
  if (I128(M) * N > I128(out.length)) { Plain(env, "linearPacked: 'out' holds fewer than M * N values"); return nullptr; }
  if (I128(gemm::PackedWeightsSize(N, K)) != I128(packed.length)) {
    Plain(env, "linearPacked: 'packed' does not have the size packWeights gives for N x K");
    return nullptr;
  }
  if (Overlap(out.data, I128(M) * N, x.data, I128(M) * K) || Overlap(out.data, I128(M) * N, packed.data, I128(packed.length))) {
    Plain(env, "linearPacked: 'out' must not share memory with 'x' or 'packed'");
    return nullptr;
  }
  gemm::LinearPacked(x.data, M, packed.data, N, K, out.data);
  return nullptr;
}

void RegisterGemm(napi_env env, napi_value exports) {
  SetFn(env, exports, "sgemm", Sgemm);
  SetFn(env, exports, "packWeights", PackWeightsFn);
  SetFn(env, exports, "linearPacked", LinearPackedFn);
  SetFn(env, exports, "misalignment", MisalignmentFn);
}

}  // namespace distil
