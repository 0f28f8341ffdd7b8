/**
 * The TypeScript reference of every kernel (see types.ts for the contracts). Plain loops,
 * float64 accumulation wherever a sum runs over more than a handful of terms. Correctness
 * first: the native kernels are tested against these, and the gradient checks run on them.
 */
import type { AdamWArgs, AttentionArgs, AttentionBackwardArgs, F32, GemmArgs, I32, Kernels, SampleRowsArgs, SoftCrossEntropyArgs } from './types.ts';

function sgemm(g: GemmArgs): void {
  const { transA, transB, M, N, K, a, b, c } = g;
  const lda = g.lda ?? (transA ? M : K);
  const ldb = g.ldb ?? (transB ? K : N);
  const ldc = g.ldc ?? N;
  const alpha = g.alpha ?? 1;
  const beta = g.beta ?? 0;
  const batch = g.batch ?? 1;
  const sA = g.strideA ?? M * K;
  const sB = g.strideB ?? K * N;
  const sC = g.strideC ?? M * N;
  const acc = new Float64Array(N);
  for (let bi = 0; bi < batch; bi++) {
    const oa = bi * sA, ob = bi * sB, oc = bi * sC;
    for (let i = 0; i < M; i++) {
      acc.fill(0);
      if (transB && !transA) {
        // Rows of A and of B are both contiguous along k: one dot product per output.
        const ra = oa + i * lda;
        for (let j = 0; j < N; j++) {
          const rb = ob + j * ldb;
          let s = 0;
          for (let p = 0; p < K; p++) s += a[ra + p] * b[rb + p];
          acc[j] = s;
        }
      } else
        for (let p = 0; p < K; p++) {
          const av = transA ? a[oa + p * lda + i] : a[oa + i * lda + p];
          if (transB) for (let j = 0; j < N; j++) acc[j] += av * b[ob + j * ldb + p];
          else {
            const row = ob + p * ldb;
            for (let j = 0; j < N; j++) acc[j] += av * b[row + j];
          }
        }
      const row = oc + i * ldc;
      // beta = 0 overwrites, so NaNs already in C cannot leak through 0 * NaN.
      if (beta === 0) for (let j = 0; j < N; j++) c[row + j] = alpha * acc[j];
      else for (let j = 0; j < N; j++) c[row + j] = alpha * acc[j] + beta * c[row + j];
    }
  }
}

function attention(a: AttentionArgs): void {
  const { q, k, v, out, lse, B, Tq, S, kvLen, qOffset, Hq, Hkv, Dh, scale, kvStart } = a;
  const group = Hq / Hkv;
  const s = new Float64Array(S);
  const o = new Float64Array(Dh);
  for (let b = 0; b < B; b++) {
    const j0 = kvStart ? kvStart[b] : 0;
    for (let i = 0; i < Tq; i++) {
      const j1 = Math.min(qOffset + i + 1, kvLen); // keys [j0, j1)
      for (let h = 0; h < Hq; h++) {
        const kh = Math.floor(h / group);
        const qo = ((b * Tq + i) * Hq + h) * Dh;
        let m = -Infinity;
        for (let j = j0; j < j1; j++) {
          const ko = ((b * S + j) * Hkv + kh) * Dh;
          let d = 0;
          for (let e = 0; e < Dh; e++) d += q[qo + e] * k[ko + e];
          s[j] = d * scale;
          if (s[j] > m) m = s[j];
        }
        o.fill(0);
        let l = 0;
        for (let j = j0; j < j1; j++) {
          const p = Math.exp(s[j] - m);
          l += p;
          const vo = ((b * S + j) * Hkv + kh) * Dh;
          for (let e = 0; e < Dh; e++) o[e] += p * v[vo + e];
        }
        // A query with no visible key (fully masked) outputs zeros and lse = -inf.
        for (let e = 0; e < Dh; e++) out[qo + e] = l > 0 ? o[e] / l : 0;
        if (lse) lse[(b * Hq + h) * Tq + i] = l > 0 ? m + Math.log(l) : -Infinity;
      }
    }
  }
}

