/**
 * Keys and values of every layer for a batch of sequences, [B, S, Hkv, Dh] per layer.
 * Sequences are left-aligned to a common length: sequence b's real tokens start at cache
 * index kvStart[b] (everything before is padding the attention masks out), so one decode
 * step appends one token to every sequence at the same index.
 */
import type { ModelConfig } from '../nn/config.ts';

export class KVCache {
  readonly k: Float32Array[];
  readonly v: Float32Array[];
  readonly kvStart: Int32Array;
  /** Cache indices filled so far (the same for every sequence). */
  length = 0;

  constructor(
    readonly config: ModelConfig,
    readonly B: number,
    /** Capacity in positions. */
    readonly S: number,
    /**
     * Buffers to hold the keys and values (one per layer for each, at least B * S * kvDim
     * floats; their old contents do not matter, every position is written before it is read).
     * Fresh ones when absent.
     */
    readonly storage: { k: Float32Array[]; v: Float32Array[] } = KVCache.allocate(config, B * S),
  ) {
    const size = B * S * config.numKvHeads * config.headDim;
    if (storage.k.length !== config.numLayers || storage.v.length !== config.numLayers || storage.k.some((b, i) => b.length < size || storage.v[i].length < size)) {
      throw new Error(`KVCache: storage too small for ${B} sequences x ${S} positions`);
    }
    this.k = storage.k.map((b) => b.subarray(0, size));
    this.v = storage.v.map((b) => b.subarray(0, size));
    this.kvStart = new Int32Array(B);
  }

  static allocate(config: ModelConfig, positions: number): { k: Float32Array[]; v: Float32Array[] } {
    const size = positions * config.numKvHeads * config.headDim;
    return {
      k: Array.from({ length: config.numLayers }, () => new Float32Array(size)),
      v: Array.from({ length: config.numLayers }, () => new Float32Array(size)),
    };
  }

  /** Model position (RoPE angle index) of cache index i in sequence b. */
  position(b: number, i: number): number {
    return Math.max(0, i - this.kvStart[b]);
  }
}
