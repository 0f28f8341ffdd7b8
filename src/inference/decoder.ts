/**
 * The inference forward pass: a chunk of Tq new tokens per sequence through every layer,
 * reading and extending a KV cache, with no autograd. Prefill is one chunk of the whole
 * (left-padded) prompt; decoding is chunks of one token. Buffers are reused across calls.
 */
import type { Kernels } from '../engine/kernels/types.ts';
import type { ModelConfig } from '../nn/config.ts';
import { KVCache } from './kv-cache.ts';
import { resolveWeights, type ResolvedWeights, type WeightMap } from './weights.ts';

/** Named scratch buffers that grow on demand and are handed out as exact-length views. */
class Scratch {
  private bufs = new Map<string, Float32Array>();
  get(name: string, n: number): Float32Array {
    let b = this.bufs.get(name);
    if (!b || b.length < n) {
      b = new Float32Array(Math.max(n, Math.ceil((b?.length ?? 0) * 1.5)));
      this.bufs.set(name, b);
    }
    return b.subarray(0, n);
  }
}

/**
 * Products with at most this many columns (an output of a few values) run on sgemm's
 * few-column path from the plain weights; every other product runs from the packed weights
 * when there are some, whatever its number of rows: past 8 rows it computes every element
 * exactly as sgemm does, and below that it is much faster than sgemm's few-row path (688x256
 * streamed from L3, one thread: 1 row 11 vs 13 us, 4 rows 23 vs 67 us, 8 rows 24 vs 109 us), and
 * gives each row the bits it has in a larger batch.
 */
const PACKED_MIN_COLS = 8;

export class Decoder {
  readonly w: ResolvedWeights;
  private scratch = new Scratch();
  private positions = new Int32Array(0);
  /** Weight -> its packed form, valid while `withPackedWeights` runs (the weights cannot change then). */
  private packed: Map<Float32Array, Float32Array> | null = null;
  /** Storage of the last released KV cache, reused by the next one that fits. */
  private spareCache: { k: Float32Array[]; v: Float32Array[] } | null = null;
  /** The packed buffers, kept between calls so that repacking allocates nothing. */
  private packBuffers = new Map<Float32Array, Float32Array>();

  constructor(
    readonly config: ModelConfig,
    weights: WeightMap,
    readonly k: Kernels,
  ) {
    this.w = resolveWeights(config, weights);
  }

  /**
   * Runs fn with every linear weight (and the LM head) packed once for the kernels' GEMM, so that
   * decode steps multiply straight from the packed panels instead of re-packing the weights
   * every step (a quarter of a 32-row product, and the whole LM head per step on a large
   * vocabulary) or reading them through the slower few-row path (8 rows and fewer). The weights are the model's own buffers and may be trained
   * between calls, so they are packed again at every call, into buffers kept from the last one
   * (a copy of the weights' size stays allocated). Products past 8 rows give the same bits as
   * without; fewer rows get the bits they would have in such a batch.
   */
  withPackedWeights<T>(fn: () => T): T {
    if (this.packed) return fn();
    const { config: c, k: K, w } = this;
    const D = c.hiddenSize, F = c.intermediateSize, qDim = c.numHeads * c.headDim, kvDim = c.numKvHeads * c.headDim;
    const packed = new Map<Float32Array, Float32Array>();
    const pack = (W: Float32Array, N: number, nIn: number) => {
      if (!packed.has(W)) {
        const buf = K.packWeights(W, N, nIn, this.packBuffers.get(W));
        this.packBuffers.set(W, buf);
        packed.set(W, buf);
      }
    };
    for (const L of w.layers) {
      pack(L.q, qDim, D); pack(L.k, kvDim, D); pack(L.v, kvDim, D); pack(L.o, D, qDim);
      pack(L.gate, F, D); pack(L.up, F, D); pack(L.down, D, F);
    }
    pack(w.lmHead, c.vocabSize, D);
    this.packed = packed;
    try {
      return fn();
    } finally {
      this.packed = null;
    }
  }

  /** out [M, N] = inp [M, nIn] @ W^T: from the packed weights when there are and the shape is past the few-row path. */
  private matmulWT(inp: Float32Array, M: number, W: Float32Array, N: number, nIn: number, out: Float32Array): void {
    const p = N > PACKED_MIN_COLS ? this.packed?.get(W) : undefined;
    if (p) this.k.linearPacked(inp, M, p, N, nIn, out);
    else this.k.sgemm({ transA: false, transB: true, M, N, K: nIn, a: inp, b: W, c: out });
  }

  newCache(B: number, S: number): KVCache {
    if (S > this.config.maxPositions) {
      throw new Error(`inference: ${S} positions requested but the model supports at most ${this.config.maxPositions} (config maxPositions)`);
    }
    const spare = this.spareCache;
    if (spare && spare.k[0].length >= B * S * this.config.numKvHeads * this.config.headDim) {
      this.spareCache = null;
      return new KVCache(this.config, B, S, spare);
    }
    return new KVCache(this.config, B, S);
  }

  /**
   * Hands a cache that is no longer used back for the next `newCache`: fresh memory of a cache's
   * size (megabytes) costs a page fault per 4 KiB on first write, more than a small model's step.
   */
  releaseCache(cache: KVCache): void {
    const spare = this.spareCache;
    if (!spare || spare.k[0].length < cache.storage.k[0].length) this.spareCache = cache.storage;
  }

