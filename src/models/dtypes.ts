/**
 * Bit-exact conversions between float32 and the 16-bit float formats found in checkpoints.
 *
 * bfloat16 is the top half of a float32 (same exponent range), so reading it is a shift and
 * writing it is a rounding of the dropped 16 bits. float16 (IEEE binary16) has a 5-bit
 * exponent, so writing it also handles overflow to infinity and gradual underflow into
 * subnormals. Every write rounds to nearest, ties to even — what PyTorch's `.to(dtype)` does —
 * so a tensor saved here is bit-identical to one saved by torch from the same float32 values.
 * NaNs stay NaN (quiet, sign kept); infinities and signed zeros are preserved.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 bit pattern (as an unsigned 32-bit integer) -> bfloat16 bit pattern. */
export function f32BitsToBf16Bits(x: number): number {
  if ((x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff) !== 0) {
    // NaN: truncation could clear every mantissa bit and turn it into infinity; force quiet.
    return ((x >>> 16) & 0x8000) | 0x7fc0;
  }
  // Round to nearest even: add 0x7fff plus the lowest kept bit, then truncate. A carry out of
  // the mantissa bumps the exponent, which is exactly right (and reaches infinity on overflow).
  const rounded = (x >>> 0) + 0x7fff + ((x >>> 16) & 1);
  return (rounded >>> 16) & 0xffff;
}

/** bfloat16 bit pattern -> float32 bit pattern (exact). */
export function bf16BitsToF32Bits(h: number): number {
  return (h << 16) >>> 0;
}

/** float32 bit pattern -> float16 bit pattern, round to nearest even. */
export function f32BitsToF16Bits(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) {
    // Infinity stays infinity; NaN keeps its top payload bits and is forced quiet.
    return mant === 0 ? sign | 0x7c00 : sign | 0x7c00 | 0x200 | (mant >>> 13);
  }
  const e = exp - 127 + 15; // re-biased exponent
  if (e >= 31) return sign | 0x7c00; // too large: infinity
  if (e <= 0) {
    // Subnormal half (or zero). Values below half the smallest subnormal (2^-25) round to 0.
    if (e < -10) return sign;
    const m = mant | 0x800000; // restore the implicit leading 1
    const shift = 14 - e; // 14..24
    let h = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && (h & 1) === 1)) h++; // may carry into the smallest normal: correct
    return sign | h;
  }
  let h = sign | (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1) === 1)) h++; // carry may reach 0x7c00 = infinity: correct
  return h;
}

/** float16 bit pattern -> float32 bit pattern (exact; subnormals become normal floats). */
export function f16BitsToF32Bits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0x1f) return (sign | 0x7f800000 | (mant << 13)) >>> 0;
  if (exp !== 0) return (sign | ((exp - 15 + 127) << 23) | (mant << 13)) >>> 0;
  if (mant === 0) return sign >>> 0;
  // Subnormal: value = mant * 2^-24; normalise so the leading 1 is implicit.
  let e = -14;
  let m = mant;
  while ((m & 0x400) === 0) {
    m <<= 1;
    e--;
  }
  return (sign | ((e + 127) << 23) | ((m & 0x3ff) << 13)) >>> 0;
}

/** Number helpers (via the bit-level functions above). */
export function f32ToBf16(v: number): number {
  f32[0] = v;
  return f32BitsToBf16Bits(u32[0]);
}
export function bf16ToF32(h: number): number {
  u32[0] = bf16BitsToF32Bits(h);
  return f32[0];
}
export function f32ToF16(v: number): number {
  f32[0] = v;
  return f32BitsToF16Bits(u32[0]);
}
export function f16ToF32(h: number): number {
  u32[0] = f16BitsToF32Bits(h);
  return f32[0];
}

// float16 decoding goes through a 65536-entry table (256 KiB, built on first use): a table
// lookup per element is several times faster than the branches above on large checkpoints.
let f16Table: Uint32Array | undefined;
function f16ToF32Table(): Uint32Array {
  if (!f16Table) {
    f16Table = new Uint32Array(65536);
    for (let h = 0; h < 65536; h++) f16Table[h] = f16BitsToF32Bits(h);
  }
  return f16Table;
}

/** Decode `n` little-endian 16-bit values starting at byte `offset` of `bytes` into float32. */
export function decodeBf16(bytes: Uint8Array, offset: number, n: number, out: Float32Array = new Float32Array(n)): Float32Array {
  const outBits = new Uint32Array(out.buffer, out.byteOffset, n);
  if ((bytes.byteOffset + offset) % 2 === 0) {
    const src = new Uint16Array(bytes.buffer, bytes.byteOffset + offset, n);
    for (let i = 0; i < n; i++) outBits[i] = src[i] << 16;
  } else {
    for (let i = 0, p = offset; i < n; i++, p += 2) outBits[i] = (bytes[p] | (bytes[p + 1] << 8)) << 16;
  }
  return out;
}

export function decodeF16(bytes: Uint8Array, offset: number, n: number, out: Float32Array = new Float32Array(n)): Float32Array {
  const table = f16ToF32Table();
  const outBits = new Uint32Array(out.buffer, out.byteOffset, n);
  if ((bytes.byteOffset + offset) % 2 === 0) {
    const src = new Uint16Array(bytes.buffer, bytes.byteOffset + offset, n);
    for (let i = 0; i < n; i++) outBits[i] = table[src[i]];
  } else {
    for (let i = 0, p = offset; i < n; i++, p += 2) outBits[i] = table[bytes[p] | (bytes[p + 1] << 8)];
  }
  return out;
}

/** Encode float32 values as little-endian 16-bit values into `out` at byte `offset`. */
export function encodeBf16(src: Float32Array, out: Uint8Array, offset: number): void {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0, p = offset; i < bits.length; i++, p += 2) {
    const h = f32BitsToBf16Bits(bits[i]);
    out[p] = h & 0xff;
    out[p + 1] = h >>> 8;
  }
}

export function encodeF16(src: Float32Array, out: Uint8Array, offset: number): void {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0, p = offset; i < bits.length; i++, p += 2) {
    const h = f32BitsToF16Bits(bits[i]);
    out[p] = h & 0xff;
    out[p + 1] = h >>> 8;
  }
}