function attentionBackward(a: AttentionBackwardArgs): void {
  const { q, k, v, lse, dOut, dq, dk, dv, B, Tq, S, kvLen, qOffset, Hq, Hkv, Dh, scale, kvStart } = a;
  const group = Hq / Hkv;
  const p = new Float64Array(S);
  const dq64 = new Float64Array(Dh);
  for (let b = 0; b < B; b++) {
    const j0 = kvStart ? kvStart[b] : 0;
    for (let i = 0; i < Tq; i++) {
      const j1 = Math.min(qOffset + i + 1, kvLen);
      for (let h = 0; h < Hq; h++) {
        const kh = Math.floor(h / group);
        const qo = ((b * Tq + i) * Hq + h) * Dh;
        const L = lse[(b * Hq + h) * Tq + i];
        if (!(L > -Infinity)) continue;
        // p_j = softmax weights (recomputed from lse); D = sum_j p_j (dOut . v_j).
        let D = 0;
        for (let j = j0; j < j1; j++) {
          const ko = ((b * S + j) * Hkv + kh) * Dh;
          let d = 0, dpv = 0;
          for (let e = 0; e < Dh; e++) {
            d += q[qo + e] * k[ko + e];
            dpv += dOut[qo + e] * v[ko + e];
          }
          p[j] = Math.exp(d * scale - L);
          D += p[j] * dpv;
        }
        dq64.fill(0);
        for (let j = j0; j < j1; j++) {
          const ko = ((b * S + j) * Hkv + kh) * Dh;
          let dpv = 0;
          for (let e = 0; e < Dh; e++) dpv += dOut[qo + e] * v[ko + e];
          const ds = p[j] * (dpv - D) * scale;
          for (let e = 0; e < Dh; e++) {
            dq64[e] += ds * k[ko + e];
            dk[ko + e] += ds * q[qo + e];
            dv[ko + e] += p[j] * dOut[qo + e];
          }
        }
        for (let e = 0; e < Dh; e++) dq[qo + e] += dq64[e];
      }
    }
  }
}

function rowLse(x: F32, o: number, V: number): number {
  let m = -Infinity;
  for (let j = 0; j < V; j++) if (x[o + j] > m) m = x[o + j];
  if (m === -Infinity) return -Infinity;
  let s = 0;
  for (let j = 0; j < V; j++) s += Math.exp(x[o + j] - m);
  return m + Math.log(s);
}

function crossEntropy(logits: F32, N: number, V: number, targets: I32, rowWeights: F32, lossOut: F32, dLogits: F32, accumulate: boolean): void {
  for (let n = 0; n < N; n++) {
    const o = n * V;
    const t = targets[n];
    if (t < 0) {
      lossOut[n] = 0;
      if (!accumulate) dLogits.fill(0, o, o + V);
      continue;
    }
    const lse = rowLse(logits, o, V);
    lossOut[n] = lse - logits[o + t];
    const w = rowWeights[n];
    for (let j = 0; j < V; j++) {
      const g = w * (Math.exp(logits[o + j] - lse) - (j === t ? 1 : 0));
      dLogits[o + j] = accumulate ? dLogits[o + j] + g : g;
    }
  }
}

/**
 * Cross-entropy toward a teacher's top-k distribution, closed as docs/losses.md describes.
 * The loss is computed for every row (rowWeights only scale the gradient).
 */
function softCrossEntropy(a: SoftCrossEntropyArgs): number {
  const { logits, N, V, ids, probs, k, support, rowWeights, lossOut, dLogits, accumulate, studentMassOut, lseOut } = a;
  const inK = new Uint8Array(V);
  const g = new Float64Array(V);
  let total = 0;
  for (let n = 0; n < N; n++) {
    const o = n * V;
    const lse = rowLse(logits, o, V);
    let Q = 0, P = 0;
    for (let i = 0; i < k; i++) {
      inK[ids[n * k + i]] = 1;
      Q += probs[n * k + i];
      P += Math.exp(logits[o + ids[n * k + i]] - lse);
    }
    if (studentMassOut) studentMassOut[n] = P;
    if (lseOut) lseOut[n] = lse;
    g.fill(0);
    let loss = 0;
    if (support === 'renorm') {
      // Both sides renormalised over K: a cross-entropy over the logits restricted to K.
      let m = -Infinity;
      for (let i = 0; i < k; i++) m = Math.max(m, logits[o + ids[n * k + i]]);
      let s = 0;
      for (let i = 0; i < k; i++) s += Math.exp(logits[o + ids[n * k + i]] - m);
      const lseK = m + Math.log(s);
      for (let i = 0; i < k; i++) {
        const id = ids[n * k + i];
        const qi = Q > 0 ? probs[n * k + i] / Q : 0;
        loss -= qi * (logits[o + id] - lseK);
        g[id] += Math.exp(logits[o + id] - lseK) - qi;
      }
    } else {
      // full (K is the vocabulary) or tail (one extra outcome "everything else").
      for (let i = 0; i < k; i++) {
        const id = ids[n * k + i];
        const qi = probs[n * k + i];
        loss -= qi * (logits[o + id] - lse);
        g[id] -= qi;
      }
      for (let j = 0; j < V; j++) g[j] += Q * Math.exp(logits[o + j] - lse);
      // With no token outside K (k equal to the vocabulary) the tail outcome does not exist: a
      // teacher mass a rounding error short of 1 must not meet log(0).
      let complement = false;
      for (let j = 0; j < V && !complement; j++) complement = !inK[j];
      const qTail = support === 'tail' && complement ? Math.max(0, 1 - Q) : 0;
      if (qTail > 0) {
        // log p_tail = logsumexp over the complement of K, minus lse: stable even when p_tail ~ 0.
        let m = -Infinity;
        for (let j = 0; j < V; j++) if (!inK[j] && logits[o + j] > m) m = logits[o + j];
        let s = 0;
        for (let j = 0; j < V; j++) if (!inK[j]) s += Math.exp(logits[o + j] - m);
        const lseC = m + Math.log(s);
        loss -= qTail * (lseC - lse);
        for (let j = 0; j < V; j++) {
          g[j] += qTail * Math.exp(logits[o + j] - lse);
          if (!inK[j]) g[j] -= qTail * Math.exp(logits[o + j] - lseC);
        }
      }
    }
    lossOut[n] = loss;
    const w = rowWeights[n];
    if (w !== 0) total += w * loss;
    for (let j = 0; j < V; j++) {
      const d = w === 0 ? 0 : w * g[j];
      dLogits[o + j] = accumulate ? dLogits[o + j] + d : d;
    }
    for (let i = 0; i < k; i++) inK[ids[n * k + i]] = 0;
  }
  return total;
}

