// The native kernels against the TypeScript reference (float64 accumulation), kernel by
// kernel, on random shapes that cross the native code's block and vector sizes, plus
// finite-difference checks of the attention and soft cross-entropy gradients and the
// errors bad arguments raise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsKernels } from '../../../src/engine/kernels/js.ts';
import { adaptAddon, loadNativeKernels, nativeAddon, nativeMissing } from '../../../src/engine/kernels/native.ts';
import type { AttentionArgs, Kernels, Support } from '../../../src/engine/kernels/types.ts';
import { Rng } from '../../../src/util/rng.ts';

const load = loadNativeKernels();
if (!('kernels' in load)) throw new Error(`native kernels did not load: ${load.error}`);
const nk: Kernels = load.kernels;
const js = jsKernels;

const rng = new Rng(1234);
function randn(n: number, s = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.normal() * s;
  return out;
}
function ints(n: number, hi: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.int(hi);
  return out;
}

/** |a - e| <= atol + rtol * |e| everywhere; names the first index that fails. */
function close(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, rtol = 1e-5, atol = 1e-6): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i], e = expected[i];
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    if (e === a) continue; // also covers matching infinities
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) {
      assert.fail(`${what}[${i}]: native ${a}, reference ${e}`);
    }
  }
}

test('every kernel of the interface is served by the addon (none falls back to the reference)', () => {
  assert.equal(nk.name, 'native');
  const mine = nativeMissing.filter((n) => n !== 'sgemm'); // sgemm is native/src/gemm.cc's
  assert.deepEqual(mine, []);
});

test('kernels an addon lacks fall back to the reference, the rest call the addon', () => {
  const calls: string[] = [];
  const partial = { add: (...args: unknown[]) => void calls.push(`add:${args.length}`) };
  const { kernels, missing } = adaptAddon(partial);
  assert.equal(kernels.name, 'native');
  assert.ok(missing.includes('softmax') && missing.includes('sgemm') && !missing.includes('add'));
  const f = (n: number) => new Float32Array(n);
  kernels.add(f(2), f(2), f(2));
  assert.deepEqual(calls, ['add:3']);
  const out = f(3);
  kernels.softmax(Float32Array.from([0, 0, Math.log(2)]), 1, 3, out); // the reference runs
  close(out, [0.25, 0.25, 0.5], 'fallback softmax');
});

test('packed weights: same layout as the reference, linearPacked equals sgemm (bit for bit past 8 rows), a row alone equals it in a batch', () => {
  for (const [M, N, K] of [[1, 5, 3], [5, 40, 20], [9, 16, 7], [32, 50, 256], [32, 688, 300], [33, 256, 688], [100, 513, 64]]) {
    const w = randn(N * K), x = randn(M * K);
    const packed = nk.packWeights(w, N, K);
    assert.deepEqual(packed, js.packWeights(w, N, K), `${M}x${N}x${K}: layout`);
    const viaPacked = new Float32Array(M * N), viaGemm = new Float32Array(M * N), ref = new Float32Array(M * N);
    nk.linearPacked(x, M, packed, N, K, viaPacked);
    nk.sgemm({ transA: false, transB: true, M, N, K, a: x, b: w, c: viaGemm });
    js.linearPacked(x, M, packed, N, K, ref);
    close(viaPacked, ref, `${M}x${N}x${K}: native vs reference`, 1e-4, 1e-3);
    if (M > 8 && N > 8) assert.deepEqual(viaPacked, viaGemm, `${M}x${N}x${K}: linearPacked differs from sgemm`);
    // One row at a time (decoding a single sequence runs its own kernel): the same bits as that
    // row in the many-row product, so a sequence's logits do not depend on the batch size.
    for (const i of [0, M - 1]) {
      const one = new Float32Array(N);
      nk.linearPacked(x.subarray(i * K, (i + 1) * K), 1, packed, N, K, one);
      assert.deepEqual(one, viaPacked.subarray(i * N, (i + 1) * N), `${M}x${N}x${K}: row ${i} alone differs`);
    }
  }
  assert.throws(() => nk.linearPacked(new Float32Array(32), 2, new Float32Array(10), 16, 16, new Float32Array(32)), /linearPacked.*packed/);
});

test('packed weights start on a cache line (a buffer off a line boundary splits every 64-byte load in two)', () => {
  const misalignment = nativeAddon?.misalignment;
  assert.ok(misalignment, 'the addon exports misalignment');
  for (let i = 0; i < 40; i++) {
    const packed = nk.packWeights(randn(16 * 8), 16, 8);
    assert.equal(misalignment(packed), 0, 'packWeights output');
    assert.equal(packed.length, 16 * 8);
  }
  const buf = new Float32Array(64);
  assert.equal(misalignment(buf.subarray(3)), ((misalignment(buf) as number) + 12) % 64, 'a view 3 floats in');
});

