/**
 * Micro-benchmark of the native non-GEMM kernels at the shapes of the reference training
 * step (Llama-style, 4 layers, d 256, 4 heads of 64, SwiGLU 688, vocab 512, batch 8 x 128),
 * beside the TypeScript reference for scale. A developer tool, not a bench section:
 *   node --import tsx bench/micro_ops.ts [--js]
 */
import { jsKernels } from '../src/engine/kernels/js.ts';
import { loadNativeKernels } from '../src/engine/kernels/native.ts';
import type { Kernels } from '../src/engine/kernels/types.ts';
import { Rng } from '../src/util/rng.ts';

const load = loadNativeKernels();
if (!('kernels' in load)) throw new Error(load.error);
const withJs = process.argv.includes('--js');

const rng = new Rng(7);
const randn = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
const B = 8, T = 128, D = 256, H = 4, Dh = 64, F = 688, V = 512, R = B * T, k = 64;

const x = randn(R * D), w = randn(D), out = new Float32Array(R * D), rstd = new Float32Array(R), g = randn(R * D);
const gate = randn(R * F), up = randn(R * F), hOut = new Float32Array(R * F), dGate = new Float32Array(R * F), dUp = new Float32Array(R * F);
const q = randn(R * D), kk = randn(R * D), vv = randn(R * D), ao = new Float32Array(R * D), lse = new Float32Array(B * H * T);
const dq = new Float32Array(R * D), dk = new Float32Array(R * D), dv = new Float32Array(R * D);
const logits = randn(R * V), targets = Int32Array.from({ length: R }, () => rng.int(V)), ones = new Float32Array(R).fill(1);
const loss = new Float32Array(R), dLogits = new Float32Array(R * V);
const tIds = new Int32Array(R * k), tProbs = new Float32Array(R * k);
for (let r = 0; r < R; r++) for (let i = 0; i < k; i++) { tIds[r * k + i] = (r + i * 7) % V; tProbs[r * k + i] = 0.9 / k; }
const pos = Int32Array.from({ length: R }, (_, i) => i % T);
const nParams = 3_400_000, param = randn(nParams), grad = randn(nParams), m = new Float32Array(nParams), v2 = new Float32Array(nParams);
const ids = Int32Array.from({ length: R }, () => rng.int(V)), table = randn(V * D), dTable = new Float32Array(V * D);

function cases(K: Kernels): [string, () => void][] {
  const attn = { q, k: kk, v: vv, out: ao, lse, B, Tq: T, S: T, kvLen: T, qOffset: 0, Hq: H, Hkv: H, Dh, scale: 1 / 8 };
  return [
    ['rmsnorm 1024x256', () => K.rmsnorm(x, w, R, D, 1e-5, out, rstd)],
    ['rmsnormBackward', () => K.rmsnormBackward(x, w, rstd, g, R, D, out, new Float32Array(D), false)],
    ['swiglu 1024x688', () => K.swiglu(gate, up, hOut)],
    ['swigluBackward', () => K.swigluBackward(gate, up, hOut, dGate, dUp, false)],
    ['rope 1024x4x64', () => K.rope(q, R, H, Dh, pos, 10000, false, out)],
    ['attention 8x128x4x64', () => K.attention(attn)],
    ['attentionBackward', () => K.attentionBackward({ ...attn, dOut: g, dq, dk, dv })],
    ['attention decode Tq=1 S=1024', () => K.attention({ ...attn, Tq: 1, S: 128, kvLen: 128, qOffset: 127, lse: undefined })],
    ['crossEntropy 1024x512', () => K.crossEntropy(logits, R, V, targets, ones, loss, dLogits, false)],
    ['softCrossEntropy tail k64', () => K.softCrossEntropy({ logits, N: R, V, ids: tIds, probs: tProbs, k, support: 'tail', rowWeights: ones, lossOut: loss, dLogits })],
    ['topk 1024x512 k64', () => K.topk(logits, R, V, k, tIds.slice(), new Float32Array(R * k))],
    ['embeddingBackward', () => K.embeddingBackward(x, ids, D, dTable)],
    ['adamw 3.4M', () => K.adamw({ param, grad, m, v: v2, lr: 1e-3, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, step: 3 })],
    ['add 1024x688', () => K.add(gate, up, hOut)],
  ];
}

/** [min, median] wall time in ms. The minimum is the figure to trust on a shared machine:
 * preemption only ever adds time. */
function time(fn: () => void): [number, number] {
  for (let i = 0; i < 3; i++) fn();
  const times: number[] = [];
  const until = performance.now() + 300;
  while (times.length < 5 || (performance.now() < until && times.length < 200)) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return [times[0], times[Math.floor(times.length / 2)]];
}

const nat = cases(load.kernels), ref = withJs ? cases(jsKernels) : [];
for (let i = 0; i < nat.length; i++) {
  const [name, fn] = nat[i];
  const [tn, tnMed] = time(fn);
  const tj = withJs ? time(ref[i][1])[0] : NaN;
  const js = withJs ? `   js min ${tj.toFixed(2).padStart(8)} ms` : '';
  console.log(`${name.padEnd(30)} native min ${tn.toFixed(3).padStart(8)} ms  median ${tnMed.toFixed(3).padStart(8)} ms${js}`);
}
