/**
 * The safetensors format: 8-byte little-endian header length N, N bytes of JSON
 * ({name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}}, offsets
 * relative to the end of the header), then the raw little-endian tensor bytes.
 *
 * Reading is built for speed on big checkpoints (see readSafetensors): each byte of the file is
 * read once, F32 tensors straight into their Float32Array; parseSafetensors, for a file already
 * in memory, makes 4-aligned F32 tensors *views* of that buffer. Other dtypes are converted into
 * a fresh Float32Array: F16 and BF16 exactly, F64 by rounding to float32 (distil computes in
 * float32, so nothing is lost that would be used).
 * Integer, bool and 8-bit float dtypes are rejected: they hold quantised or non-weight data
 * that a float32 engine cannot use as is.
 *
 * Every malformed input gives an error that names the file and, where there is one, the tensor.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { endianness } from 'node:os';
import { writeFileAtomic } from '../util/atomic.ts';
import { decodeBf16, decodeF16, encodeBf16, encodeF16 } from './dtypes.ts';
import type { SaveDtype, WeightMap, WeightTensor } from './types.ts';

/** Every dtype the safetensors format defines, with its size in bytes. */
const DTYPE_BYTES: Record<string, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2,
  I64: 8, I32: 4, I16: 2, I8: 1, U64: 8, U32: 4, U16: 2, U8: 1, BOOL: 1,
  F8_E4M3: 1, F8_E5M2: 1, F8_E8M0: 1, F6_E2M3: 1, F6_E3M2: 1, F4: 1, C64: 8,
};
const READABLE = new Set(['F32', 'F16', 'BF16', 'F64']);

/** Headers above this size are corrupt in practice (the reference implementation caps at 100 MB). */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

export interface SafetensorsEntry {
  name: string;
  dtype: string;
  shape: number[];
  /** Absolute byte offsets in the file. */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  entries: SafetensorsEntry[];
  metadata: Record<string, string>;
  dataStart: number;
}

function fail(file: string, msg: string): never {
  throw new Error(`safetensors file ${file}: ${msg}`);
}

function assertLittleEndianHost(): void {
  if (endianness() !== 'LE') throw new Error('distil reads safetensors with typed-array views, which needs a little-endian machine');
}

/** The header length field, validated against the file size. */
function headerLength(first8: Uint8Array, fileSize: number, file: string): number {
  if (fileSize < 8) fail(file, `is ${fileSize} bytes, shorter than the 8-byte header length; the file is truncated or not safetensors`);
  const n = Number(new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true));
  if (n > MAX_HEADER_BYTES) fail(file, `header length field says ${n} bytes (limit ${MAX_HEADER_BYTES}); the file is corrupt or not safetensors`);
  if (8 + n > fileSize) fail(file, `header length field says ${n} bytes but the file has only ${fileSize - 8} after it; the file is truncated`);
  return n;
}

/**
 * Parse and validate the header. `buf` holds at least the first 8 + N bytes of the file
 * (all of it, for a file in memory); `fileSize` is the size of the whole file.
 */