test('elementwise kernels match the reference, odd lengths and threaded lengths', () => {
  for (const n of [1, 7, 33, 1000, 300001]) {
    const a = randn(n, 3), b = randn(n), d = randn(n);
    const run = (k: Kernels) => {
      const o = {
        add: new Float32Array(n), sub: new Float32Array(n), mul: new Float32Array(n), scale: new Float32Array(n),
        axpy: d.slice(), silu: new Float32Array(n), siluB: d.slice(), siluB0: new Float32Array(n).fill(NaN),
        swiglu: new Float32Array(n), dg: d.slice(), du: b.slice(), dg0: new Float32Array(n), du0: new Float32Array(n),
        fill: new Float32Array(n), copy: new Float32Array(n),
      };
      k.add(a, b, o.add);
      k.sub(a, b, o.sub);
      k.mul(a, b, o.mul);
      k.scale(a, -0.37, o.scale);
      k.axpy(1.5, a, o.axpy);
      k.silu(a, o.silu);
      k.siluBackward(a, b, o.siluB, true);
      k.siluBackward(a, b, o.siluB0, false); // overwrite: old NaNs must not leak
      k.swiglu(a, b, o.swiglu);
      k.swigluBackward(a, b, d, o.dg, o.du, true);
      k.swigluBackward(a, b, d, o.dg0, o.du0, false);
      k.fill(o.fill, 2.5);
      k.copy(a, o.copy);
      return o;
    };
    const got = run(nk), want = run(js);
    for (const key of Object.keys(want) as (keyof typeof want)[]) close(got[key], want[key], `${key} n=${n}`);
    const ss = nk.sumSquares(a), ssRef = js.sumSquares(a);
    assert.ok(Math.abs(ss - ssRef) <= 1e-9 * ssRef, `sumSquares ${ss} vs ${ssRef}`);
  }
  // In place: out === a.
  const a = randn(100), b = randn(100), want = new Float32Array(100);
  js.add(a, b, want);
  nk.add(a, b, a);
  close(a, want, 'add in place');
});

test('cheap elementwise kernels split across threads at large sizes', () => {
  const n = 2_200_001, a = randn(n), b = randn(n);
  const run = (k: Kernels) => {
    const o = { add: new Float32Array(n), scale: new Float32Array(n), axpy: b.slice(), fill: new Float32Array(n) };
    k.add(a, b, o.add);
    k.scale(a, 0.5, o.scale);
    k.axpy(-2, a, o.axpy);
    k.fill(o.fill, -1);
    return o;
  };
  const got = run(nk), want = run(js);
  for (const key of Object.keys(want) as (keyof typeof want)[]) close(got[key], want[key], `${key} n=${n}`);
});

test('empty buffers and views into a larger buffer', () => {
  const e = new Float32Array(0);
  nk.copy(e, e);
  nk.add(e, e, e);
  nk.rmsnorm(e, e, 0, 0, 1e-5, e, e);
  assert.equal(nk.sumSquares(e), 0);
  // Views with a byte offset: the kernels see exactly the view.
  const buf = randn(20), a = buf.subarray(3, 11), b = buf.subarray(11, 19), out = new Float32Array(8);
  nk.add(a, b, out);
  close(out, Array.from(a, (x, i) => x + b[i]), 'add on views', 1e-7, 0);
  nk.scale(a, 2, a); // in place on a view; neighbours untouched
  close(buf.subarray(3, 11), Array.from(out, (_, i) => 2 * (out[i] - b[i])), 'scale view in place', 1e-6, 1e-7);
});

test('silu saturates cleanly at large |x|', () => {
  const x = Float32Array.from([-200, -90, -30, 0, 30, 90, 200]);
  const got = new Float32Array(7), want = new Float32Array(7);
  nk.silu(x, got);
  js.silu(x, want);
  close(got, want, 'silu', 1e-5, 1e-12);
});

test('addRowVector and sumRows (with and without accumulate)', () => {
  for (const [R, C] of [[1, 1], [3, 5], [17, 300], [8200, 257]]) {
    const a = randn(R * C), bias = randn(C);
    const o1 = new Float32Array(R * C), o2 = new Float32Array(R * C);
    nk.addRowVector(a, bias, R, C, o1);
    js.addRowVector(a, bias, R, C, o2);
    close(o1, o2, `addRowVector ${R}x${C}`);
    for (const acc of [false, true]) {
      const start = randn(C);
      const s1 = start.slice(), s2 = start.slice();
      nk.sumRows(a, R, C, s1, acc);
      js.sumRows(a, R, C, s2, acc);
      close(s1, s2, `sumRows ${R}x${C} acc=${acc}`, 1e-5, 1e-5);
    }
  }
});

test('rmsnorm forward and backward, dw accumulates, dx overwrite or accumulate', () => {
  for (const [R, D] of [[1, 1], [5, 7], [64, 256], [4100, 257]]) {
    const x = randn(R * D, 2), w = randn(D), g = randn(R * D);
    const out1 = new Float32Array(R * D), out2 = new Float32Array(R * D);
    const rs1 = new Float32Array(R), rs2 = new Float32Array(R);
    nk.rmsnorm(x, w, R, D, 1e-5, out1, rs1);
    js.rmsnorm(x, w, R, D, 1e-5, out2, rs2);
    close(out1, out2, `rmsnorm out ${R}x${D}`);
    close(rs1, rs2, `rmsnorm rstd ${R}x${D}`);
    for (const acc of [false, true]) {
      const dx0 = randn(R * D), dw0 = randn(D);
      const dx1 = dx0.slice(), dx2 = dx0.slice(), dw1 = dw0.slice(), dw2 = dw0.slice();
      nk.rmsnormBackward(x, w, rs2, g, R, D, dx1, dw1, acc);
      js.rmsnormBackward(x, w, rs2, g, R, D, dx2, dw2, acc);
      close(dx1, dx2, `rmsnorm dx ${R}x${D} acc=${acc}`, 1e-5, 1e-5);
      close(dw1, dw2, `rmsnorm dw ${R}x${D} acc=${acc}`, 1e-5, 1e-5);
    }
  }
});

