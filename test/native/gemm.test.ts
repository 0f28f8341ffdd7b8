import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/util/rng.ts';
import { loadAddon } from './addon.ts';

const addon = loadAddon();
const rng = new Rng(1234);

function rand(n: number): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = rng.next() * 2 - 1;
  return x;
}

interface Case {
  transA: boolean; transB: boolean; M: number; N: number; K: number;
  alpha?: number; beta?: number;
  /** Extra elements per row beyond the packed leading dimension. */
  padA?: number; padB?: number; padC?: number;
  batch?: number;
  /** 'packed' (items one after another), or 0 to broadcast that operand. */
  strideA?: 'packed' | 0; strideB?: 'packed' | 0; strideC?: 'packed' | 0;
}

interface Prepared {
  lda: number; ldb: number; ldc: number; sA: number; sB: number; sC: number; batch: number;
  a: Float32Array; b: Float32Array; c: Float32Array; alpha: number; beta: number;
}

function prepare(t: Case): Prepared {
  const { transA, transB, M, N, K } = t;
  const lda = (transA ? M : K) + (t.padA ?? 0);
  const ldb = (transB ? K : N) + (t.padB ?? 0);
  const ldc = N + (t.padC ?? 0);
  const batch = t.batch ?? 1;
  const sA = t.strideA === 0 ? 0 : (transA ? K : M) * lda;
  const sB = t.strideB === 0 ? 0 : (transB ? N : K) * ldb;
  const sC = t.strideC === 0 ? 0 : M * ldc;
  const items = (s: number, per: number) => (s === 0 ? per : s * batch);
  return {
    lda, ldb, ldc, sA, sB, sC, batch,
    a: rand(items(sA, (transA ? K : M) * lda)),
    b: rand(items(sB, (transB ? N : K) * ldb)),
    c: rand(items(sC, M * ldc)),
    alpha: t.alpha ?? 1, beta: t.beta ?? 0,
  };
}

/** float64 reference of the same call; returns the expected C buffer (padding untouched). */
function reference(t: Case, p: Prepared): Float64Array {
  const { transA, transB, M, N, K } = t;
  const out = Float64Array.from(p.c);
  for (let bi = 0; bi < p.batch; bi++) {
    const beta = p.beta;
    for (let i = 0; i < M; i++)
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) {
          const av = p.a[bi * p.sA + (transA ? k * p.lda + i : i * p.lda + k)];
          const bv = p.b[bi * p.sB + (transB ? j * p.ldb + k : k * p.ldb + j)];
          s += av * bv;
        }
        const ci = bi * p.sC + i * p.ldc + j;
        out[ci] = p.alpha * s + (beta === 0 ? 0 : beta * out[ci]);
      }
  }
  return out;
}

function run(p: Prepared, t: Case): void {
  addon.sgemm(t.transA, t.transB, t.M, t.N, t.K, p.alpha, p.a, p.lda, p.b, p.ldb, p.beta, p.c, p.ldc, p.batch, p.sA, p.sB, p.sC);
}

function check(t: Case, mutate?: (p: Prepared) => void): void {
  const p = prepare(t);
  mutate?.(p);
  const want = reference(t, p);
  run(p, t);
  const tol = 1e-5 * Math.sqrt(Math.max(1, t.K));
  for (let i = 0; i < want.length; i++) {
    const got = p.c[i], exp = want[i];
    if (Number.isNaN(exp) && Number.isNaN(got)) continue; // padding that held NaN, untouched
    if (!(Math.abs(got - exp) <= tol * Math.max(1, Math.abs(exp)))) {
      assert.fail(`${JSON.stringify(t)}: c[${i}] = ${got}, expected ${exp}`);
    }
  }
}

const TT: Array<[boolean, boolean]> = [[false, false], [false, true], [true, false], [true, true]];

