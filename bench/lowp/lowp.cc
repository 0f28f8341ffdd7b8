// Prototype: what lower-precision weights would buy distil's decode GEMMs (C = A @ W^T, W
// [N, K] packed once, A a few rows). Three kernels over the same loop nest, one thread, timed
// by thread CPU time so other processes' time slices do not count:
//   f32  - the shape of distil's AVX-512 packed kernel: 8 rows x 16 columns, one zmm per row,
//          16 multiply-adds per instruction, 4 bytes of weight per multiply-add;
//   bf16 - weights and activations rounded to bfloat16, VDPBF16PS (AVX512_BF16): 32
//          multiply-adds per instruction into f32 accumulators, 2 bytes of weight;
//   int8 - weights int8 with one scale per output column, activations uint8 with one scale
//          per row, VPDPBUSD (AVX512_VNNI): 64 multiply-adds per instruction into int32, 1 byte
//          of weight.
// Prints one JSON line per shape: microseconds per call of each and the largest error against
// the f32 result relative to its largest magnitude. Built and run by bench/lowp_kernel.ts.
#include <immintrin.h>
#include <time.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

namespace {

constexpr int NR = 16, MR = 8;

double ThreadSeconds() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

// ---- f32: W^T in panels of 16 columns, k-major inside a panel.
struct F32 {
  int N, K, Np;
  std::vector<float> w;
  F32(const float* W, int N_, int K_) : N(N_), K(K_), Np((N_ + NR - 1) / NR * NR), w(size_t(Np) * K_) {
    for (int n = 0; n < N; n++)
      for (int k = 0; k < K; k++) w[size_t(n / NR) * K * NR + size_t(k) * NR + n % NR] = W[size_t(n) * K + k];
  }
  void Run(const float* a, int M, float* c) const {
    alignas(64) float ap[MR * 4096];
    for (int m0 = 0; m0 < M; m0 += MR) {
      const int rows = std::min(MR, M - m0);
      for (int k = 0; k < K; k++)
        for (int r = 0; r < MR; r++) ap[k * MR + r] = r < rows ? a[size_t(m0 + r) * K + k] : 0.f;
      for (int p = 0; p < Np / NR; p++) {
        const float* b = w.data() + size_t(p) * K * NR;
        __m512 acc[MR];
        for (int r = 0; r < MR; r++) acc[r] = _mm512_setzero_ps();
        for (int k = 0; k < K; k++) {
          const __m512 bv = _mm512_loadu_ps(b + k * NR);
#pragma GCC unroll 8
          for (int r = 0; r < MR; r++) acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(ap[k * MR + r]), bv, acc[r]);
        }
        const int cols = std::min(NR, N - p * NR);
        const __mmask16 mask = cols == NR ? 0xFFFF : __mmask16((1u << cols) - 1);
        for (int r = 0; r < rows; r++) _mm512_mask_storeu_ps(c + size_t(m0 + r) * N + p * NR, mask, acc[r]);
      }
    }
  }
};

// ---- bf16: pairs (k, k+1) of a column side by side, 16 columns per panel (32 bf16 = one zmm).
uint16_t ToBf16(float f) {  // round to nearest even
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return uint16_t((u + 0x7FFF + ((u >> 16) & 1)) >> 16);
}