test('softmax and logSoftmax with their backwards', () => {
  for (const [R, D] of [[1, 1], [4, 9], [33, 512], [300, 1000]]) {
    const x = randn(R * D, 4), dy = randn(R * D);
    for (const log of [false, true]) {
      const y1 = new Float32Array(R * D), y2 = new Float32Array(R * D);
      (log ? nk.logSoftmax : nk.softmax)(x, R, D, y1);
      (log ? js.logSoftmax : js.softmax)(x, R, D, y2);
      close(y1, y2, `${log ? 'log' : ''}softmax ${R}x${D}`, 1e-5, log ? 1e-5 : 1e-8);
      for (const acc of [false, true]) {
        const d0 = randn(R * D);
        const d1 = d0.slice(), d2 = d0.slice();
        (log ? nk.logSoftmaxBackward : nk.softmaxBackward)(y2, dy, R, D, d1, acc);
        (log ? js.logSoftmaxBackward : js.softmaxBackward)(y2, dy, R, D, d2, acc);
        close(d1, d2, `${log ? 'log' : ''}softmaxBackward ${R}x${D} acc=${acc}`, 1e-5, 1e-5);
      }
    }
  }
});

test('rope: HF rotate_half, per-row positions, inverse undoes forward, in place', () => {
  for (const [rows, H, Dh] of [[1, 1, 2], [6, 3, 10], [4200, 4, 64]]) {
    const x = randn(rows * H * Dh), pos = ints(rows, 3000);
    for (const inverse of [false, true]) {
      const o1 = new Float32Array(x.length), o2 = new Float32Array(x.length);
      nk.rope(x, rows, H, Dh, pos, 10000, inverse, o1);
      js.rope(x, rows, H, Dh, pos, 10000, inverse, o2);
      close(o1, o2, `rope ${rows}x${H}x${Dh} inverse=${inverse}`, 1e-5, 1e-6);
    }
    const y = x.slice();
    nk.rope(y, rows, H, Dh, pos, 500000, false, y);
    nk.rope(y, rows, H, Dh, pos, 500000, true, y);
    close(y, x, 'rope round trip', 1e-5, 1e-5);
  }
  // Positions past the cached table, negative ones, and a theta change between calls.
  const rows = 5, H = 2, Dh = 8, x = randn(rows * H * Dh);
  const pos = Int32Array.from([70000, -3, 0, 123456, 5]);
  for (const theta of [10000, 1e6, 10000]) {
    const o1 = new Float32Array(x.length), o2 = new Float32Array(x.length);
    nk.rope(x, rows, H, Dh, pos, theta, false, o1);
    js.rope(x, rows, H, Dh, pos, theta, false, o2);
    close(o1, o2, `rope far positions theta=${theta}`, 1e-5, 1e-5);
  }
  // The convention itself, by hand: Dh = 4, position 1, theta = 100 -> angles (1, 0.1).
  const x4 = Float32Array.from([1, 2, 3, 4]), out = new Float32Array(4);
  nk.rope(x4, 1, 1, 4, Int32Array.from([1]), 100, false, out);
  const [c0, s0, c1, s1] = [Math.cos(1), Math.sin(1), Math.cos(0.1), Math.sin(0.1)];
  close(out, [1 * c0 - 3 * s0, 2 * c1 - 4 * s1, 3 * c0 + 1 * s0, 4 * c1 + 2 * s1], 'rope by hand');
});

type AttnCase = { B: number; Tq: number; S: number; kvLen: number; qOffset: number; Hq: number; Hkv: number; Dh: number; kvStart?: number[] };

function attnArgs(c: AttnCase, scaleQ = 1): AttentionArgs {
  return {
    q: randn(c.B * c.Tq * c.Hq * c.Dh, scaleQ), k: randn(c.B * c.S * c.Hkv * c.Dh), v: randn(c.B * c.S * c.Hkv * c.Dh),
    out: new Float32Array(c.B * c.Tq * c.Hq * c.Dh), lse: new Float32Array(c.B * c.Hq * c.Tq),
    B: c.B, Tq: c.Tq, S: c.S, kvLen: c.kvLen, qOffset: c.qOffset, Hq: c.Hq, Hkv: c.Hkv, Dh: c.Dh,
    scale: 1 / Math.sqrt(c.Dh), kvStart: c.kvStart ? Int32Array.from(c.kvStart) : undefined,
  };
}

const attnCases: AttnCase[] = [
  { B: 1, Tq: 1, S: 1, kvLen: 1, qOffset: 0, Hq: 1, Hkv: 1, Dh: 1 },
  { B: 2, Tq: 9, S: 9, kvLen: 9, qOffset: 0, Hq: 2, Hkv: 2, Dh: 6 }, // GQA ratio 1, generic Dh
  { B: 2, Tq: 70, S: 70, kvLen: 70, qOffset: 0, Hq: 4, Hkv: 2, Dh: 64 }, // ratio 2, crosses 32/64 blocks
  { B: 1, Tq: 37, S: 37, kvLen: 37, qOffset: 0, Hq: 4, Hkv: 1, Dh: 32 }, // ratio 4
  { B: 3, Tq: 130, S: 130, kvLen: 130, qOffset: 0, Hq: 2, Hkv: 1, Dh: 128, kvStart: [0, 5, 129] },
  { B: 2, Tq: 1, S: 100, kvLen: 77, qOffset: 76, Hq: 4, Hkv: 2, Dh: 64, kvStart: [0, 30] }, // decode step
  { B: 2, Tq: 1, S: 300, kvLen: 200, qOffset: 199, Hq: 4, Hkv: 1, Dh: 10 }, // long cache, generic Dh
  { B: 2, Tq: 3, S: 20, kvLen: 13, qOffset: 10, Hq: 2, Hkv: 2, Dh: 16, kvStart: [2, 12] }, // few rows: unpacked
  { B: 1, Tq: 40, S: 90, kvLen: 85, qOffset: 45, Hq: 6, Hkv: 3, Dh: 64, kvStart: [7] }, // chunked prefill
  { B: 1, Tq: 20, S: 1000, kvLen: 1000, qOffset: 980, Hq: 2, Hkv: 1, Dh: 32 }, // long cache: small backward blocks
  { B: 2, Tq: 70, S: 70, kvLen: 70, qOffset: 69, Hq: 4, Hkv: 2, Dh: 64 }, // bidirectional (every row sees all keys), packed
  { B: 3, Tq: 3, S: 3, kvLen: 3, qOffset: 2, Hq: 2, Hkv: 1, Dh: 6 }, // bidirectional, unpacked
  { B: 2, Tq: 5, S: 8, kvLen: 8, qOffset: 0, Hq: 2, Hkv: 1, Dh: 8, kvStart: [0, 8] }, // fully masked sequence
];