function topk(x: F32, N: number, V: number, k: number, idsOut: I32, valsOut: F32): void {
  for (let n = 0; n < N; n++) {
    let len = 0;
    const o = n * k;
    for (let j = 0; j < V; j++) {
      const val = x[n * V + j];
      // Strictly greater moves ahead, so among equal values the lower id (seen first) stays first.
      if (len === k && !(val > valsOut[o + k - 1])) continue;
      let pos = len < k ? len : k - 1;
      while (pos > 0 && val > valsOut[o + pos - 1]) {
        valsOut[o + pos] = valsOut[o + pos - 1];
        idsOut[o + pos] = idsOut[o + pos - 1];
        pos--;
      }
      valsOut[o + pos] = val;
      idsOut[o + pos] = j;
      if (len < k) len++;
    }
  }
}

/** What `sampleRows` computes for one row (see types.ts). */
export interface RowDraw {
  id: number;
  max: number;
  sumExp: number;
  sumLogits: number;
}

/**
 * One row of `sampleRows`: u >= 0 draws at temperature 1, u < 0 takes the first largest
 * logit. `e` is scratch of at least row.length entries (it keeps exp(x - max) for the draw,
 * so the row needs one pass of exp).
 */
export function sampleRow(row: F32, u: number, e: Float64Array): RowDraw {
  const V = row.length;
  let max = -Infinity;
  for (let i = 0; i < V; i++) if (row[i] > max) max = row[i];
  let sumExp = 0, sumLogits = 0;
  if (max !== -Infinity) {
    for (let i = 0; i < V; i++) {
      sumExp += e[i] = Math.exp(row[i] - max);
      sumLogits += row[i];
    }
  } else for (let i = 0; i < V; i++) sumLogits += row[i];
  if (u >= 0 && max !== -Infinity && Number.isFinite(sumExp)) {
    let rest = u * sumExp;
    for (let i = 0; i < V; i++) {
      rest -= e[i];
      if (rest < 0) return { id: i, max, sumExp, sumLogits };
    }
  }
  // Greedy, or rounding left the draw >= 0 after the last term: the first largest logit.
  let id = 0;
  for (let i = 1; i < V; i++) if (row[i] > row[id]) id = i;
  return { id, max, sumExp, sumLogits };
}

let drawScratch = new Float64Array(0);

function sampleRows(a: SampleRowsArgs): void {
  const { logits, V, rows } = a;
  if (drawScratch.length < V) drawScratch = new Float64Array(V);
  for (let j = 0; j < rows.length; j++) {
    const d = sampleRow(logits.subarray(rows[j] * V, (rows[j] + 1) * V), a.us[j], drawScratch);
    a.ids[j] = d.id;
    a.rowMax[j] = d.max;
    a.sumExp[j] = d.sumExp;
    a.sumLogits[j] = d.sumLogits;
  }
}

