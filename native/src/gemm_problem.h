// The description of one (batched) SGEMM call, already validated by the binding in gemm.cc.
#pragma once
#include <cstdint>

namespace distil {
namespace gemm {

// C[b] = alpha * op(A[b]) @ op(B[b]) + beta * C[b]; row-major, op(A) is M x K, op(B) is K x N.
struct Problem {
  bool transA, transB;
  int64_t M, N, K;
  float alpha, beta;
  const float* a; int64_t lda;
  const float* b; int64_t ldb;
  float* c; int64_t ldc;
  int64_t batch, strideA, strideB, strideC;
};

// op(X) seen as a plain matrix: element (i, j) lives at p[i * rs + j * cs]. Transposition is
// only a swap of the two strides, so every kernel below handles all four cases alike.
struct View {
  const float* p;
  int64_t rs, cs;
  float at(int64_t i, int64_t j) const { return p[i * rs + j * cs]; }
};

inline View OpA(const Problem& p, int64_t b) {
  const float* base = p.a + b * p.strideA;
  return p.transA ? View{base, 1, p.lda} : View{base, p.lda, 1};
}
inline View OpB(const Problem& p, int64_t b) {
  const float* base = p.b + b * p.strideB;
  return p.transB ? View{base, 1, p.ldb} : View{base, p.ldb, 1};
}

}  // namespace gemm
}  // namespace distil