test('matches a float64 reference on odd shapes, all four transpose combinations', () => {
  // Shapes cross every code path: the small-M kernels (M <= 8), the same kernels on the transposed
  // problem for few columns (N <= 8), the packed 6x16 kernel with edge
  // tiles, K and M beyond one cache block (KC 256, MC 144), N beyond one NC block (3072).
  const shapes: Array<[number, number, number]> = [
    [1, 1, 1], [7, 13, 5], [1, 100, 37], [1, 300, 513], [20, 30, 1], [2, 9, 3], [3, 70, 300], [4, 65, 17],
    [5, 31, 40], [6, 100, 33], [7, 33, 64], [8, 129, 65], [9, 17, 300], [6, 16, 256], [12, 32, 8],
    [150, 40, 300], [37, 200, 129], [13, 3100, 20], [1, 5000, 3],
    [300, 1, 64], [100, 5, 33], [50, 8, 300], [9, 2, 7], [9, 9, 9],
  ];
  for (const [M, N, K] of shapes)
    for (const [transA, transB] of TT) check({ transA, transB, M, N, K });
});

test('leading dimensions wider than the rows, alpha and beta; padding is never written', () => {
  for (const [M, N, K] of [[5, 23, 19], [1, 40, 70], [30, 45, 270], [64, 64, 64], [40, 3, 20]] as Array<[number, number, number]>)
    for (const [transA, transB] of TT) {
      check({ transA, transB, M, N, K, padA: 3, padB: 5, padC: 7, alpha: 0.75, beta: -0.5 });
      check({ transA, transB, M, N, K, padA: 1, padB: 2, padC: 1, alpha: -2, beta: 1 });
    }
});

test('big enough to be split across threads, along rows and along columns', () => {
  check({ transA: false, transB: false, M: 300, N: 70, K: 90 }); // split along M
  check({ transA: true, transB: true, M: 70, N: 300, K: 90, beta: 0.5 }); // split along N
  check({ transA: false, transB: true, M: 3, N: 4000, K: 80, padC: 3 }); // small-M path, split along N
  check({ transA: true, transB: false, M: 8, N: 2050, K: 70, beta: 2 });
  check({ transA: false, transB: true, M: 2000, N: 3, K: 100, padC: 2, beta: 0.5 }); // few columns, split along M
  check({ transA: true, transB: false, M: 1500, N: 8, K: 90, padA: 1 });
});

test('batched: packed strides, broadcast operands (stride 0), odd and even batch sizes', () => {
  for (const batch of [2, 3, 5])
    for (const [transA, transB] of TT) {
      check({ transA, transB, M: 17, N: 24, K: 33, batch });
      check({ transA, transB, M: 40, N: 60, K: 50, batch, strideA: 0, beta: 0.25 });
      check({ transA, transB, M: 3, N: 50, K: 21, batch, strideB: 0, padC: 2 });
      check({ transA, transB, M: 64, N: 32, K: 64, batch, padA: 1, padB: 1, padC: 1, alpha: 0.5 });
    }
});

test('strideC = 0 runs the items in turn on one C (beta each time): beta = 1 sums them', () => {
  for (const [transA, transB] of TT) {
    check({ transA, transB, M: 9, N: 20, K: 11, batch: 4, strideC: 0, beta: 1 });
    check({ transA, transB, M: 60, N: 50, K: 70, batch: 3, strideC: 0, beta: 0.5 }); // threaded inside each item
    check({ transA, transB, M: 2, N: 30, K: 40, batch: 3, strideC: 0 }); // beta 0: the last item wins
  }
});

test('random shapes, layouts and scalars (seeded) agree with the reference', () => {
  const pick = <T>(xs: readonly T[]) => xs[rng.int(xs.length)];
  for (let i = 0; i < 80; i++) {
    const big = i % 8 === 0; // every 8th case is large enough to be threaded
    check({
      transA: rng.next() < 0.5, transB: rng.next() < 0.5,
      M: rng.range(1, big ? 160 : 20), N: rng.range(1, big ? 160 : 40), K: rng.range(1, big ? 300 : 50),
      padA: pick([0, 0, 1, 5]), padB: pick([0, 0, 2, 7]), padC: pick([0, 0, 3]),
      alpha: pick([1, 1, -0.5, 2]), beta: pick([0, 0, 1, 0.25]),
      batch: pick([1, 1, 2, 3]), strideA: pick(['packed', 'packed', 0] as const), strideB: pick(['packed', 'packed', 0] as const),
    });
  }
});