test('a decode step\'s attention over a batch (split over the threads) gives each sequence the bits it gets alone', () => {
  // 32 x 4 heads x 80 keys x 64: above the decode split threshold (2^17), below the general one.
  // Its own generator: drawing from the shared one would change the data of every later test.
  const own = new Rng(77);
  const f = (n: number) => Float32Array.from({ length: n }, () => own.normal());
  const c = { B: 32, Tq: 1, S: 96, kvLen: 80, qOffset: 79, Hq: 4, Hkv: 4, Dh: 64 };
  const a: AttentionArgs = {
    q: f(c.B * c.Hq * c.Dh), k: f(c.B * c.S * c.Hkv * c.Dh), v: f(c.B * c.S * c.Hkv * c.Dh),
    out: new Float32Array(c.B * c.Hq * c.Dh), lse: new Float32Array(c.B * c.Hq), ...c, scale: 1 / 8,
  };
  a.kvStart = Int32Array.from({ length: c.B }, (_, b) => b % 7);
  nk.attention(a);
  const per = c.Hq * c.Dh, kv = c.S * c.Hkv * c.Dh;
  for (const b of [0, 13, 31]) {
    const one: AttentionArgs = {
      ...a, B: 1, q: a.q.slice(b * per, (b + 1) * per), k: a.k.slice(b * kv, (b + 1) * kv), v: a.v.slice(b * kv, (b + 1) * kv),
      out: new Float32Array(per), lse: new Float32Array(c.Hq), kvStart: Int32Array.of(a.kvStart[b]),
    };
    nk.attention(one);
    assert.deepEqual(one.out, a.out.subarray(b * per, (b + 1) * per), `sequence ${b}: output`);
    assert.deepEqual(one.lse, a.lse!.subarray(b * c.Hq, (b + 1) * c.Hq), `sequence ${b}: lse`);
  }
});

test('attention forward matches the reference (GQA 1/2/4, cache, kvStart, Tq = 1)', () => {
  for (const c of attnCases) {
    const a = attnArgs(c, 2);
    const ref = { ...a, out: new Float32Array(a.out.length), lse: new Float32Array(a.lse!.length) };
    nk.attention(a);
    js.attention(ref);
    close(a.out, ref.out, `attention out ${JSON.stringify(c)}`, 1e-5, 1e-5); // outputs are O(1) averages: absolute error
    close(a.lse!, ref.lse, `attention lse ${JSON.stringify(c)}`, 1e-5, 1e-6);
    // lse may be omitted at inference.
    const noLse = { ...a, out: new Float32Array(a.out.length), lse: undefined };
    nk.attention(noLse);
    close(noLse.out, ref.out, 'attention out without lse', 1e-5, 1e-5);
  }
});

test('a fully masked query row gives zeros and lse = -inf, and a zero gradient', () => {
  const c = attnCases[attnCases.length - 1];
  const a = attnArgs(c);
  nk.attention(a);
  const rowLen = c.Tq * c.Hq * c.Dh;
  assert.ok(a.out.subarray(rowLen).every((x) => x === 0));
  assert.ok(a.lse!.subarray(c.Hq * c.Tq).every((x) => x === -Infinity));
  const dq = new Float32Array(a.q.length), dk = new Float32Array(a.k.length), dv = new Float32Array(a.v.length);
  nk.attentionBackward({ ...a, lse: a.lse!, dOut: randn(a.out.length), dq, dk, dv });
  assert.ok(dq.subarray(rowLen).every((x) => x === 0));
});

test('attention backward matches the reference and accumulates into dq, dk, dv', () => {
  for (const c of attnCases) {
    const a = attnArgs(c, 2);
    js.attention(a);
    const dOut = randn(a.out.length);
    const init = () => ({ dq: randn(a.q.length), dk: randn(a.k.length), dv: randn(a.v.length) });
    const g1 = init();
    const g2 = { dq: g1.dq.slice(), dk: g1.dk.slice(), dv: g1.dv.slice() };
    nk.attentionBackward({ ...a, lse: a.lse!, dOut, ...g1 });
    js.attentionBackward({ ...a, lse: a.lse!, dOut, ...g2 });
    for (const key of ['dq', 'dk', 'dv'] as const) close(g1[key], g2[key], `${key} ${JSON.stringify(c)}`, 1e-4, 1e-5);
  }
});

