/**
 * The kernel set: every numeric routine the engine runs, over flat row-major float32 buffers.
 * Two implementations exist and must agree: `js.ts` (the TypeScript reference, always
 * available, accumulates in float64) and `native.ts` (the C++ addon, threaded).
 * Kernels know nothing of tensors or autograd; the engine's ops call them.
 *
 * Conventions
 * - All buffers are contiguous row-major; a "[R, D]" buffer has R rows of D floats.
 * - Outputs are written, never allocated, so the engine can reuse memory across steps.
 * - Arguments named `accumulate` (or kernels named *Acc) add into the output instead of overwriting
 *   it: gradients of a tensor used twice are summed without a temporary.
 * - Integer inputs (token ids, positions) are Int32Array.
 * - Attention layout is [B, T, H, Dh] (the natural output of a linear layer), so no transposes
 *   are needed around it.
 */
export type F32 = Float32Array;
export type I32 = Int32Array;

/** C[b] = alpha * op(A[b]) @ op(B[b]) + beta * C[b] for b < batch. op(A) is M x K, op(B) is K x N. */
export interface GemmArgs {
  transA: boolean;
  transB: boolean;
  M: number;
  N: number;
  K: number;
  a: F32;
  b: F32;
  c: F32;
  /** Leading dimensions (row strides) of A, B, C as stored. Default: packed (K or M for A, N or K for B, N for C). */
  lda?: number;
  ldb?: number;
  ldc?: number;
  alpha?: number; // default 1
  beta?: number; // default 0 (C is overwritten; NaNs already in C do not leak)
  batch?: number; // default 1
  /** Element offsets between consecutive batch items; 0 broadcasts that operand. Default: packed. */
  strideA?: number;
  strideB?: number;
  strideC?: number;
}

export interface AttentionArgs {
  /** Queries [B, Tq, Hq, Dh]. */
  q: F32;
  /** Keys and values [B, S, Hkv, Dh] where S is the key capacity (the KV cache may be longer than used). */
  k: F32;
  v: F32;
  /** Output [B, Tq, Hq, Dh]. */
  out: F32;
  /** Log-sum-exp of each query's scores [B, Hq, Tq], saved for the backward pass (may be omitted at inference). */
  lse?: F32;
  B: number;
  Tq: number;
  /** Key capacity per sequence (the S dimension of k and v). */
  S: number;
  /** Number of keys in use; query i (absolute position qOffset + i) attends keys j <= qOffset + i, j < kvLen. */
  kvLen: number;
  qOffset: number;
  Hq: number;
  Hkv: number; // Hq % Hkv === 0; query head h uses kv head floor(h / (Hq / Hkv))
  Dh: number;
  scale: number; // usually 1 / sqrt(Dh)
  /** Per sequence, keys before kvStart[b] are masked (left padding in batched sampling). Omitted: 0. */
  kvStart?: I32;
}

export interface AttentionBackwardArgs extends AttentionArgs {
  lse: F32;
  dOut: F32;
  /** Gradients, same shapes as q, k, v; accumulated into (callers zero them first when needed). */
  dq: F32;
  dk: F32;
  dv: F32;
}

/** How a teacher's top-k distribution is closed into a full distribution (docs/losses.md, "Closing a top-k support"). */
export type Support = 'renorm' | 'tail' | 'full';

export interface SoftCrossEntropyArgs {
  /** Student logits [N, V]. */
  logits: F32;
  N: number;
  V: number;
  /** Teacher top-k ids [N, k] and probabilities [N, k] (each row sums to <= 1). */
  ids: I32;
  probs: F32;
  k: number;
  /** renorm: both sides renormalised over the k ids; tail: one extra "everything else" outcome; full: k === V. */
  support: Support;
  /** Weight of each row in the loss (0 skips the row). */
  rowWeights: F32;
  /** Out: per-row cross-entropy H(q, p) over the closed support (unweighted) [N]. */
  lossOut: F32;
  /** Out: d(sum_r w_r * H_r)/dlogits [N, V]; overwritten (or accumulated when `accumulate`). */
  dLogits: F32;
  accumulate?: boolean;
  /** Out (optional): student probability mass on the teacher's k ids, per row [N]. */
  studentMassOut?: F32;
  /** Out (optional): log-sum-exp of each row's logits [N] (the student's log-normaliser). */
  lseOut?: F32;
}

/**
 * One token per listed row of logits [B, V] (a decode step's draws in one call). For row
 * r = rows[j]: rowMax[j] = max, sumExp[j] = sum of exp(x - max) and sumLogits[j] = sum of x,
 * both in float64 and in index order; ids[j] = the first i with
 * us[j] * sumExp[j] - (e[0] + ... + e[i]) < 0 (a draw at temperature 1 from u = us[j] in
 * [0, 1)), or for us[j] < 0 the first largest logit. log-sum-exp = rowMax + log(sumExp) is
 * left to the caller. Both kernel sets give the same bits (Math.exp is fdlibm's exp, which
 * the native kernel evaluates operation for operation).
 */
export interface SampleRowsArgs {
  logits: F32;
  V: number;
  rows: I32;
  us: Float64Array;
  ids: I32;
  rowMax: Float64Array;
  sumExp: Float64Array;
  sumLogits: Float64Array;
}

export interface AdamWArgs {
  param: F32;
  grad: F32;
  m: F32;
  v: F32;
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number; // decoupled: param -= lr * wd * param
  /** 1-based step count, for bias correction. */
  step: number;
}