function adamw(a: AdamWArgs): void {
  const { param, grad, m, v, lr, beta1, beta2, eps, weightDecay, step } = a;
  const bc1 = 1 - Math.pow(beta1, step);
  const bc2 = 1 - Math.pow(beta2, step);
  for (let i = 0; i < param.length; i++) {
    const g = grad[i];
    const mi = (m[i] = beta1 * m[i] + (1 - beta1) * g);
    const vi = (v[i] = beta2 * v[i] + (1 - beta2) * g * g);
    const p = param[i] * (1 - lr * weightDecay);
    param[i] = p - (lr * (mi / bc1)) / (Math.sqrt(vi / bc2) + eps);
  }
}

// Packed weights: per slice of K (at most 256, split evenly), panels of 16 columns of W^T, N
// padded to 16 with zeros: the layout of the native kernels, so both sets are tested on it.
const PACK_NR = 16, PACK_KC = 256;

function packSlice(K: number): number {
  const n = Math.ceil(K / PACK_KC);
  return Math.min(PACK_KC, Math.ceil(K / n));
}

export function packedWeightsSize(N: number, K: number): number {
  return Math.ceil(N / PACK_NR) * PACK_NR * K;
}

function packWeights(w: F32, N: number, K: number, into?: F32): F32 {
  if (w.length !== N * K) throw new Error(`packWeights: w has ${w.length} values, expected N * K = ${N * K}`);
  const Np = Math.ceil(N / PACK_NR) * PACK_NR, kcMax = packSlice(K);
  if (into && into.length !== Np * K) throw new Error(`packWeights: out has ${into.length} values, expected ${Np * K} for ${N} x ${K}`);
  const out = into ?? new Float32Array(Np * K);
  for (let pc = 0; pc < K; pc += kcMax) {
    const kc = Math.min(kcMax, K - pc);
    for (let n = 0; n < N; n++) {
      const base = pc * Np + Math.floor(n / PACK_NR) * PACK_NR * kc + (n % PACK_NR);
      for (let k = 0; k < kc; k++) out[base + k * PACK_NR] = w[n * K + pc + k];
    }
  }
  return out;
}