  /**
   * Runs ids [B * Tq] (row b*Tq + t is sequence b's t-th new token) through the model,
   * appending to the cache, and returns the logits [outRows.length, V] of the requested rows:
   * a new array, or the start of `out` when given (a caller decoding step after step reuses one
   * buffer: allocating megabytes per step costs more than a small model's whole step).
   * `hiddenOut` ([outRows.length, D]), when given, receives those rows' final-norm hidden
   * states, the LM head's input.
   */
  forward(ids: Int32Array, Tq: number, cache: KVCache, outRows: ArrayLike<number>, out?: Float32Array, hiddenOut?: Float32Array): Float32Array {
    const { config: c, k: K, w } = this;
    const B = cache.B, rows = B * Tq;
    if (ids.length !== rows) throw new Error(`inference: ${ids.length} ids for ${B} sequences x ${Tq} tokens`);
    if (cache.length + Tq > cache.S) throw new Error(`inference: KV cache full (${cache.length} + ${Tq} > ${cache.S})`);
    for (let i = 0; i < ids.length; i++) {
      if (ids[i] < 0 || ids[i] >= c.vocabSize) throw new Error(`inference: token id ${ids[i]} outside the vocabulary [0, ${c.vocabSize})`);
    }
    const D = c.hiddenSize, F = c.intermediateSize, Dh = c.headDim;
    const Hq = c.numHeads, Hkv = c.numKvHeads, qDim = Hq * Dh, kvDim = Hkv * Dh;
    const start = cache.length;

    if (this.positions.length < rows) this.positions = new Int32Array(rows);
    const pos = this.positions.subarray(0, rows);
    for (let b = 0; b < B; b++) for (let t = 0; t < Tq; t++) pos[b * Tq + t] = cache.position(b, start + t);

    const s = this.scratch;
    const x = s.get('x', rows * D);
    K.embedding(w.embed, ids, D, x);
    const h = s.get('h', rows * D), rstd = s.get('rstd', rows * Math.max(Hq, 1));
    const q = s.get('q', rows * qDim), kk = s.get('k', rows * kvDim), vv = s.get('v', rows * kvDim);
    const att = s.get('att', rows * qDim), o = s.get('o', rows * D);
    const g = s.get('g', rows * F), u = s.get('u', rows * F);
    const linear = (inp: Float32Array, W: Float32Array, out: Float32Array, nOut: number, nIn: number, bias?: Float32Array) => {
      this.matmulWT(inp, rows, W, nOut, nIn, out);
      if (bias) K.addRowVector(out, bias, rows, nOut, out);
    };

    for (let l = 0; l < c.numLayers; l++) {
      const L = w.layers[l];
      K.rmsnorm(x, L.inputNorm, rows, D, c.rmsNormEps, h, rstd.subarray(0, rows));
      linear(h, L.q, q, qDim, D, L.qBias);
      linear(h, L.k, kk, kvDim, D, L.kBias);
      linear(h, L.v, vv, kvDim, D, L.vBias);
      if (L.qNorm && L.kNorm) {
        K.rmsnorm(q, L.qNorm, rows * Hq, Dh, c.rmsNormEps, q, s.get('rq', rows * Hq));
        K.rmsnorm(kk, L.kNorm, rows * Hkv, Dh, c.rmsNormEps, kk, s.get('rk', rows * Hkv));
      }
      K.rope(q, rows, Hq, Dh, pos, c.ropeTheta, false, q);
      K.rope(kk, rows, Hkv, Dh, pos, c.ropeTheta, false, kk);
      const ck = cache.k[l], cv = cache.v[l];
      for (let b = 0; b < B; b++) {
        const src = b * Tq * kvDim, dst = (b * cache.S + start) * kvDim;
        ck.set(kk.subarray(src, src + Tq * kvDim), dst);
        cv.set(vv.subarray(src, src + Tq * kvDim), dst);
      }
      K.attention({
        q, k: ck, v: cv, out: att, B, Tq, S: cache.S, kvLen: start + Tq, qOffset: start,
        Hq, Hkv, Dh, scale: 1 / Math.sqrt(Dh), kvStart: cache.kvStart,
      });
      // Padding queries see no key at all; their rows are never read, but keep them finite.
      for (let b = 0; b < B; b++) {
        for (let t = 0; t < Tq && start + t < cache.kvStart[b]; t++) att.fill(0, (b * Tq + t) * qDim, (b * Tq + t + 1) * qDim);
      }
      linear(att, L.o, o, D, qDim);
      K.add(x, o, x);
      K.rmsnorm(x, L.postNorm, rows, D, c.rmsNormEps, h, rstd.subarray(0, rows));
      linear(h, L.gate, g, F, D);
      linear(h, L.up, u, F, D);
      K.swiglu(g, u, g);
      linear(g, L.down, o, D, F);
      K.add(x, o, x);
    }
    cache.length = start + Tq;

    // Only the requested rows go through the final norm and the (possibly huge) LM head.
    const n = outRows.length;
    const sel = s.get('sel', n * D), selN = s.get('selN', n * D);
    for (let i = 0; i < n; i++) {
      const r = outRows[i];
      if (r < 0 || r >= rows) throw new Error(`inference: output row ${r} outside [0, ${rows})`);
      sel.set(x.subarray(r * D, (r + 1) * D), i * D);
    }
    K.rmsnorm(sel, w.finalNorm, n, D, c.rmsNormEps, selN, s.get('rstdOut', n));
    if (hiddenOut) {
      if (hiddenOut.length !== n * D) throw new Error(`inference: hiddenOut has ${hiddenOut.length} values for ${n} rows x ${D}`);
      hiddenOut.set(selN);
    }
    if (out && out.length < n * c.vocabSize) throw new Error(`inference: logits buffer of ${out.length} values for ${n} x ${c.vocabSize}`);
    const logits = out ? out.subarray(0, n * c.vocabSize) : new Float32Array(n * c.vocabSize);
    this.matmulWT(selN, n, w.lmHead, c.vocabSize, D, logits);
    return logits;
  }
}
