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
  ) {
    const size = B * S * config.numKvHeads * config.headDim;
    this.k = Array.from({ length: config.numLayers }, () => new Float32Array(size));
    this.v = Array.from({ length: config.numLayers }, () => new Float32Array(size));
    this.kvStart = new Int32Array(B);
  }

  /** Model position (RoPE angle index) of cache index i in sequence b. */
  position(b: number, i: number): number {
    return Math.max(0, i - this.kvStart[b]);
  }
}