function linearPacked(x: F32, M: number, packed: F32, N: number, K: number, out: F32): void {
  if (packed.length !== packedWeightsSize(N, K)) throw new Error(`linearPacked: packed has ${packed.length} values, not the size packWeights gives for ${N} x ${K}`);
  const Np = Math.ceil(N / PACK_NR) * PACK_NR, kcMax = packSlice(K);
  for (let i = 0; i < M; i++) {
    for (let n = 0; n < N; n++) {
      let s = 0;
      for (let pc = 0; pc < K; pc += kcMax) {
        const kc = Math.min(kcMax, K - pc);
        const base = pc * Np + Math.floor(n / PACK_NR) * PACK_NR * kc + (n % PACK_NR);
        for (let k = 0; k < kc; k++) s += x[i * K + pc + k] * packed[base + k * PACK_NR];
      }
      out[i * N + n] = s;
    }
  }
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

export const jsKernels: Kernels = {
  name: 'js',
  sgemm,
  packWeights,
  linearPacked,

  fill: (out, value) => void out.fill(value),
  copy: (src, out) => void out.set(src.subarray(0, out.length)),
  add: (a, b, out) => { for (let i = 0; i < out.length; i++) out[i] = a[i] + b[i]; },
  sub: (a, b, out) => { for (let i = 0; i < out.length; i++) out[i] = a[i] - b[i]; },
  mul: (a, b, out) => { for (let i = 0; i < out.length; i++) out[i] = a[i] * b[i]; },
  scale: (a, s, out) => { for (let i = 0; i < out.length; i++) out[i] = a[i] * s; },
  axpy: (alpha, x, y) => { for (let i = 0; i < y.length; i++) y[i] += alpha * x[i]; },
  addRowVector(a, bias, R, C, out) {
    for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) out[r * C + c] = a[r * C + c] + bias[c];
  },
  sumRows(a, R, C, out, accumulate) {
    for (let c = 0; c < C; c++) {
      let s = 0;
      for (let r = 0; r < R; r++) s += a[r * C + c];
      out[c] = accumulate ? out[c] + s : s;
    }
  },
  sumSquares(a) {
    let s = 0;
    for (let i = 0; i < a.length; i++) s += a[i] * a[i];
    return s;
  },

  silu(x, out) { for (let i = 0; i < out.length; i++) out[i] = x[i] * sigmoid(x[i]); },
  siluBackward(x, dOut, dx, accumulate) {
    for (let i = 0; i < dx.length; i++) {
      const s = sigmoid(x[i]);
      const g = dOut[i] * s * (1 + x[i] * (1 - s));
      dx[i] = accumulate ? dx[i] + g : g;
    }
  },
  swiglu(gate, up, out) { for (let i = 0; i < out.length; i++) out[i] = gate[i] * sigmoid(gate[i]) * up[i]; },
  swigluBackward(gate, up, dOut, dGate, dUp, accumulate) {
    for (let i = 0; i < dOut.length; i++) {
      const x = gate[i], s = sigmoid(x);
      const gg = dOut[i] * up[i] * s * (1 + x * (1 - s));
      const gu = dOut[i] * x * s;
      dGate[i] = accumulate ? dGate[i] + gg : gg;
      dUp[i] = accumulate ? dUp[i] + gu : gu;
    }
  },

  rmsnorm(x, w, R, D, eps, out, rstd) {
    for (let r = 0; r < R; r++) {
      const o = r * D;
      let ss = 0;
      for (let j = 0; j < D; j++) ss += x[o + j] * x[o + j];
      const rs = 1 / Math.sqrt(ss / D + eps);
      rstd[r] = rs;
      for (let j = 0; j < D; j++) out[o + j] = x[o + j] * rs * w[j];
    }
  },
  rmsnormBackward(x, w, rstd, dOut, R, D, dx, dw, accumulateDx) {
    const dw64 = new Float64Array(D);
    for (let r = 0; r < R; r++) {
      const o = r * D;
      const rs = rstd[r];
      // dx = rstd * (g - xhat * mean(g * xhat)) with g = dOut * w, xhat = x * rstd.
      let dot = 0;
      for (let j = 0; j < D; j++) dot += dOut[o + j] * w[j] * x[o + j] * rs;
      dot /= D;
      for (let j = 0; j < D; j++) {
        const xh = x[o + j] * rs;
        const g = rs * (dOut[o + j] * w[j] - xh * dot);
        dx[o + j] = accumulateDx ? dx[o + j] + g : g;
        dw64[j] += dOut[o + j] * xh;
      }
    }
    for (let j = 0; j < D; j++) dw[j] += dw64[j];
  },
  softmax(x, R, D, out) {
    for (let r = 0; r < R; r++) {
      const lse = rowLse(x, r * D, D);
      for (let j = 0; j < D; j++) out[r * D + j] = Math.exp(x[r * D + j] - lse);
    }
  },
  logSoftmax(x, R, D, out) {
    for (let r = 0; r < R; r++) {
      const lse = rowLse(x, r * D, D);
      for (let j = 0; j < D; j++) out[r * D + j] = x[r * D + j] - lse;
    }
  },
  softmaxBackward(y, dy, R, D, dx, accumulate) {
    for (let r = 0; r < R; r++) {
      const o = r * D;
      let s = 0;
      for (let j = 0; j < D; j++) s += dy[o + j] * y[o + j];
      for (let j = 0; j < D; j++) {
        const g = y[o + j] * (dy[o + j] - s);
        dx[o + j] = accumulate ? dx[o + j] + g : g;
      }
    }
  },
  logSoftmaxBackward(y, dy, R, D, dx, accumulate) {
    for (let r = 0; r < R; r++) {
      const o = r * D;
      let s = 0;
      for (let j = 0; j < D; j++) s += dy[o + j];
      for (let j = 0; j < D; j++) {
        const g = dy[o + j] - Math.exp(y[o + j]) * s;
        dx[o + j] = accumulate ? dx[o + j] + g : g;
      }
    }
  },

  rope(x, rows, H, Dh, positions, theta, inverse, out) {
    const half = Dh / 2;
    for (let r = 0; r < rows; r++) {
      const pos = positions[r];
      for (let i = 0; i < half; i++) {
        const ang = pos * Math.pow(theta, (-2 * i) / Dh) * (inverse ? -1 : 1);
        const c = Math.cos(ang), s = Math.sin(ang);
        for (let h = 0; h < H; h++) {
          const o = (r * H + h) * Dh;
          const x1 = x[o + i], x2 = x[o + i + half]; // read both first: out may alias x
          out[o + i] = x1 * c - x2 * s;
          out[o + i + half] = x2 * c + x1 * s;
        }
      }
    }
  },

  attention,
  attentionBackward,

  embedding(table, ids, D, out) {
    for (let n = 0; n < ids.length; n++) out.set(table.subarray(ids[n] * D, ids[n] * D + D), n * D);
  },
  embeddingBackward(dOut, ids, D, dTable) {
    for (let n = 0; n < ids.length; n++) {
      const t = ids[n] * D;
      for (let j = 0; j < D; j++) dTable[t + j] += dOut[n * D + j];
    }
  },

  crossEntropy,
  softCrossEntropy,
  topk,
  sampleRows,
  adamw,
};