for (const [what, c] of [
  ['cache window', { B: 1, Tq: 3, S: 5, kvLen: 4, qOffset: 1, Hq: 2, Hkv: 1, Dh: 4, kvStart: [1] }],
  ['bidirectional, packed', { B: 1, Tq: 6, S: 6, kvLen: 6, qOffset: 5, Hq: 2, Hkv: 1, Dh: 4 }],
] as [string, AttnCase][])
test(`attention backward agrees with finite differences of the forward (${what})`, () => {
  const a = attnArgs(c);
  const R = randn(a.out.length); // loss = sum(out * R)
  const loss = () => {
    const out = new Float32Array(a.out.length);
    nk.attention({ ...a, out, lse: undefined });
    let s = 0;
    for (let i = 0; i < out.length; i++) s += out[i] * R[i];
    return s;
  };
  nk.attention(a);
  const dq = new Float32Array(a.q.length), dk = new Float32Array(a.k.length), dv = new Float32Array(a.v.length);
  nk.attentionBackward({ ...a, lse: a.lse!, dOut: R, dq, dk, dv });
  const h = 1e-2;
  for (const [name, x, g] of [['q', a.q, dq], ['k', a.k, dk], ['v', a.v, dv]] as const) {
    for (let i = 0; i < x.length; i++) {
      const x0 = x[i];
      x[i] = x0 + h;
      const up = loss();
      x[i] = x0 - h;
      const down = loss();
      x[i] = x0;
      const fd = (up - down) / (2 * h);
      assert.ok(Math.abs(fd - g[i]) < 2e-3 + 2e-3 * Math.abs(fd), `d${name}[${i}]: analytic ${g[i]}, fd ${fd}`);
    }
  }
});

test('embedding lookup and scatter-add backward (repeated ids, threaded size)', () => {
  for (const [V, D, N] of [[5, 3, 7], [512, 256, 8200], [50, 1, 3000]]) {
    const table = randn(V * D), ids = ints(N, V);
    const o1 = new Float32Array(N * D), o2 = new Float32Array(N * D);
    nk.embedding(table, ids, D, o1);
    js.embedding(table, ids, D, o2);
    close(o1, o2, `embedding ${V}x${D}`, 0, 0);
    const g = randn(N * D), t0 = randn(V * D);
    const t1 = t0.slice(), t2 = t0.slice();
    nk.embeddingBackward(g, ids, D, t1);
    js.embeddingBackward(g, ids, D, t2);
    close(t1, t2, `embeddingBackward ${V}x${D}x${N}`, 1e-5, 1e-5);
  }
});

test('crossEntropy may write its gradient over the logits', () => {
  const N = 6, V = 70;
  const logits = randn(N * V, 2), targets = ints(N, V), w = new Float32Array(N).fill(1);
  const l1 = new Float32Array(N), l2 = new Float32Array(N), d2 = new Float32Array(N * V);
  js.crossEntropy(logits, N, V, targets, w, l2, d2, false);
  nk.crossEntropy(logits, N, V, targets, w, l1, logits, false);
  close(l1, l2, 'ce loss in place', 1e-5, 1e-6);
  close(logits, d2, 'ce grad in place', 1e-5, 1e-7);
});

test('crossEntropy: ignored targets, row weights, overwrite and accumulate', () => {
  for (const [N, V] of [[1, 2], [9, 33], [520, 512]]) {
    const logits = randn(N * V, 3);
    const targets = Int32Array.from({ length: N }, (_, i) => (i % 4 === 1 ? -1 : rng.int(V)));
    const w = Float32Array.from({ length: N }, (_, i) => (i % 5 === 2 ? 0 : rng.next() * 2));
    for (const acc of [false, true]) {
      const d0 = randn(N * V);
      const l1 = new Float32Array(N), l2 = new Float32Array(N), d1 = d0.slice(), d2 = d0.slice();
      nk.crossEntropy(logits, N, V, targets, w, l1, d1, acc);
      js.crossEntropy(logits, N, V, targets, w, l2, d2, acc);
      close(l1, l2, `ce loss ${N}x${V}`, 1e-5, 1e-6);
      close(d1, d2, `ce grad ${N}x${V} acc=${acc}`, 1e-5, 1e-7);
    }
  }
});

/** Teacher top-k rows: distinct ids, probabilities summing to `mass` (< 1 leaves a tail). */
function teacher(N: number, V: number, k: number, mass: number) {
  const ids = new Int32Array(N * k), probs = new Float32Array(N * k);
  for (let n = 0; n < N; n++) {
    const perm = Array.from({ length: V }, (_, i) => i);
    for (let i = V - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [perm[i], perm[j]] = [perm[j], perm[i]];
    }
    const raw = Array.from({ length: k }, () => Math.exp(rng.normal()));
    const sum = raw.reduce((s, x) => s + x, 0);
    for (let i = 0; i < k; i++) {
      ids[n * k + i] = perm[i];
      probs[n * k + i] = (raw[i] / sum) * (n % 3 === 0 ? 1 : mass); // some rows without a tail
    }
  }
  return { ids, probs };
}