export interface Kernels {
  readonly name: 'native' | 'js';

  // --- matrix multiply -------------------------------------------------------------------
  sgemm(args: GemmArgs): void;
  /**
   * Weights W [N, K] (stored [out, in]) rearranged once into the layout `linearPacked` streams,
   * for products repeated with the same weights (decoding). The result's layout belongs to the
   * kernel set that made it: pass it only to the same set's `linearPacked`. `out`, when given,
   * is a buffer an earlier call returned for the same N x K, refilled in place (no allocation).
   */
  packWeights(w: F32, N: number, K: number, out?: F32): F32;
  /** out [M, N] = x [M, K] @ W^T, W packed by `packWeights(W, N, K)`. */
  linearPacked(x: F32, M: number, packed: F32, N: number, K: number, out: F32): void;

  // --- elementwise (all of length n = out.length unless stated) ---------------------------
  fill(out: F32, value: number): void;
  copy(src: F32, out: F32): void;
  add(a: F32, b: F32, out: F32): void;
  sub(a: F32, b: F32, out: F32): void;
  mul(a: F32, b: F32, out: F32): void;
  /** out = a * s */
  scale(a: F32, s: number, out: F32): void;
  /** y += alpha * x */
  axpy(alpha: number, x: F32, y: F32): void;
  /** out[r, c] = a[r, c] + bias[c] for a [R, C]. */
  addRowVector(a: F32, bias: F32, R: number, C: number, out: F32): void;
  /** out[c] (+)= sum_r a[r, c]: gradient of a broadcast row vector. */
  sumRows(a: F32, R: number, C: number, out: F32, accumulate: boolean): void;
  /** sum of squares of all elements (float64 accumulation), for gradient-norm clipping. */
  sumSquares(a: F32): number;

  // --- activations -----------------------------------------------------------------------
  silu(x: F32, out: F32): void;
  /** dx (+)= dOut * silu'(x) */
  siluBackward(x: F32, dOut: F32, dx: F32, accumulate: boolean): void;
  /** out = silu(gate) * up */
  swiglu(gate: F32, up: F32, out: F32): void;
  /** dGate, dUp (+)= gradients of silu(gate) * up */
  swigluBackward(gate: F32, up: F32, dOut: F32, dGate: F32, dUp: F32, accumulate: boolean): void;

  // --- row-wise normalisation and softmax over rows of length D ----------------------------
  /** out = x / rms(x) * w; rstd [R] saved for the backward pass. */
  rmsnorm(x: F32, w: F32, R: number, D: number, eps: number, out: F32, rstd: F32): void;
  /** dx (+)= ..., dw += ... (dw always accumulates: it sums over rows and calls). */
  rmsnormBackward(x: F32, w: F32, rstd: F32, dOut: F32, R: number, D: number, dx: F32, dw: F32, accumulateDx: boolean): void;
  softmax(x: F32, R: number, D: number, out: F32): void;
  logSoftmax(x: F32, R: number, D: number, out: F32): void;
  /** Given y = softmax(x): dx (+)= y * (dy - sum(dy * y)). */
  softmaxBackward(y: F32, dy: F32, R: number, D: number, dx: F32, accumulate: boolean): void;
  /** Given y = logSoftmax(x): dx (+)= dy - exp(y) * sum(dy). */
  logSoftmaxBackward(y: F32, dy: F32, R: number, D: number, dx: F32, accumulate: boolean): void;

  // --- rotary position embedding (Hugging Face "rotate_half" convention) -------------------
  /**
   * x [rows, H, Dh] where rows = B * T and positions[row] is that token's absolute position.
   * inverse = true rotates by the negative angle (the backward pass). In place allowed (out === x).
   */
  rope(x: F32, rows: number, H: number, Dh: number, positions: I32, theta: number, inverse: boolean, out: F32): void;

  // --- attention (causal, grouped-query, [B, T, H, Dh] layout) ----------------------------
  attention(args: AttentionArgs): void;
  attentionBackward(args: AttentionBackwardArgs): void;

  // --- embeddings ------------------------------------------------------------------------
  /** out[n] = table[ids[n]] for table [V, D]. */
  embedding(table: F32, ids: I32, D: number, out: F32): void;
  /** dTable[ids[n]] += dOut[n]. */
  embeddingBackward(dOut: F32, ids: I32, D: number, dTable: F32): void;

  // --- losses over logits ------------------------------------------------------------------
  /**
   * Hard-target cross-entropy. targets[n] < 0 is ignored. lossOut[n] = -log p(targets[n]);
   * dLogits (+)= rowWeights[n] * (softmax - onehot).
   */
  crossEntropy(logits: F32, N: number, V: number, targets: I32, rowWeights: F32, lossOut: F32, dLogits: F32, accumulate: boolean): void;
  /** Returns sum_r w_r H_r over rows with w_r != 0, accumulated in float64 in row order. */
  softCrossEntropy(args: SoftCrossEntropyArgs): number;
  /** Per row of x [N, V]: the k largest values, descending (ties: lower id first). */
  topk(x: F32, N: number, V: number, k: number, idsOut: I32, valsOut: F32): void;

  // --- sampling --------------------------------------------------------------------------
  sampleRows(args: SampleRowsArgs): void;

  // --- optimiser -------------------------------------------------------------------------
  adamw(args: AdamWArgs): void;
}