struct Bf16 {
  int N, K, Kp, Np;
  std::vector<uint16_t> w;
  Bf16(const float* W, int N_, int K_) : N(N_), K(K_), Kp((K_ + 1) / 2 * 2), Np((N_ + NR - 1) / NR * NR), w(size_t(Np) * Kp) {
    for (int n = 0; n < N; n++)
      for (int k = 0; k < K; k++)
        w[size_t(n / NR) * Kp * NR + size_t(k / 2) * 2 * NR + (n % NR) * 2 + k % 2] = ToBf16(W[size_t(n) * K + k]);
  }
  void Run(const float* a, int M, float* c) const {
    alignas(64) uint32_t ap[MR * 2048];  // per k pair and row: two bf16 of A in one 32-bit word
    for (int m0 = 0; m0 < M; m0 += MR) {
      const int rows = std::min(MR, M - m0);
      for (int k2 = 0; k2 < Kp / 2; k2++)
        for (int r = 0; r < MR; r++) {
          const float* row = a + size_t(m0 + r) * K;
          const uint32_t lo = r < rows ? ToBf16(row[2 * k2]) : 0, hi = r < rows && 2 * k2 + 1 < K ? ToBf16(row[2 * k2 + 1]) : 0;
          ap[k2 * MR + r] = lo | (hi << 16);
        }
      for (int p = 0; p < Np / NR; p++) {
        const uint16_t* b = w.data() + size_t(p) * Kp * NR;
        __m512 acc[MR];
        for (int r = 0; r < MR; r++) acc[r] = _mm512_setzero_ps();
        for (int k2 = 0; k2 < Kp / 2; k2++) {
          const __m512bh bv = (__m512bh)_mm512_loadu_si512(b + size_t(k2) * 2 * NR);
#pragma GCC unroll 8
          for (int r = 0; r < MR; r++) acc[r] = _mm512_dpbf16_ps(acc[r], (__m512bh)_mm512_set1_epi32(int(ap[k2 * MR + r])), bv);
        }
        const int cols = std::min(NR, N - p * NR);
        const __mmask16 mask = cols == NR ? 0xFFFF : __mmask16((1u << cols) - 1);
        for (int r = 0; r < rows; r++) _mm512_mask_storeu_ps(c + size_t(m0 + r) * N + p * NR, mask, acc[r]);
      }
    }
  }
};

// ---- int8: groups of 4 k of a column side by side (64 int8 = one zmm per 16 columns).
// Activations are made unsigned (q + 128) for VPDPBUSD; the 128 * sum_k w term is removed
// with a per-column sum computed at packing time.
struct Int8 {
  int N, K, Kp, Np;
  std::vector<int8_t> w;
  std::vector<float> scale;    // per column
  std::vector<int32_t> colsum; // per column, of the int8 weights
  Int8(const float* W, int N_, int K_) : N(N_), K(K_), Kp((K_ + 3) / 4 * 4), Np((N_ + NR - 1) / NR * NR),
                                         w(size_t(Np) * Kp), scale(Np, 0.f), colsum(Np, 0) {
    for (int n = 0; n < N; n++) {
      float mx = 0;
      for (int k = 0; k < K; k++) mx = std::max(mx, std::fabs(W[size_t(n) * K + k]));
      scale[n] = mx > 0 ? mx / 127.f : 1.f;
      for (int k = 0; k < K; k++) {
        const int q = int(std::lrint(W[size_t(n) * K + k] / scale[n]));
        w[size_t(n / NR) * Kp * NR + size_t(k / 4) * 4 * NR + (n % NR) * 4 + k % 4] = int8_t(q);
        colsum[n] += q;
      }
    }
  }
  void Run(const float* a, int M, float* c) const {
    alignas(64) uint32_t ap[MR * 1024];
    float as[MR];
    for (int m0 = 0; m0 < M; m0 += MR) {
      const int rows = std::min(MR, M - m0);
      for (int r = 0; r < MR; r++) {
        float mx = 0;
        if (r < rows)
          for (int k = 0; k < K; k++) mx = std::max(mx, std::fabs(a[size_t(m0 + r) * K + k]));
        as[r] = mx > 0 ? mx / 127.f : 1.f;
      }
      for (int k4 = 0; k4 < Kp / 4; k4++)
        for (int r = 0; r < MR; r++) {
          uint32_t word = 0;
          for (int j = 0; j < 4; j++) {
            const int k = 4 * k4 + j;
            const int q = r < rows && k < K ? int(std::lrint(a[size_t(m0 + r) * K + k] / as[r])) : 0;
            word |= uint32_t(q + 128) << (8 * j);
          }
          ap[k4 * MR + r] = word;
        }
      for (int p = 0; p < Np / NR; p++) {
        const int8_t* b = w.data() + size_t(p) * Kp * NR;
        __m512i acc[MR];
        for (int r = 0; r < MR; r++) acc[r] = _mm512_setzero_si512();
        for (int k4 = 0; k4 < Kp / 4; k4++) {
          const __m512i bv = _mm512_loadu_si512(b + size_t(k4) * 4 * NR);
#pragma GCC unroll 8
          for (int r = 0; r < MR; r++) acc[r] = _mm512_dpbusd_epi32(acc[r], _mm512_set1_epi32(int(ap[k4 * MR + r])), bv);
        }
        const __m512i bias = _mm512_mullo_epi32(_mm512_loadu_si512(colsum.data() + p * NR), _mm512_set1_epi32(128));
        const __m512 ws = _mm512_loadu_ps(scale.data() + p * NR);
        const int cols = std::min(NR, N - p * NR);
        const __mmask16 mask = cols == NR ? 0xFFFF : __mmask16((1u << cols) - 1);
        for (int r = 0; r < rows; r++) {
          const __m512 v = _mm512_cvtepi32_ps(_mm512_sub_epi32(acc[r], bias));
          _mm512_mask_storeu_ps(c + size_t(m0 + r) * N + p * NR, mask, _mm512_mul_ps(v, _mm512_mul_ps(ws, _mm512_set1_ps(as[r]))));
        }
      }
    }
  }
};