test('results do not depend on where threads cut C (rows at multiples of 6, columns of 16 or 64)', () => {
  // The whole product against the same product computed in separate blocks, cut where the
  // threads may cut it (packed path: rows at multiples of MR = 6, columns of NR = 16; few-row and
  // few-column paths: multiples of 64), but off every cache-block and tile boundary otherwise.
  // Results must be bit-for-bit equal, so a run is reproducible whatever the thread count.
  const cases: Array<[number, number, number, number, number]> = [
    // M, N, K, row cut, column cut (0: no cut)
    [301, 203, 300, 150, 96], [97, 45, 513, 42, 32], [5, 777, 64, 0, 384], [1, 3000, 97, 0, 1984], [700, 3, 90, 320, 0],
  ];
  for (const [M, N, K, mc, nc] of cases)
    for (const [transA, transB] of TT) {
      const a = rand(M * K), b = rand(K * N), c0 = rand(M * N);
      const lda = transA ? M : K, ldb = transB ? K : N;
      const whole = c0.slice();
      addon.sgemm(transA, transB, M, N, K, 0.7, a, lda, b, ldb, 0.75, whole, N, 1, 0, 0, 0); // alpha: not a power of 2
      const parts = c0.slice();
      const rows = mc ? [[0, mc], [mc, M]] : [[0, M]], cols = nc ? [[0, nc], [nc, N]] : [[0, N]];
      for (const [r0, r1] of rows)
        for (const [q0, q1] of cols) {
          const aOff = transA ? r0 : r0 * lda, bOff = transB ? q0 * ldb : q0;
          addon.sgemm(transA, transB, r1 - r0, q1 - q0, K, 0.7, a.subarray(aOff), lda, b.subarray(bOff), ldb, 0.75,
            parts.subarray(r0 * N + q0), N, 1, 0, 0, 0);
        }
      for (let i = 0; i < M * N; i++)
        if (!Object.is(whole[i], parts[i])) assert.fail(`${M}x${N}x${K} ${transA}/${transB}: c[${i}] ${whole[i]} vs ${parts[i]}`);
    }
});

test('interleaved C items (heads of a [T, H, D] output) are written side by side', () => {
  const T = 20, H = 3, D = 16, K = 24;
  const a = rand(H * T * K), b = rand(H * K * D), c = new Float32Array(T * H * D).fill(NaN);
  addon.sgemm(false, false, T, D, K, 1, a, K, b, D, 0, c, H * D, H, T * K, K * D, D);
  for (let h = 0; h < H; h++)
    for (let t = 0; t < T; t++)
      for (let d = 0; d < D; d++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += a[h * T * K + t * K + k] * b[h * K * D + k * D + d];
        assert.ok(Math.abs(c[t * H * D + h * D + d] - s) < 1e-4, `h ${h} t ${t} d ${d}`);
      }
});

test('beta = 0 overwrites C: NaN already in C does not leak (every kernel path)', () => {
  const nanC = (p: Prepared) => p.c.fill(NaN);
  for (const [M, N, K] of [[1, 50, 30], [7, 13, 5], [6, 16, 8], [100, 77, 300], [8, 1000, 70], [200, 4, 50]] as Array<[number, number, number]>)
    for (const [transA, transB] of TT) check({ transA, transB, M, N, K, padC: 2, beta: 0 }, nanC);
});

test('alpha = 0 or K = 0 leaves beta * C; M = 0 or N = 0 writes nothing', () => {
  const c = new Float32Array([1, 2, NaN, 4]);
  addon.sgemm(false, false, 2, 2, 3, 0, new Float32Array(6).fill(NaN), 3, new Float32Array(6), 2, 0, c, 2, 1, 0, 0, 0);
  assert.deepEqual([...c], [0, 0, 0, 0]);
  const d = new Float32Array([1, 2, 3, 4]);
  addon.sgemm(false, false, 2, 2, 0, 1, new Float32Array(0), 1, new Float32Array(0), 2, 3, d, 2, 1, 0, 0, 0);
  assert.deepEqual([...d], [3, 6, 9, 12]);
  const e = new Float32Array([5, 6]);
  addon.sgemm(false, false, 0, 2, 4, 1, new Float32Array(0), 4, new Float32Array(8), 2, 0, e, 2, 1, 0, 0, 0);
  addon.sgemm(false, false, 1, 0, 4, 1, new Float32Array(4), 4, new Float32Array(0), 1, 0, e, 1, 1, 0, 0, 0);
  assert.deepEqual([...e], [5, 6]);
});

