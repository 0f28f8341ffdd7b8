// Causal grouped-query attention over the [B, T, H, Dh] layout, forward and backward.
//
// Work is split over (sequence, kv head) pairs: a task packs that head's keys (and values)
// once and serves every query head of its group, and the dk/dv rows it accumulates into
// are its own, so no two threads write the same memory.
//
// Forward (flash-style): query rows are taken in blocks of kBQ and keys streamed in blocks
// of kBK with an online softmax (running max and sum per row), so scratch memory does not
// grow with Tq; the log-sum-exp of each row is saved. Backward recomputes the
// probabilities from that lse, with D_i = sum_j P_ij dP_ij taken from the recomputed rows
// (the forward output is not needed).
//
// Query row i sits at absolute position qOffset + i and sees keys j with
// kvStart[b] <= j < min(qOffset + i + 1, kvLen). A row that sees no key outputs zeros and
// lse = -inf (its backward is zero).
//
// Scores use a transposed copy of the keys (Kt[d][j], in panels of kBK keys), so the inner
// loop runs along 8 keys at a time with one broadcast query element; products with V
// accumulate a whole output row in registers when Dh is a compile-time size (32, 64, 128).
#include "ops.h"  // first: it sets the optimisation pragma for the whole file

#ifdef __AVX__
#include <immintrin.h>
#endif

#include <omp.h>

#include <vector>

#include "contention.h"