template <class Kernel>
double MicrosPerCall(const Kernel& kern, const float* a, int M, float* c, double minSeconds) {
  kern.Run(a, M, c);
  std::vector<double> per;
  for (int rep = 0; rep < 7; rep++) {
    int calls = 0;
    const double t0 = ThreadSeconds();
    double t;
    do {
      kern.Run(a, M, c);
      calls++;
      t = ThreadSeconds() - t0;
    } while (t < minSeconds / 7);
    per.push_back(1e6 * t / calls);
  }
  std::sort(per.begin(), per.end());
  return per[per.size() / 2];
}

double RelError(const std::vector<float>& ref, const std::vector<float>& got) {
  float mx = 0, err = 0;
  for (size_t i = 0; i < ref.size(); i++) {
    mx = std::max(mx, std::fabs(ref[i]));
    err = std::max(err, std::fabs(ref[i] - got[i]));
  }
  return err / mx;
}

}  // namespace

// Arguments: triples M N K, then the seconds to spend per kernel and shape.
int main(int argc, char** argv) {
  if (argc < 5 || (argc - 2) % 3 != 0) {
    fprintf(stderr, "usage: lowp M N K [M N K ...] SECONDS\n");
    return 2;
  }
  const double seconds = atof(argv[argc - 1]);
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-0.02f, 0.02f);
  std::normal_distribution<float> g(0.f, 1.f);
  for (int i = 1; i + 2 < argc; i += 3) {
    const int M = atoi(argv[i]), N = atoi(argv[i + 1]), K = atoi(argv[i + 2]);
    if (K > 4096) {
      fprintf(stderr, "K at most 4096\n");
      return 2;
    }
    std::vector<float> W(size_t(N) * K), A(size_t(M) * K), c32(size_t(M) * N), cb(size_t(M) * N), ci(size_t(M) * N);
    for (auto& x : W) x = u(rng);  // the benchmark's random weights
    for (auto& x : A) x = g(rng);  // activations after a norm: unit scale
    const F32 f32(W.data(), N, K);
    const Bf16 bf16(W.data(), N, K);
    const Int8 int8(W.data(), N, K);
    const double tf = MicrosPerCall(f32, A.data(), M, c32.data(), seconds);
    const double tb = MicrosPerCall(bf16, A.data(), M, cb.data(), seconds);
    const double ti = MicrosPerCall(int8, A.data(), M, ci.data(), seconds);
    printf("{\"M\":%d,\"N\":%d,\"K\":%d,\"f32_us\":%.2f,\"bf16_us\":%.2f,\"int8_us\":%.2f,\"bf16_err\":%.2e,\"int8_err\":%.2e}\n",
           M, N, K, tf, tb, ti, RelError(c32, cb), RelError(c32, ci));
  }
  return 0;
}
