/**
 * A size-keyed pool of Float32Array buffers. Every op output and every gradient of an
 * intermediate comes from here and goes back after backward(), so a training loop reaches a
 * steady state after its first step and allocates nothing afterwards.
 *
 * Sizes are rounded up to one of four buckets per power of two (at most 25% slack) and the
 * caller gets an exact-length view: batches of varying length (sampling, RL) then reuse the
 * same few buffers instead of piling up one free list per distinct size. Buffers handed out
 * are NOT zeroed (ops write their outputs in full).
 */
const free = new Map<number, Float32Array[]>();
let freeBytes = 0;
/** Free buffers beyond this many bytes are dropped (left to the GC) instead of kept. */
let maxFreeBytes = 2 ** 31;

export const poolStats = {
  /** Buffers created with `new Float32Array` (grows only while warming up). */
  allocations: 0,
  allocatedBytes: 0,
  acquires: 0,
  releases: 0,
};

/** The bucket length for n elements: n rounded up to a quarter of its power of two. */
export function bucketSize(n: number): number {
  if (n <= 64) return 64;
  const step = 2 ** Math.max(0, Math.ceil(Math.log2(n)) - 3);
  return Math.ceil(n / step) * step;
}

export function acquire(n: number): Float32Array {
  poolStats.acquires++;
  const size = bucketSize(n);
  const list = free.get(size);
  let buf: Float32Array;
  if (list && list.length) {
    buf = list.pop()!;
    freeBytes -= 4 * size;
  } else {
    poolStats.allocations++;
    poolStats.allocatedBytes += 4 * size;
    buf = new Float32Array(size);
  }
  return n === size ? buf : buf.subarray(0, n);
}

/** Give back a buffer from acquire() (exactly once). */
export function release(buf: Float32Array): void {
  poolStats.releases++;
  const full = buf.byteOffset === 0 && buf.byteLength === buf.buffer.byteLength ? buf : new Float32Array(buf.buffer);
  const size = full.length;
  if (freeBytes + 4 * size > maxFreeBytes) return;
  let list = free.get(size);
  if (!list) free.set(size, (list = []));
  list.push(full);
  freeBytes += 4 * size;
}

/** Number of buffers currently waiting in the pool, and their bytes. */
export function poolFree(): { buffers: number; bytes: number } {
  let buffers = 0;
  for (const list of free.values()) buffers += list.length;
  return { buffers, bytes: freeBytes };
}

/** Drop every pooled buffer (e.g. after a phase with different shapes); the GC reclaims them. */
export function clearPool(): void {
  free.clear();
  freeBytes = 0;
}

/** Cap the bytes kept in the pool (default 2 GiB); returns the previous cap. */
export function setPoolLimit(bytes: number): number {
  const prev = maxFreeBytes;
  maxFreeBytes = bytes;
  return prev;
}
