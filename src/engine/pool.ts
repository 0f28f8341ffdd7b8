/**
 * A size-keyed pool of Float32Array buffers. Every op output and every gradient of an
 * intermediate comes from here and goes back after backward(), so a training loop reaches a
 * steady state after its first step and allocates nothing afterwards: the same shapes recur
 * every step. Buffers handed out are NOT zeroed (ops write their outputs in full).
 */
const free = new Map<number, Float32Array[]>();

export const poolStats = {
  /** Buffers created with `new Float32Array` (grows only while warming up). */
  allocations: 0,
  allocatedBytes: 0,
  acquires: 0,
  releases: 0,
};

export function acquire(n: number): Float32Array {
  poolStats.acquires++;
  const list = free.get(n);
  if (list && list.length) return list.pop()!;
  poolStats.allocations++;
  poolStats.allocatedBytes += 4 * n;
  return new Float32Array(n);
}

export function release(buf: Float32Array): void {
  poolStats.releases++;
  let list = free.get(buf.length);
  if (!list) free.set(buf.length, (list = []));
  list.push(buf);
}

/** Number of buffers currently waiting in the pool, and their bytes. */
export function poolFree(): { buffers: number; bytes: number } {
  let buffers = 0, bytes = 0;
  for (const [n, list] of free) {
    buffers += list.length;
    bytes += 4 * n * list.length;
  }
  return { buffers, bytes };
}

/** Drop every pooled buffer (e.g. after a phase with different shapes); the GC reclaims them. */
export function clearPool(): void {
  free.clear();
}