test('softCrossEntropy: renorm | tail | full, weights, accumulate, student mass', () => {
  const shapes: [number, number, number, Support][] = [
    [7, 33, 5, 'renorm'], [7, 33, 5, 'tail'], [7, 33, 33, 'full'], [520, 512, 64, 'tail'], [64, 512, 64, 'renorm'],
    [5, 16, 15, 'tail'], [5, 16, 16, 'tail'], [3, 10, 1, 'tail'],
  ];
  for (const [N, V, k, support] of shapes) {
    const logits = randn(N * V, 3);
    const { ids, probs } = teacher(N, V, k, support === 'full' ? 1 : 0.8);
    const rowWeights = Float32Array.from({ length: N }, (_, i) => (i % 4 === 3 ? 0 : 0.5 + rng.next()));
    for (const accumulate of [false, true]) {
      const d0 = randn(N * V);
      const run = (kern: Kernels) => {
        const out = { lossOut: new Float32Array(N), dLogits: d0.slice(), studentMassOut: new Float32Array(N) };
        kern.softCrossEntropy({ logits, N, V, ids, probs, k, support, rowWeights, accumulate, ...out });
        return out;
      };
      const got = run(nk), want = run(js);
      const what = `${support} N=${N} V=${V} k=${k} acc=${accumulate}`;
      close(got.lossOut, want.lossOut, `loss ${what}`, 1e-5, 1e-6);
      close(got.dLogits, want.dLogits, `grad ${what}`, 1e-5, 1e-6);
      close(got.studentMassOut, want.studentMassOut, `mass ${what}`, 1e-5, 1e-7);
    }
  }
});

test('softCrossEntropy tail stays finite and exact when the student puts ~all mass on K', () => {
  const N = 2, V = 40, k = 4;
  const { ids, probs } = teacher(N, V, k, 0.9);
  const logits = new Float32Array(N * V).fill(-120);
  for (let i = 0; i < N * k; i++) logits[Math.floor(i / k) * V + ids[i]] = 5 + i;
  const rowWeights = Float32Array.from([1, 1]);
  const run = (kern: Kernels) => {
    const out = { lossOut: new Float32Array(N), dLogits: new Float32Array(N * V) };
    kern.softCrossEntropy({ logits, N, V, ids, probs, k, support: 'tail', rowWeights, ...out });
    return out;
  };
  const got = run(nk), want = run(js);
  assert.ok(got.lossOut.every(Number.isFinite) && got.dLogits.every(Number.isFinite));
  close(got.lossOut, want.lossOut, 'extreme tail loss', 1e-5);
  close(got.dLogits, want.dLogits, 'extreme tail grad', 1e-5, 1e-7);
  // Row 1 leaves the teacher a 0.1 tail that the student gives ~exp(-125): 0.1 * 125 dominates.
  assert.ok(got.lossOut[1] > 10, `tail loss ${got.lossOut[1]}`);
});

test('softCrossEntropy tail with k === V has no "everything else" outcome: same as full', () => {
  const N = 3, V = 6, k = 6;
  const logits = randn(N * V);
  const { ids, probs } = teacher(N, V, k, 0.8);
  const rowWeights = Float32Array.from([1, 0.5, 2]);
  const run = (support: Support) => {
    const out = { lossOut: new Float32Array(N), dLogits: new Float32Array(N * V) };
    nk.softCrossEntropy({ logits, N, V, ids, probs, k, support, rowWeights, ...out });
    return out;
  };
  const tail = run('tail'), full = run('full');
  assert.ok(tail.lossOut.every(Number.isFinite));
  close(tail.lossOut, full.lossOut, 'tail k=V loss', 0, 0);
  close(tail.dLogits, full.dLogits, 'tail k=V grad', 0, 0);
  const ref = { lossOut: new Float32Array(N), dLogits: new Float32Array(N * V) };
  js.softCrossEntropy({ logits, N, V, ids, probs, k, support: 'tail', rowWeights, ...ref });
  close(tail.lossOut, ref.lossOut, 'tail k=V loss vs reference', 1e-5, 1e-6);
  close(tail.dLogits, ref.dLogits, 'tail k=V grad vs reference', 1e-5, 1e-6);
});

test('softCrossEntropy gradient agrees with finite differences (tail)', () => {
  const N = 2, V = 9, k = 3;
  const logits = randn(N * V);
  const { ids, probs } = teacher(N, V, k, 0.7);
  const rowWeights = Float32Array.from([0.7, 1.3]);
  const total = () => {
    const lossOut = new Float32Array(N);
    nk.softCrossEntropy({ logits, N, V, ids, probs, k, support: 'tail', rowWeights, lossOut, dLogits: new Float32Array(N * V) });
    return rowWeights[0] * lossOut[0] + rowWeights[1] * lossOut[1];
  };
  const dLogits = new Float32Array(N * V);
  nk.softCrossEntropy({ logits, N, V, ids, probs, k, support: 'tail', rowWeights, lossOut: new Float32Array(N), dLogits });
  const h = 1e-2;
  for (let i = 0; i < logits.length; i++) {
    const x0 = logits[i];
    logits[i] = x0 + h;
    const up = total();
    logits[i] = x0 - h;
    const down = total();
    logits[i] = x0;
    const fd = (up - down) / (2 * h);
    assert.ok(Math.abs(fd - dLogits[i]) < 1e-3, `dLogits[${i}]: analytic ${dLogits[i]}, fd ${fd}`);
  }
});

test('topk: descending, ties broken by lower id, k = V', () => {
  for (const [N, V, k] of [[3, 10, 4], [520, 512, 64], [2, 7, 7]]) {
    // Values on a coarse grid so that ties are common.
    const x = Float32Array.from({ length: N * V }, () => rng.int(6) - 2);
    const i1 = new Int32Array(N * k), i2 = new Int32Array(N * k), v1 = new Float32Array(N * k), v2 = new Float32Array(N * k);
    nk.topk(x, N, V, k, i1, v1);
    js.topk(x, N, V, k, i2, v2);
    assert.deepEqual(i1, i2, `topk ids ${N}x${V} k=${k}`);
    assert.deepEqual(v1, v2, `topk vals ${N}x${V} k=${k}`);
  }
});