test('views with a byte offset into a larger buffer are read and written in place', () => {
  const buf = new Float32Array(100).fill(7);
  const a = buf.subarray(10, 16), b = buf.subarray(20, 26), c = buf.subarray(40, 44); // 2x3 @ 3x2
  a.set([1, 2, 3, 4, 5, 6]);
  b.set([1, 0, 0, 1, 1, 1]);
  addon.sgemm(false, false, 2, 2, 3, 1, a, 3, b, 2, 0, c, 2, 1, 0, 0, 0);
  assert.deepEqual([...c], [4, 5, 10, 11]);
  assert.equal(buf[39], 7);
  assert.equal(buf[44], 7);
});

test('bad arguments throw a TypeError naming the argument, before touching memory', () => {
  const a = new Float32Array(12), b = new Float32Array(12), c = new Float32Array(9);
  const call = (over: Partial<Record<string, unknown>>) => () => {
    const x = { tA: false, tB: false, M: 3, N: 3, K: 4, alpha: 1, a, lda: 4, b, ldb: 3, beta: 0, c, ldc: 3, batch: 1, sA: 0, sB: 0, sC: 0, ...over };
    (addon.sgemm as (...args: unknown[]) => void)(x.tA, x.tB, x.M, x.N, x.K, x.alpha, x.a, x.lda, x.b, x.ldb, x.beta, x.c, x.ldc, x.batch, x.sA, x.sB, x.sC);
  };
  const throwsNaming = (fn: () => void, name: RegExp) => assert.throws(fn, (e: Error) => e instanceof TypeError && name.test(e.message));
  call({})(); // the baseline is valid
  throwsNaming(call({ a: new Float32Array(11) }), /'a' is too short/);
  throwsNaming(call({ b: new Float32Array(11) }), /'b' is too short/);
  throwsNaming(call({ c: new Float32Array(8) }), /'c' is too short/);
  throwsNaming(call({ lda: 3 }), /'lda'/);
  throwsNaming(call({ tA: true }), /'lda'.*>= M|'a' is too short/); // lda 4 >= M 3, but 4x3 stored needs 15 > 12
  throwsNaming(call({ ldb: 2 }), /'ldb'/);
  throwsNaming(call({ ldc: 2 }), /'ldc'/);
  throwsNaming(call({ batch: 2, sA: 12 }), /'a' is too short/);
  throwsNaming(call({ a: [1, 2, 3] }), /'a' must be a Float32Array/);
  throwsNaming(call({ c: new Float64Array(9) }), /'c' must be a Float32Array/);
  throwsNaming(call({ M: -1 }), /'M' must be a non-negative integer/);
  throwsNaming(call({ K: 2.5 }), /'K' must be a non-negative integer/);
  throwsNaming(call({ ldc: Number.NaN }), /'ldc'/);
  throwsNaming(call({ tA: 1 }), /'transA' must be a boolean/);
  throwsNaming(call({ alpha: 'x' }), /'alpha' must be a number/);
  // Overlapping items of C would be written by two threads at once.
  throwsNaming(call({ batch: 2, c: new Float32Array(30), sC: 3 }), /'strideC'/);
  // C sharing memory with A or B.
  const shared = new Float32Array(40);
  throwsNaming(call({ a: shared.subarray(0, 12), c: shared.subarray(6, 15) }), /'c' must not share memory with 'a'/);
  throwsNaming(call({ b: shared.subarray(20, 32), c: shared.subarray(28, 37) }), /'c' must not share memory with 'b'/);
  assert.throws(() => (addon.sgemm as (...args: unknown[]) => void)(false, false, 1), /expected 17 arguments/);
});
