import { test } from 'node:test';
import { attention, jsKernels, setKernels, tryNativeKernels, Tensor } from '../../../src/engine/index.ts';
import { Rng } from '../../../src/util/rng.ts';
import { assertClose, assertGrad, randn } from '../gradcheck.ts';

setKernels(jsKernels);

/** float64 reference: explicit scores, causal mask (unless causal is false), softmax, weighted values. */
function refAttention(q: Tensor, k: Tensor, v: Tensor, B: number, T: number, Hq: number, Hkv: number, Dh: number, causal = true): Float64Array {
  const out = new Float64Array(B * T * Hq * Dh);
  const g = Hq / Hkv;
  for (let b = 0; b < B; b++)
    for (let h = 0; h < Hq; h++)
      for (let i = 0; i < T; i++) {
        const s: number[] = [];
        const last = causal ? i : T - 1;
        for (let j = 0; j <= last; j++) {
          let d = 0;
          for (let e = 0; e < Dh; e++) d += q.data[((b * T + i) * Hq + h) * Dh + e] * k.data[((b * T + j) * Hkv + Math.floor(h / g)) * Dh + e];
          s.push(d / Math.sqrt(Dh));
        }
        const m = Math.max(...s);
        const z = s.reduce((a, x) => a + Math.exp(x - m), 0);
        for (let j = 0; j <= last; j++)
          for (let e = 0; e < Dh; e++)
            out[((b * T + i) * Hq + h) * Dh + e] += (Math.exp(s[j] - m) / z) * v.data[((b * T + j) * Hkv + Math.floor(h / g)) * Dh + e];
      }
  return out;
}

test('causal GQA attention forward vs float64 reference', () => {
  const rng = new Rng(1);
  for (const [B, T, Hq, Hkv, Dh] of [[1, 4, 2, 2, 3], [2, 5, 4, 2, 4], [2, 3, 3, 1, 2]]) {
    const q = randn(rng, [B * T, Hq * Dh]), k = randn(rng, [B * T, Hkv * Dh]), v = randn(rng, [B * T, Hkv * Dh]);
    const y = attention(q, k, v, { B, T, Hq, Hkv, Dh });
    assertClose(y.data, refAttention(q, k, v, B, T, Hq, Hkv, Dh), 1e-5, 1e-5);
  }
});

test('causal GQA attention backward vs finite differences', () => {
  const rng = new Rng(2);
  for (const [B, T, Hq, Hkv, Dh] of [[1, 3, 2, 2, 2], [2, 4, 4, 2, 3]]) {
    const q = randn(rng, [B * T, Hq * Dh]), k = randn(rng, [B * T, Hkv * Dh]), v = randn(rng, [B * T, Hkv * Dh]);
    assertGrad((q, k, v) => attention(q, k, v, { B, T, Hq, Hkv, Dh }), [q, k, v]);
  }
});

// Bidirectional attention on both kernel sets (native: when the addon is built). T = 6 and 9
// take the native backward's packed path (>= 4 rows), T = 1 and 3 the unpacked one.
const native = tryNativeKernels();
for (const kernels of native ? [jsKernels, native] : [jsKernels]) {
  test(`bidirectional GQA attention equals a naive full softmax (${kernels.name} kernels)`, () => {
    setKernels(kernels);
    try {
      const rng = new Rng(3);
      for (const [B, T, Hq, Hkv, Dh] of [[1, 1, 1, 1, 2], [1, 4, 2, 2, 3], [2, 9, 4, 2, 4], [2, 3, 3, 1, 2]]) {
        const q = randn(rng, [B * T, Hq * Dh]), k = randn(rng, [B * T, Hkv * Dh]), v = randn(rng, [B * T, Hkv * Dh]);
        const y = attention(q, k, v, { B, T, Hq, Hkv, Dh, causal: false });
        assertClose(y.data, refAttention(q, k, v, B, T, Hq, Hkv, Dh, false), 1e-5, 1e-5);
      }
    } finally {
      setKernels(jsKernels);
    }
  });

  test(`bidirectional GQA attention backward vs finite differences (${kernels.name} kernels)`, () => {
    setKernels(kernels);
    try {
      const rng = new Rng(4);
      for (const [B, T, Hq, Hkv, Dh] of [[1, 3, 2, 2, 2], [2, 6, 4, 2, 3]]) {
        const q = randn(rng, [B * T, Hq * Dh]), k = randn(rng, [B * T, Hkv * Dh]), v = randn(rng, [B * T, Hkv * Dh]);
        assertGrad((q, k, v) => attention(q, k, v, { B, T, Hq, Hkv, Dh, causal: false }), [q, k, v]);
      }
    } finally {
      setKernels(jsKernels);
    }
  });
}