test('expF64 is Math.exp to the bit on every branch of fdlibm\'s algorithm (the sampler\'s sums depend on it)', () => {
  const exp = nativeAddon?.expF64;
  assert.ok(exp, 'the addon exports expF64');
  const ln2 = Math.LN2;
  const xs: number[] = [0, -0, 1, -1, 0.5 * ln2, -0.5 * ln2, 1.5 * ln2, -1.5 * ln2, 2 ** -28, -(2 ** -28), -700, -707.9, -708.5,
    -709, -745.1, -746, -Infinity, Infinity, NaN, 709.7, 710, 1e-300, -5e-324];
  // Every branch: |x| <= ln2 / 2 (k = 0), up to 1.5 ln2 (k = +-1), beyond, tiny, near underflow.
  const f = new Float32Array(2);
  for (let i = 0; i < 200000; i++) {
    const kind = i % 6;
    if (kind === 0) xs.push(-rng.next() * 30);
    else if (kind === 1) xs.push(-rng.next() * 2);
    else if (kind === 2) xs.push((rng.next() - 0.5) * 4 * ln2);
    else if (kind === 3) xs.push(-rng.next() * 760);
    else if (kind === 4) { f[0] = rng.next() * 20 - 10; f[1] = rng.next() * 20 - 10; xs.push(f[0] - f[1]); } // logit - max
    else xs.push((rng.next() - 0.5) * 1e-8);
  }
  // Each side of the branch thresholds, bit by bit.
  const view = new DataView(new ArrayBuffer(8));
  for (const edge of [0.5 * ln2, 1.5 * ln2, 2 ** -28, 700]) {
    for (let d = -300; d <= 300; d++) {
      view.setFloat64(0, edge);
      view.setBigUint64(0, view.getBigUint64(0) + BigInt(d));
      xs.push(-view.getFloat64(0), view.getFloat64(0));
    }
  }
  const x = Float64Array.from(xs), out = new Float64Array(x.length);
  exp(x, out);
  for (let i = 0; i < x.length; i++) {
    if (!Object.is(out[i], Math.exp(x[i]))) assert.fail(`expF64(${x[i]}) = ${out[i]}, Math.exp gives ${Math.exp(x[i])}`);
  }
});

test('sampleRows gives the reference\'s tokens and sums to the bit: draws, greedy, wide rows, -inf entries, threaded sizes', () => {
  for (const [B, V, scale] of [[3, 1, 1], [5, 7, 3], [4, 9, 1], [33, 512, 4], [9, 49152, 2], [2, 17, 40]]) {
    const logits = randn(B * V, scale);
    if (V > 8) for (let i = 0; i < B * V; i += 5) logits[i] = -Infinity; // masked entries
    if (V === 17) logits.fill(-1e30, 0, 17); // exp underflows to 0 everywhere but the max
    // Some rows twice, out of order; a third of the rows greedy.
    const rows = Int32Array.from({ length: B + 2 }, (_, j) => (j < B ? B - 1 - j : j - B));
    const us = Float64Array.from(rows, (_, j) => (j % 3 === 2 ? -1 : rng.next()));
    const out = () => ({ ids: new Int32Array(rows.length), rowMax: new Float64Array(rows.length), sumExp: new Float64Array(rows.length), sumLogits: new Float64Array(rows.length) });
    const a = out(), b = out();
    nk.sampleRows({ logits, V, rows, us, ...a });
    js.sampleRows({ logits, V, rows, us, ...b });
    for (const key of ['ids', 'rowMax', 'sumExp', 'sumLogits'] as const) assert.deepEqual(a[key], b[key], `${key} ${B}x${V}`);
  }
  // u = 0 takes the first token with mass; a row of -inf draws nothing (sumExp 0) and falls back to index 0.
  const row = Float32Array.of(-Infinity, 2, 2, -Infinity);
  const o = { ids: new Int32Array(2), rowMax: new Float64Array(2), sumExp: new Float64Array(2), sumLogits: new Float64Array(2) };
  nk.sampleRows({ logits: Float32Array.of(...row, -Infinity, -Infinity, -Infinity, -Infinity), V: 4, rows: Int32Array.of(0, 1), us: Float64Array.of(0, 0.5), ...o });
  assert.deepEqual([...o.ids], [1, 0]);
  assert.deepEqual([...o.sumExp], [2, 0]);
  assert.deepEqual([...o.rowMax], [2, -Infinity]);
});

test('adamw matches the reference over several steps (bias correction is 1-based)', () => {
  for (const n of [5, 530000]) {
    const p1 = randn(n), m1 = new Float32Array(n), v1 = new Float32Array(n);
    const p2 = p1.slice(), m2 = m1.slice(), v2 = v1.slice();
    for (let step = 1; step <= 4; step++) {
      const grad = randn(n);
      const h = { lr: 1e-2, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, step };
      nk.adamw({ param: p1, grad, m: m1, v: v1, ...h });
      js.adamw({ param: p2, grad, m: m2, v: v2, ...h });
    }
    close(p1, p2, `adamw param n=${n}`, 1e-5, 1e-6);
    close(m1, m2, `adamw m n=${n}`, 1e-5, 1e-7);
    close(v1, v2, `adamw v n=${n}`, 1e-5, 1e-8);
  }
});