namespace distil {
namespace ops {
namespace {

constexpr int64_t kBK = 64;  // keys per block
constexpr int64_t kBQ = 32;  // query rows per block (forward)
// With fewer query rows than this (Tq), scores are plain dot products: packing would cost
// as much as it saves (e.g. one-token decoding against a long cache).
constexpr int64_t kPackMinRows = 4;

struct Dims {
  const float *q, *k, *v;
  int64_t B, Tq, S, kvLen, qOffset, Hq, Hkv, Dh, group;
  float scale;
  const int32_t* kvStart;
  int64_t qStride() const { return Hq * Dh; }   // between consecutive query positions
  int64_t kStride() const { return Hkv * Dh; }  // between consecutive key positions
  int64_t KeyStart(int64_t b) const { return kvStart ? kvStart[b] : 0; }
  // Exclusive end of the keys query row i sees.
  int64_t RowEnd(int64_t i) const { return std::min(qOffset + i + 1, kvLen); }
};

#ifdef __AVX__
// dst[c * dstStride + r] = src[r][c] for an 8 x 8 tile (unpack, shuffle, swap 128-bit halves).
inline void Transpose8(const float* const src[8], float* dst, int64_t dstStride) {
  const __m256 r0 = _mm256_loadu_ps(src[0]), r1 = _mm256_loadu_ps(src[1]), r2 = _mm256_loadu_ps(src[2]);
  const __m256 r3 = _mm256_loadu_ps(src[3]), r4 = _mm256_loadu_ps(src[4]), r5 = _mm256_loadu_ps(src[5]);
  const __m256 r6 = _mm256_loadu_ps(src[6]), r7 = _mm256_loadu_ps(src[7]);
  const __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
  const __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
  const __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
  const __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
  const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
  const __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
  const __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
  const __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
  _mm256_storeu_ps(dst + 0 * dstStride, _mm256_permute2f128_ps(u0, u4, 0x20));
  _mm256_storeu_ps(dst + 1 * dstStride, _mm256_permute2f128_ps(u1, u5, 0x20));
  _mm256_storeu_ps(dst + 2 * dstStride, _mm256_permute2f128_ps(u2, u6, 0x20));
  _mm256_storeu_ps(dst + 3 * dstStride, _mm256_permute2f128_ps(u3, u7, 0x20));
  _mm256_storeu_ps(dst + 4 * dstStride, _mm256_permute2f128_ps(u0, u4, 0x31));
  _mm256_storeu_ps(dst + 5 * dstStride, _mm256_permute2f128_ps(u1, u5, 0x31));
  _mm256_storeu_ps(dst + 6 * dstStride, _mm256_permute2f128_ps(u2, u6, 0x31));
  _mm256_storeu_ps(dst + 7 * dstStride, _mm256_permute2f128_ps(u3, u7, 0x31));
}
#endif

// kt[d * kBK + jj] = rows[jj * stride + d] for jj < n; columns n..kBK are zero.
inline void PackT(const float* rows, int64_t stride, int64_t n, int64_t Dh, float* kt) {
#ifdef __AVX__
  if (Dh % 8 == 0) {
    static const float zeros[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (int64_t j0 = 0; j0 < kBK; j0 += 8) {
      for (int64_t d0 = 0; d0 < Dh; d0 += 8) {
        const float* src[8];
        for (int r = 0; r < 8; r++) src[r] = j0 + r < n ? rows + (j0 + r) * stride + d0 : zeros;
        Transpose8(src, kt + d0 * kBK + j0, kBK);
      }
    }
    return;
  }
#endif
  for (int64_t d = 0; d < Dh; d++) {
    float* dst = kt + d * kBK;
    for (int64_t jj = 0; jj < n; jj++) dst[jj] = rows[jj * stride + d];
    for (int64_t jj = n; jj < kBK; jj++) dst[jj] = 0;
  }
}

// Packs keys [j0, jEnd) into consecutive panels of kBK keys (Dh * kBK floats each).
inline void PackPanels(const float* base, int64_t stride, int64_t j0, int64_t jEnd, int64_t Dh, float* panels) {
  for (int64_t jb = j0; jb < jEnd; jb += kBK) {
    PackT(base + jb * stride, stride, std::min(kBK, jEnd - jb), Dh, panels + (jb - j0) / kBK * Dh * kBK);
  }
}

// Copies n rows of Dh floats at `stride` into consecutive rows. Rows of one head sit
// Hkv * Dh (or Hq * Dh) floats apart, a power-of-two stride that maps them onto a few L1
// sets; streamed many times from there they would keep evicting each other.
inline void Gather(const float* rows, int64_t stride, int64_t n, int64_t Dh, float* out) {
  for (int64_t r = 0; r < n; r++) std::memcpy(out + r * Dh, rows + r * stride, Dh * sizeof(float));
}

// Number of floats the panels of n keys take.
inline int64_t PanelFloats(int64_t n, int64_t Dh) { return (n + kBK - 1) / kBK * kBK * Dh; }

// s[jj] = sum_d x[d] * kt[d][jj] for the first 8 * C columns, in registers. With fewer than
// 8 columns of vectors, the sum over d is split into P interleaved partial sums, so that 8
// independent FMA chains stay in flight (one chain would wait on the FMA latency).
template <int DH, int C>
inline void ScoresPackedC(const float* x, const float* kt, int64_t dh, float* s) {
  constexpr int P = C >= 8 ? 1 : 8 / C;
  const int64_t D = DH > 0 ? DH : dh;
  v8 acc[P][C];
  for (int p = 0; p < P; p++)
    for (int c = 0; c < C; c++) acc[p][c] = Splat(0);
  int64_t d = 0;
  for (; d + P <= D; d += P) {
#pragma GCC unroll 8
    for (int p = 0; p < P; p++) {
      const v8 xd = Splat(x[d + p]);
      const float* kr = kt + (d + p) * kBK;
#pragma GCC unroll 8
      for (int c = 0; c < C; c++) acc[p][c] += xd * Load(kr + 8 * c);
    }
  }
  if constexpr (DH == 0 || DH % P != 0) {  // a runtime Dh may leave a remainder
    for (; d < D; d++) {
      const v8 xd = Splat(x[d]);
      for (int c = 0; c < C; c++) acc[0][c] += xd * Load(kt + d * kBK + 8 * c);
    }
  }
  for (int p = 1; p < P; p++)
    for (int c = 0; c < C; c++) acc[0][c] += acc[p][c];
  for (int c = 0; c < C; c++) Store(s + 8 * c, acc[0][c]);
}

// s[jj] for jj < n (n <= kBK, rounded up to 8; later entries are left as they were), so a
// row on the causal diagonal only pays for the keys it sees.
template <int DH>
inline void ScoresPacked(const float* x, const float* kt, int64_t dh, int64_t n, float* s) {
  static_assert(kBK == 64, "one case per 8 keys");
  switch ((n + 7) / 8) {
    case 1: ScoresPackedC<DH, 1>(x, kt, dh, s); break;
    case 2: ScoresPackedC<DH, 2>(x, kt, dh, s); break;
    case 3: ScoresPackedC<DH, 3>(x, kt, dh, s); break;
    case 4: ScoresPackedC<DH, 4>(x, kt, dh, s); break;
    case 5: ScoresPackedC<DH, 5>(x, kt, dh, s); break;
    case 6: ScoresPackedC<DH, 6>(x, kt, dh, s); break;
    case 7: ScoresPackedC<DH, 7>(x, kt, dh, s); break;
    default: ScoresPackedC<DH, 8>(x, kt, dh, s); break;
  }
}

// s[jj] = x . rows[jj] for jj < n (no packing).
template <int DH>
inline void ScoresDirect(const float* x, const float* rows, int64_t stride, int64_t n, int64_t dh, float* s) {
  const int64_t D = DH > 0 ? DH : dh;
  for (int64_t jj = 0; jj < n; jj++) {
    const float* r = rows + jj * stride;
    float acc = 0;
#pragma omp simd reduction(+ : acc)
    for (int64_t d = 0; d < D; d++) acc += x[d] * r[d];
    s[jj] = acc;
  }
}

// o[d] += sum_{t < n} p[t * pStride] * rows[t * stride + d]: the output row stays in
// registers across all n rows when Dh is a known multiple of 8.
template <int DH>
inline void AxpyRows(float* o, const float* rows, int64_t stride, const float* p, int64_t pStride, int64_t n,
                     int64_t dh) {
  if constexpr (DH > 0 && DH % 8 == 0 && DH <= 128) {
    v8 acc[DH / 8];
#pragma GCC unroll 16
    for (int c = 0; c < DH / 8; c++) acc[c] = Load(o + 8 * c);
    for (int64_t t = 0; t < n; t++) {
      const v8 pt = Splat(p[t * pStride]);
      const float* r = rows + t * stride;
#pragma GCC unroll 16
      for (int c = 0; c < DH / 8; c++) acc[c] += pt * Load(r + 8 * c);
    }
#pragma GCC unroll 16
    for (int c = 0; c < DH / 8; c++) Store(o + 8 * c, acc[c]);
  } else {
    for (int64_t t = 0; t < n; t++) {
      const float pt = p[t * pStride];
      const float* r = rows + t * stride;
#pragma omp simd
      for (int64_t d = 0; d < dh; d++) o[d] += pt * r[d];
    }
  }
}

// Scales the valid scores of a block and masks the rest: s[jj] = scale * s[jj] for jj < lim,
// -inf beyond (so exp gives exactly 0 there). Returns the block's maximum.
inline float ScaleMask(float* s, int64_t lim, float scale) {
  const v8 sc = Splat(scale), ninf = Splat(kNegInf);
  const v8i lane = {0, 1, 2, 3, 4, 5, 6, 7};
  const int32_t l = static_cast<int32_t>(lim);
  const v8i limv = {l, l, l, l, l, l, l, l};
  v8 mx = ninf;
#pragma GCC unroll 8
  for (int c = 0; c < kBK / 8; c++) {
    const v8i idx = lane + 8 * c;
    const v8 x = idx < limv ? Load(s + 8 * c) * sc : ninf;
    Store(s + 8 * c, x);
    mx = mx < x ? x : mx;
  }
  return HMax(mx);
}

// Per-thread scratch of the forward pass.
struct FwdScratch {
  std::vector<float> kt, vc, o, m, l;
  FwdScratch(int64_t Dh, int64_t panelFloats)
      : kt(panelFloats), vc(panelFloats), o(kBQ * Dh), m(kBQ), l(kBQ) {}
};

// All query heads of one (sequence, kv head): the key panels are packed once for the group.
template <int DH>
void ForwardKvHead(const Dims& P, int64_t b, int64_t hk, float* out, float* lse, FwdScratch& w) {
  const int64_t Dh = DH > 0 ? DH : P.Dh;
  const int64_t qs = P.qStride(), ks = P.kStride();
  const float* kBase = P.k + (b * P.S * P.Hkv + hk) * Dh;
  const float* vBase = P.v + (b * P.S * P.Hkv + hk) * Dh;
  const int64_t j0 = P.KeyStart(b), jAll = P.RowEnd(P.Tq - 1);
  // One-token decoding reads each key once: packing would cost as much as it saves.
  const bool packed = P.Tq >= kPackMinRows;
  if (packed && jAll > j0) {
    PackPanels(kBase, ks, j0, jAll, Dh, w.kt.data());
    Gather(vBase + j0 * ks, ks, jAll - j0, Dh, w.vc.data());
  }
  // Value rows: the contiguous copy when there is one.
  const float* vRows = packed ? w.vc.data() - j0 * Dh : vBase;
  const int64_t vStride = packed ? Dh : ks;
  alignas(32) float s[kBK];
  for (int64_t hq = hk * P.group; hq < (hk + 1) * P.group; hq++) {
    const float* qBase = P.q + (b * P.Tq * P.Hq + hq) * Dh;
    float* oBase = out + (b * P.Tq * P.Hq + hq) * Dh;
    for (int64_t i0 = 0; i0 < P.Tq; i0 += kBQ) {
      const int64_t nq = std::min(kBQ, P.Tq - i0);
      std::fill(w.o.begin(), w.o.begin() + nq * Dh, 0.0f);
      std::fill(w.m.begin(), w.m.end(), kNegInf);
      std::fill(w.l.begin(), w.l.end(), 0.0f);
      const int64_t jEnd = P.RowEnd(i0 + nq - 1);
      for (int64_t jb = j0; jb < jEnd; jb += kBK) {
        const int64_t nk = std::min(kBK, jEnd - jb);
        const float* kt = w.kt.data() + (jb - j0) / kBK * Dh * kBK;
        for (int64_t r = 0; r < nq; r++) {
          const int64_t lim = std::min(nk, P.RowEnd(i0 + r) - jb);
          if (lim <= 0) continue;
          const float* qr = qBase + (i0 + r) * qs;
          if (packed) ScoresPacked<DH>(qr, kt, Dh, lim, s);
          else ScoresDirect<DH>(qr, kBase + jb * ks, ks, lim, Dh, s);
          const float mx = std::max(w.m[r], ScaleMask(s, lim, P.scale));
          if (mx == kNegInf) continue;
          const float corr = ExpF(w.m[r] - mx);  // 0 on the row's first block
          float sum = 0;
#pragma omp simd reduction(+ : sum)
          for (int64_t jj = 0; jj < kBK; jj++) {
            s[jj] = ExpF(s[jj] - mx);
            sum += s[jj];
          }
          float* orow = w.o.data() + r * Dh;
          if (corr != 1.0f) {
#pragma omp simd
            for (int64_t d = 0; d < Dh; d++) orow[d] *= corr;
          }
          w.l[r] = w.l[r] * corr + sum;
          w.m[r] = mx;
          AxpyRows<DH>(orow, vRows + jb * vStride, vStride, s, 1, lim, Dh);
        }
      }
      for (int64_t r = 0; r < nq; r++) {
        float* dst = oBase + (i0 + r) * qs;
        const float l = w.l[r];
        const float inv = l > 0 ? 1.0f / l : 0.0f;
        const float* orow = w.o.data() + r * Dh;
        for (int64_t d = 0; d < Dh; d++) dst[d] = orow[d] * inv;
        if (lse) {
          lse[(b * P.Hq + hq) * P.Tq + i0 + r] =
              l > 0 ? static_cast<float>(w.m[r] + std::log(static_cast<double>(l))) : -INFINITY;
        }
      }
    }
  }
}

// Per-thread scratch of the backward pass: K and V panels of one task, and the
// probabilities P and their gradients dP (then dS) of a block of query rows against all
// the keys they see.
struct BwdScratch {
  std::vector<float> kt, vt, kc, qc, gc, p, dp, dkc, dvc;
  int64_t rows;
  BwdScratch(int64_t Dh, int64_t panelFloats, int64_t rows, int64_t span)
      : kt(panelFloats), vt(panelFloats), kc(panelFloats), qc(rows * Dh), gc(rows * Dh), p(rows * span),
        dp(rows * span), dkc(panelFloats), dvc(panelFloats), rows(rows) {}
};

template <int DH>
void BackwardKvHead(const Dims& P, int64_t b, int64_t hk, const float* lse, const float* dOut, float* dq, float* dk,
                    float* dv, BwdScratch& w) {
  const int64_t Dh = DH > 0 ? DH : P.Dh;
  const int64_t qs = P.qStride(), ks = P.kStride();
  const float* kBase = P.k + (b * P.S * P.Hkv + hk) * Dh;
  const float* vBase = P.v + (b * P.S * P.Hkv + hk) * Dh;
  float* dkBase = dk + (b * P.S * P.Hkv + hk) * Dh;
  float* dvBase = dv + (b * P.S * P.Hkv + hk) * Dh;
  const int64_t j0 = P.KeyStart(b), jAll = P.RowEnd(P.Tq - 1);
  if (jAll <= j0) return;  // no query sees a key: every gradient is zero
  const bool packed = P.Tq >= kPackMinRows;
  if (packed) {
    PackPanels(kBase, ks, j0, jAll, Dh, w.kt.data());
    PackPanels(vBase, ks, j0, jAll, Dh, w.vt.data());
    Gather(kBase + j0 * ks, ks, jAll - j0, Dh, w.kc.data());
  }
  // Contiguous copies (when packed) of the rows the dq, dk and dv sums stream through.
  const float* kRows = packed ? w.kc.data() : kBase + j0 * ks;
  const int64_t kStride = packed ? Dh : ks;
  // dk and dv rows are summed in contiguous scratch (same order, same result) and added
  // to the strided gradients once at the end.
  float* dkAcc = packed ? w.dkc.data() : dkBase + j0 * ks;
  float* dvAcc = packed ? w.dvc.data() : dvBase + j0 * ks;
  if (packed) {
    std::fill(w.dkc.begin(), w.dkc.begin() + (jAll - j0) * Dh, 0.0f);
    std::fill(w.dvc.begin(), w.dvc.begin() + (jAll - j0) * Dh, 0.0f);
  }
  alignas(32) float s[kBK], dps[kBK];
  for (int64_t hq = hk * P.group; hq < (hk + 1) * P.group; hq++) {
    const float* qBase = P.q + (b * P.Tq * P.Hq + hq) * Dh;
    const float* gBase = dOut + (b * P.Tq * P.Hq + hq) * Dh;
    float* dqBase = dq + (b * P.Tq * P.Hq + hq) * Dh;
    const float* L = lse + (b * P.Hq + hq) * P.Tq;
    for (int64_t i0 = 0; i0 < P.Tq; i0 += w.rows) {
      const int64_t nq = std::min(w.rows, P.Tq - i0);
      const int64_t jEnd = P.RowEnd(i0 + nq - 1), span = jEnd - j0;
      if (span <= 0) continue;
      // 1. P = exp(scale * q.k - lse) and dP = dOut.v over the block's keys (0 where masked).
      for (int64_t jb = j0; jb < jEnd; jb += kBK) {
        const int64_t nk = std::min(kBK, jEnd - jb);
        const int64_t panel = (jb - j0) / kBK * Dh * kBK;
        for (int64_t r = 0; r < nq; r++) {
          float* pr = w.p.data() + r * span + (jb - j0);
          float* dpr = w.dp.data() + r * span + (jb - j0);
          const float Li = L[i0 + r];
          const int64_t lim = Li > kNegInf ? std::max<int64_t>(0, std::min(nk, P.RowEnd(i0 + r) - jb)) : 0;
          if (lim > 0) {
            const float* qr = qBase + (i0 + r) * qs;
            const float* gr = gBase + (i0 + r) * qs;
            if (packed) {
              ScoresPacked<DH>(qr, w.kt.data() + panel, Dh, lim, s);
              ScoresPacked<DH>(gr, w.vt.data() + panel, Dh, lim, dps);
            } else {
              ScoresDirect<DH>(qr, kBase + jb * ks, ks, lim, Dh, s);
              ScoresDirect<DH>(gr, vBase + jb * ks, ks, lim, Dh, dps);
            }
#pragma omp simd
            for (int64_t jj = 0; jj < lim; jj++) {
              pr[jj] = ExpF(s[jj] * P.scale - Li);
              dpr[jj] = dps[jj];
            }
          }
          for (int64_t jj = lim; jj < nk; jj++) pr[jj] = dpr[jj] = 0;
        }
      }
      // 2. dS = P * (dP - sum_j P dP) * scale, in place of dP.
      for (int64_t r = 0; r < nq; r++) {
        const float* pr = w.p.data() + r * span;
        float* dsr = w.dp.data() + r * span;
        double D = 0;
#pragma omp simd reduction(+ : D)
        for (int64_t j = 0; j < span; j++) D += static_cast<double>(pr[j]) * dsr[j];
        const float Df = static_cast<float>(D);
#pragma omp simd
        for (int64_t j = 0; j < span; j++) dsr[j] = pr[j] * (dsr[j] - Df) * P.scale;
      }
      // 3. dq_i += sum_j dS_ij k_j;  dk_j += sum_i dS_ij q_i;  dv_j += sum_i P_ij dOut_i,
      // each sum only over the (row, key) pairs the causal mask lets through.
      for (int64_t r = 0; r < nq; r++) {
        const int64_t n = std::min(span, P.RowEnd(i0 + r) - j0);
        if (n > 0) AxpyRows<DH>(dqBase + (i0 + r) * qs, kRows, kStride, w.dp.data() + r * span, 1, n, Dh);
      }
      const float *qRows = qBase + i0 * qs, *gRows = gBase + i0 * qs;
      int64_t rowStride = qs;
      if (packed) {
        Gather(qRows, qs, nq, Dh, w.qc.data());
        Gather(gRows, qs, nq, Dh, w.gc.data());
        qRows = w.qc.data();
        gRows = w.gc.data();
        rowStride = Dh;
      }
      for (int64_t j = 0; j < span; j++) {
        // Rows before r0 sit at positions earlier than key j0 + j and give zeros.
        const int64_t r0 = std::min(nq, std::max<int64_t>(0, j0 + j - P.qOffset - i0));
        if (r0 == nq) continue;
        const int64_t off = r0 * span + j;
        AxpyRows<DH>(dkAcc + j * kStride, qRows + r0 * rowStride, rowStride, w.dp.data() + off, span, nq - r0, Dh);
        AxpyRows<DH>(dvAcc + j * kStride, gRows + r0 * rowStride, rowStride, w.p.data() + off, span, nq - r0, Dh);
      }
    }
  }
  if (packed) {
    for (int64_t j = 0; j < jAll - j0; j++) {
      float* dkr = dkBase + (j0 + j) * ks;
      float* dvr = dvBase + (j0 + j) * ks;
      const float* a = w.dkc.data() + j * Dh;
      const float* b2 = w.dvc.data() + j * Dh;
#pragma omp simd
      for (int64_t d = 0; d < Dh; d++) {
        dkr[d] += a[d];
        dvr[d] += b2[d];
      }
    }
  }
}

// Reads and checks the arguments shared by forward and backward, starting at argument `at`
// (B, Tq, S, kvLen, qOffset, Hq, Hkv, Dh, scale, kvStart).
bool ReadDims(Args& a, size_t at, const F32View& q, const F32View& k, const F32View& v, Dims* P) {
  P->B = a.Dim(at, "B");
  P->Tq = a.Dim(at + 1, "Tq");
  P->S = a.Dim(at + 2, "S");
  P->kvLen = a.Dim(at + 3, "kvLen");
  P->qOffset = a.Dim(at + 4, "qOffset");
  P->Hq = a.Dim(at + 5, "Hq");
  P->Hkv = a.Dim(at + 6, "Hkv");
  P->Dh = a.Dim(at + 7, "Dh");
  P->scale = static_cast<float>(a.Num(at + 8, "scale"));
  I32View kvStart = a.I32Opt(at + 9, "kvStart");
  if (!a.ok()) return false;
  a.Check(P->Hkv > 0 && P->Hq % P->Hkv == 0,
          "'Hq' (" + std::to_string(P->Hq) + ") must be a positive multiple of 'Hkv' (" + std::to_string(P->Hkv) + ")");
  a.Check(P->Dh > 0, "'Dh' must be positive");
  a.Check(P->kvLen <= P->S, "'kvLen' (" + std::to_string(P->kvLen) + ") exceeds the key capacity 'S' (" +
                                std::to_string(P->S) + ")");
  a.AtLeast(q, Mul(P->B, P->Tq, P->Hq, P->Dh), "q", "B * Tq * Hq * Dh");
  a.AtLeast(k, Mul(P->B, P->S, P->Hkv, P->Dh), "k", "B * S * Hkv * Dh");
  a.AtLeast(v, Mul(P->B, P->S, P->Hkv, P->Dh), "v", "B * S * Hkv * Dh");
  if (kvStart.data) {
    a.AtLeast(kvStart, P->B, "kvStart", "B");
    for (int64_t b = 0; a.ok() && b < P->B; b++) {
      a.Check(kvStart.data[b] >= 0 && kvStart.data[b] <= P->S,
              "kvStart[" + std::to_string(b) + "] = " + std::to_string(kvStart.data[b]) + " is outside [0, S]");
    }
  }
  if (!a.ok()) return false;
  P->q = q.data;
  P->k = k.data;
  P->v = v.data;
  P->group = P->Hq / P->Hkv;
  P->kvStart = kvStart.data;
  return true;
}

// Keys a task packs: those of the longest row (panels are packed when Tq >= kPackMinRows).
inline int64_t PanelKeys(const Dims& P) {
  return P.Tq >= kPackMinRows ? std::max<int64_t>(0, std::min(P.qOffset + P.Tq, P.kvLen)) : 0;
}

// A decode step's attention (one query row per sequence) over a batch: about 0.15 ms for 32
// sequences of the reference model, a fifth of its decode step on one thread. Split from this
// much work on when the contention guard allows; the general threshold is for the fork/join cost
// of a busy machine, which the guard handles here.
constexpr int64_t kDecodeParallelMin = 1 << 17;

template <int DH>
void ForwardAll(const Dims& P, float* out, float* lse) {
  const int64_t tasks = P.B * P.Hkv;
  const int64_t work = Mul(P.B * P.Hq, P.Tq, std::max<int64_t>(P.kvLen, 1), P.Dh);
  const bool decode = P.Tq == 1 && work >= kDecodeParallelMin && work < kParallelMin;
  const bool par = tasks > 1 && omp_get_max_threads() > 1 && (work >= kParallelMin || (decode && !Contended()));
  if (!par) {  // no parallel region at all: even one kept on one thread costs ~2 us (a decode step's attention)
    FwdScratch w(P.Dh, PanelFloats(PanelKeys(P), P.Dh));
    for (int64_t t = 0; t < tasks; t++) ForwardKvHead<DH>(P, t / P.Hkv, t % P.Hkv, out, lse, w);
    return;
  }
  // Each thread takes (sequence, kv head) tasks in turn (an orphaned worksharing loop: it runs on
  // the team of the region it is called in).
  const auto share = [&] {
    FwdScratch w(P.Dh, PanelFloats(PanelKeys(P), P.Dh));
#pragma omp for schedule(dynamic, 1) nowait
    for (int64_t t = 0; t < tasks; t++) ForwardKvHead<DH>(P, t / P.Hkv, t % P.Hkv, out, lse, w);
  };
  if (decode) {  // small work: split under the contention guard
    GuardedParallel(omp_get_max_threads(), [&](int, int) { share(); });
    return;
  }
#pragma omp parallel
  share();
}

template <int DH>
void BackwardAll(const Dims& P, const float* lse, const float* dOut, float* dq, float* dk, float* dv) {
  const int64_t tasks = P.B * P.Hkv;
  const bool par = Mul(P.B * P.Hq, P.Tq, std::max<int64_t>(P.kvLen, 1), P.Dh) >= kParallelMin && tasks > 1;
  // Query rows per block: as many as keep the P and dP rows of the block within ~128 KB.
  const int64_t rows = std::max<int64_t>(1, std::min<int64_t>(kBQ, 16384 / std::max<int64_t>(P.kvLen, 1)));
#pragma omp parallel if (par)
  {
    const int64_t panel = PanelFloats(PanelKeys(P), P.Dh);
    BwdScratch w(P.Dh, panel, rows, std::max<int64_t>(P.kvLen, 1));
#pragma omp for schedule(dynamic, 1)
    for (int64_t t = 0; t < tasks; t++) BackwardKvHead<DH>(P, t / P.Hkv, t % P.Hkv, lse, dOut, dq, dk, dv, w);
  }
}

// attention(q, k, v, out, lse | null, B, Tq, S, kvLen, qOffset, Hq, Hkv, Dh, scale, kvStart | null)
napi_value Attention(napi_env env, napi_callback_info info) {
  Args a(env, info, 15, "attention");
  F32View q = a.F32(0, "q"), k = a.F32(1, "k"), v = a.F32(2, "v"), out = a.F32(3, "out");
  F32View lse = a.F32Opt(4, "lse");
  Dims P;
  if (!ReadDims(a, 5, q, k, v, &P)) return nullptr;
  a.AtLeast(out, Mul(P.B, P.Tq, P.Hq, P.Dh), "out", "B * Tq * Hq * Dh");
  if (lse.data) a.AtLeast(lse, Mul(P.B, P.Hq, P.Tq), "lse", "B * Hq * Tq");
  if (!a.ok()) return nullptr;
  switch (P.Dh) {
    case 32: ForwardAll<32>(P, out.data, lse.data); break;
    case 64: ForwardAll<64>(P, out.data, lse.data); break;
    case 128: ForwardAll<128>(P, out.data, lse.data); break;
    default: ForwardAll<0>(P, out.data, lse.data);
  }
  return nullptr;
}

// attentionBackward(q, k, v, lse, dOut, dq, dk, dv, B, Tq, S, kvLen, qOffset, Hq, Hkv, Dh, scale, kvStart | null)
napi_value AttentionBackward(napi_env env, napi_callback_info info) {
  Args a(env, info, 18, "attentionBackward");
  F32View q = a.F32(0, "q"), k = a.F32(1, "k"), v = a.F32(2, "v"), lse = a.F32(3, "lse"), dOut = a.F32(4, "dOut");
  F32View dq = a.F32(5, "dq"), dk = a.F32(6, "dk"), dv = a.F32(7, "dv");
  Dims P;
  if (!ReadDims(a, 8, q, k, v, &P)) return nullptr;
  a.AtLeast(lse, Mul(P.B, P.Hq, P.Tq), "lse", "B * Hq * Tq");
  a.AtLeast(dOut, Mul(P.B, P.Tq, P.Hq, P.Dh), "dOut", "B * Tq * Hq * Dh");
  a.AtLeast(dq, Mul(P.B, P.Tq, P.Hq, P.Dh), "dq", "B * Tq * Hq * Dh");
  a.AtLeast(dk, Mul(P.B, P.S, P.Hkv, P.Dh), "dk", "B * S * Hkv * Dh");
  a.AtLeast(dv, Mul(P.B, P.S, P.Hkv, P.Dh), "dv", "B * S * Hkv * Dh");
  if (!a.ok()) return nullptr;
  switch (P.Dh) {
    case 32: BackwardAll<32>(P, lse.data, dOut.data, dq.data, dk.data, dv.data); break;
    case 64: BackwardAll<64>(P, lse.data, dOut.data, dq.data, dk.data, dv.data); break;
    case 128: BackwardAll<128>(P, lse.data, dOut.data, dq.data, dk.data, dv.data); break;
    default: BackwardAll<0>(P, lse.data, dOut.data, dq.data, dk.data, dv.data);
  }
  return nullptr;
}

}  // namespace

void RegisterAttention(napi_env env, napi_value exports) {
  SetFn(env, exports, "attention", Attention);
  SetFn(env, exports, "attentionBackward", AttentionBackward);
}

}  // namespace ops
}  // namespace distil