export function parseSafetensorsHeader(buf: Uint8Array, file: string, fileSize = buf.length): SafetensorsHeader {
  const n = headerLength(buf, fileSize, file);
  const text = Buffer.from(buf.buffer, buf.byteOffset + 8, n).toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    fail(file, `header is not valid JSON (${(e as Error).message}); the file is corrupt`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) fail(file, 'header JSON is not an object');
  const dataStart = 8 + n;
  const dataLength = fileSize - dataStart;
  const entries: SafetensorsEntry[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (raw !== null && (typeof raw !== 'object' || Array.isArray(raw))) fail(file, '"__metadata__" is not an object');
      metadata = (raw ?? {}) as Record<string, string>;
      continue;
    }
    const info = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (info === null || typeof info !== 'object') fail(file, `tensor "${name}": header entry is not an object`);
    const { dtype, shape, data_offsets: offs } = info;
    if (typeof dtype !== 'string' || !(dtype in DTYPE_BYTES)) {
      fail(file, `tensor "${name}": unknown dtype ${JSON.stringify(dtype)} (the format defines ${Object.keys(DTYPE_BYTES).join(', ')})`);
    }
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      fail(file, `tensor "${name}": shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
    }
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isSafeInteger(o) && o >= 0) || offs[0] > offs[1]) {
      fail(file, `tensor "${name}": data_offsets ${JSON.stringify(offs)} is not [begin, end] with 0 <= begin <= end`);
    }
    const [b, e] = offs as [number, number];
    if (e > dataLength) {
      fail(file, `tensor "${name}": data_offsets [${b}, ${e}] run past the end of the data (${dataLength} bytes); the file is truncated or the header is corrupt`);
    }
    const numel = (shape as number[]).reduce((a, d) => a * d, 1);
    if (numel * DTYPE_BYTES[dtype] !== e - b) {
      fail(file, `tensor "${name}": shape [${shape}] of ${dtype} needs ${numel * DTYPE_BYTES[dtype]} bytes but data_offsets [${b}, ${e}] hold ${e - b}`);
    }
    entries.push({ name, dtype, shape: shape as number[], begin: dataStart + b, end: dataStart + e });
  }
  // Overlapping tensors would alias each other's bytes: a corrupt or hostile header.
  const sorted = [...entries].sort((x, y) => x.begin - y.begin || x.end - y.end);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1];
    const cur = sorted[i];
    if (cur.begin < prev.end) {
      fail(file, `tensors "${prev.name}" and "${cur.name}" overlap (bytes ${prev.begin - dataStart}-${prev.end - dataStart} and ${cur.begin - dataStart}-${cur.end - dataStart}); the header is corrupt`);
    }
  }
  return { entries, metadata, dataStart };
}

/** Convert one entry's bytes to float32 (a view when the bytes are F32 and 4-aligned). */
export function tensorFromEntry(buf: Uint8Array, entry: SafetensorsEntry, file: string): WeightTensor {
  const numel = entry.shape.reduce((a, d) => a * d, 1);
  const shape = [...entry.shape];
  switch (entry.dtype) {
    case 'F32': {
      if ((buf.byteOffset + entry.begin) % 4 === 0) {
        return { shape, data: new Float32Array(buf.buffer, buf.byteOffset + entry.begin, numel) };
      }
      // Unaligned (the writer did not pad its header to 8 bytes): copy once.
      const copy = new Uint8Array(numel * 4);
      copy.set(buf.subarray(entry.begin, entry.end));
      return { shape, data: new Float32Array(copy.buffer) };
    }
    case 'BF16':
      return { shape, data: decodeBf16(buf, entry.begin, numel) };
    case 'F16':
      return { shape, data: decodeF16(buf, entry.begin, numel) };
    case 'F64': {
      const dv = new DataView(buf.buffer, buf.byteOffset + entry.begin, numel * 8);
      const data = new Float32Array(numel);
      for (let i = 0; i < numel; i++) data[i] = dv.getFloat64(i * 8, true);
      return { shape, data };
    }
    default:
      fail(file, `tensor "${entry.name}" has dtype ${entry.dtype}, which distil cannot load (it reads F32, F16, BF16 and F64); convert the checkpoint to a float dtype, e.g. dequantise it`);
  }
}

export interface SafetensorsContents {
  tensors: WeightMap;
  metadata: Record<string, string>;
  /** The dtype each tensor was stored in. */
  dtypes: Map<string, string>;
}

/** Parse a whole safetensors file held in memory. */
export function parseSafetensors(buf: Uint8Array, file = '<buffer>'): SafetensorsContents {
  assertLittleEndianHost();
  const header = parseSafetensorsHeader(buf, file);
  // Check every dtype before converting anything, so a bad file fails fast.
  for (const e of header.entries) {
    if (!READABLE.has(e.dtype)) tensorFromEntry(buf, e, file);
  }
  const tensors: WeightMap = new Map();
  const dtypes = new Map<string, string>();
  for (const e of header.entries) {
    tensors.set(e.name, tensorFromEntry(buf, e, file));
    dtypes.set(e.name, e.dtype);
  }
  return { tensors, metadata: header.metadata, dtypes };
}

/**
 * Read a safetensors file. Every byte is read once, straight to where it is used: an F32 tensor
 * into its own Float32Array (no intermediate buffer, no copy), a 16-bit tensor into a reused
 * scratch buffer that is converted from. Compared with reading the whole file into one Buffer,
 * this touches a third less fresh memory for BF16 checkpoints (page faults dominate the load
 * time of a 135M-parameter model), has no 2-4 GiB single-Buffer limit, and lets a kept tensor
 * not pin the whole file in memory.
 */
/**
 * Where a tensor's values should land: an array of exactly its element count (e.g. a view
 * into a model's parameter buffer), or undefined for a fresh array. Loading straight into the
 * model avoids a second copy (and its page faults) of every weight.
 */
export type TensorDestination = (name: string, numel: number) => Float32Array | undefined;

export function readSafetensors(path: string, into?: TensorDestination): SafetensorsContents {
  assertLittleEndianHost();
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    throw new Error(`safetensors file ${path} does not exist or cannot be read`);
  }
  try {
    const size = fstatSync(fd).size;
    const first8 = new Uint8Array(8);
    readExactly(fd, first8, 0, path);
    const n = headerLength(first8, size, path);
    const head = new Uint8Array(8 + n);
    readExactly(fd, head, 0, path);
    const header = parseSafetensorsHeader(head, path, size);
    for (const e of header.entries) {
      if (!READABLE.has(e.dtype)) tensorFromEntry(head, e, path); // throws the unsupported-dtype error
    }
    const tensors: WeightMap = new Map();
    const dtypes = new Map<string, string>();
    let scratch = new Uint8Array(0);
    for (const e of [...header.entries].sort((a, b) => a.begin - b.begin)) {
      const bytes = e.end - e.begin;
      let t: WeightTensor;
      const numel = e.shape.reduce((a, d) => a * d, 1);
      const dest = into?.(e.name, numel);
      const target = dest && dest.length === numel ? dest : undefined;
      if (e.dtype === 'F32') {
        const data = target ?? new Float32Array(bytes / 4);
        readExactly(fd, new Uint8Array(data.buffer, data.byteOffset, bytes), e.begin, path, e.name);
        t = { shape: [...e.shape], data };
      } else {
        if (scratch.length < bytes) scratch = new Uint8Array(bytes);
        const view = scratch.subarray(0, bytes);
        readExactly(fd, view, e.begin, path, e.name);
        if (target && e.dtype === 'BF16') t = { shape: [...e.shape], data: decodeBf16(view, 0, numel, target) };
        else if (target && e.dtype === 'F16') t = { shape: [...e.shape], data: decodeF16(view, 0, numel, target) };
        else {
          t = tensorFromEntry(view, { ...e, begin: 0, end: bytes }, path);
          if (target) {
            target.set(t.data);
            t = { shape: t.shape, data: target };
          }
        }
      }
      tensors.set(e.name, t);
      dtypes.set(e.name, e.dtype);
    }
    // Keep the header's order (what the writer chose), not the byte order used for reading.
    const ordered: WeightMap = new Map(header.entries.map((e) => [e.name, tensors.get(e.name)!]));
    return { tensors: ordered, metadata: header.metadata, dtypes };
  } finally {
    closeSync(fd);
  }
}

/** Fill `into` from the file at `position` (readSync may return less than asked, and caps at 2 GiB). */
function readExactly(fd: number, into: Uint8Array, position: number, path: string, tensor?: string): void {
  let off = 0;
  while (off < into.length) {
    const n = readSync(fd, into, off, Math.min(into.length - off, 1 << 30), position + off);
    if (n === 0) fail(path, `ended early${tensor ? ` inside tensor "${tensor}"` : ''}; the file is truncated or was changed while being read`);
    off += n;
  }
}

export interface WriteSafetensorsOptions {
  dtype?: SaveDtype;
  metadata?: Record<string, string>;
}

const SAVE_BYTES: Record<SaveDtype, number> = { F32: 4, F16: 2, BF16: 2 };

/** Serialise tensors to safetensors bytes. Tensors are laid out sorted by name. */
export function serializeSafetensors(tensors: WeightMap | Iterable<[string, WeightTensor]>, opts: WriteSafetensorsOptions = {}): Uint8Array {
  assertLittleEndianHost();
  const dtype = opts.dtype ?? 'F32';
  if (!(dtype in SAVE_BYTES)) throw new Error(`cannot write safetensors in dtype ${dtype}: choose F32, F16 or BF16`);
  const size = SAVE_BYTES[dtype];
  const items = [...tensors].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  // transformers refuses a safetensors file whose metadata lacks format "pt".
  const header: Record<string, unknown> = { __metadata__: { format: 'pt', ...opts.metadata } };
  let offset = 0;
  for (const [name, t] of items) {
    const numel = t.shape.reduce((a, d) => a * d, 1);
    if (numel !== t.data.length) {
      throw new Error(`cannot write tensor "${name}": shape [${t.shape}] has ${numel} elements but its data has ${t.data.length}`);
    }
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + numel * size] };
    offset += numel * size;
  }
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  // Pad the header with spaces to a multiple of 8 so every tensor starts aligned for views.
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) json = Buffer.concat([json, Buffer.alloc(padded - json.length, 0x20)]);
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let p = 8 + json.length;
  for (const [, t] of items) {
    if (dtype === 'F32') out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), p);
    else if (dtype === 'BF16') encodeBf16(t.data, out, p);
    else encodeF16(t.data, out, p);
    p += t.data.length * size;
  }
  return out;
}

/** Write tensors to a safetensors file atomically (temporary file, then rename). */
export function writeSafetensors(path: string, tensors: WeightMap | Iterable<[string, WeightTensor]>, opts: WriteSafetensorsOptions = {}): void {
  writeFileAtomic(path, serializeSafetensors(tensors, opts));
}