test('bad arguments throw TypeErrors that name the kernel and the argument', () => {
  const f = (n: number) => new Float32Array(n);
  assert.throws(() => nk.add(f(4), f(3), f(4)), { name: 'TypeError', message: /add: 'b' has 3 elements/ });
  assert.throws(() => nk.add(new Float64Array(4) as unknown as Float32Array, f(4), f(4)), /add: 'a' must be a Float32Array/);
  assert.throws(() => nk.rmsnorm(f(6), f(3), 2, 3.5, 1e-5, f(6), f(2)), /rmsnorm: 'D' must be a non-negative integer/);
  assert.throws(() => nk.rmsnorm(f(6), f(3), 3, 3, 1e-5, f(9), f(3)), /rmsnorm: 'x' has 6 elements but R \* D = 9/);
  assert.throws(() => nk.rope(f(6), 1, 1, 6, new Int32Array(0), 1e4, false, f(6)), /rope: 'positions' has 0 elements/);
  assert.throws(() => nk.rope(f(3), 1, 1, 3, new Int32Array(1), 1e4, false, f(3)), /rope: 'Dh' must be even/);
  assert.throws(() => nk.embedding(f(6), Int32Array.from([0, 9]), 2, f(4)), /embedding: ids\[1\] = 9 is outside the table's 3 rows/);
  assert.throws(() => nk.embeddingBackward(f(4), Int32Array.from([-1, 0]), 2, f(6)), /embeddingBackward: ids\[0\] = -1/);
  assert.throws(() => nk.crossEntropy(f(4), 2, 2, Int32Array.from([0, 2]), f(2), f(2), f(4), false), /crossEntropy: targets\[1\] = 2/);
  assert.throws(() => nk.topk(f(4), 1, 4, 5, new Int32Array(5), f(5)), /topk: 'k' = 5 exceeds V = 4/);
  const draws = (n: number) => ({ us: new Float64Array(n), ids: new Int32Array(n), rowMax: new Float64Array(n), sumExp: new Float64Array(n), sumLogits: new Float64Array(n) });
  assert.throws(() => nk.sampleRows({ logits: f(8), V: 4, rows: Int32Array.of(2), ...draws(1) }), /sampleRows: rows\[0\] = 2 is outside the 2 rows of logits/);
  assert.throws(() => nk.sampleRows({ logits: f(8), V: 3, rows: Int32Array.of(0), ...draws(1) }), /sampleRows: 'V' must be >= 1 and divide/);
  assert.throws(() => nk.sampleRows({ logits: f(8), V: 4, rows: Int32Array.of(0, 1), ...draws(1) }), /sampleRows: 'us' has 1 elements but rows.length = 2/);
  const a = attnArgs({ B: 1, Tq: 2, S: 2, kvLen: 2, qOffset: 0, Hq: 3, Hkv: 2, Dh: 4 });
  assert.throws(() => nk.attention(a), /attention: 'Hq' \(3\) must be a positive multiple of 'Hkv' \(2\)/);
  const b = attnArgs({ B: 1, Tq: 2, S: 2, kvLen: 2, qOffset: 0, Hq: 2, Hkv: 2, Dh: 4 });
  assert.throws(() => nk.attention({ ...b, kvLen: 3 }), /attention: 'kvLen' \(3\) exceeds the key capacity 'S' \(2\)/);
  assert.throws(() => nk.attention({ ...b, k: f(3) }), /attention: 'k' has 3 elements but B \* S \* Hkv \* Dh = 16/);
  assert.throws(() => nk.attention({ ...b, kvStart: Int32Array.from([5]) }), /kvStart\[0\] = 5 is outside/);
  const sce = { logits: f(8), N: 2, V: 4, ids: Int32Array.from([0, 1, 2, 7]), probs: f(4), k: 2, rowWeights: f(2), lossOut: f(2), dLogits: f(8) };
  assert.throws(() => nk.softCrossEntropy({ ...sce, support: 'tail' }), /softCrossEntropy: ids\[3\] = 7 is outside/);
  assert.throws(() => nk.softCrossEntropy({ ...sce, support: 'full' }), /support 'full' needs k === V/);
  assert.throws(() => nk.softCrossEntropy({ ...sce, support: 'wide' as Support }), /unknown support 'wide'/);
  assert.throws(() => nk.softCrossEntropy({ ...sce, support: 'toString' as Support }), /unknown support 'toString'/);
  assert.throws(() => nk.adamw({ param: f(2), grad: f(2), m: f(2), v: f(2), lr: 1, beta1: 0.9, beta2: 0.9, eps: 1e-8, weightDecay: 0, step: 0 }), /adamw: 'step' is 1-based/);
});

test('native: an addon built from other sources than native/src is refused (the TypeScript kernels run, with the reason)', async () => {
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { fileURLToPath } = await import('node:url');
  const { nativeSourcesHash, staleAddon } = await import('../../../src/engine/kernels/native.ts');
  const src = fileURLToPath(new URL('../../../native/src/', import.meta.url));
  const recorded = fileURLToPath(new URL('../../../native/build/sources.sha256', import.meta.url));
  // The build records the same hash the loader computes.
  assert.equal(staleAddon(src, recorded), null);
  const dir = mkdtempSync(join(tmpdir(), 'distil-native-'));
  try {
    writeFileSync(join(dir, 'a.cc'), 'int a;');
    writeFileSync(join(dir, 'sources.sha256'), nativeSourcesHash(dir));
    assert.equal(staleAddon(dir, join(dir, 'sources.sha256')), null);
    writeFileSync(join(dir, 'a.cc'), 'int a = 1;');
    assert.match(staleAddon(dir, join(dir, 'sources.sha256')) ?? '', /built from other sources .*npm run build:native/);
    assert.match(staleAddon(dir, join(dir, 'missing')) ?? '', /built from other sources/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
