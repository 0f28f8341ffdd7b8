import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 } from '../../src/models/dtypes.ts';
import { parseSafetensors, readSafetensors, serializeSafetensors, writeSafetensors } from '../../src/models/safetensors.ts';
import type { WeightMap } from '../../src/models/types.ts';
import { Rng } from '../../src/util/rng.ts';
import { rawSafetensors, tempDir } from './helpers.ts';

function randomWeights(seed: number): WeightMap {
  const rng = new Rng(seed);
  const w: WeightMap = new Map();
  for (const [name, shape] of [['a.weight', [3, 5]], ['b.bias', [7]], ['scalar', []], ['empty', [0, 4]], ['c', [2, 3, 4]]] as const) {
    const n = shape.reduce((x: number, d: number) => x * d, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = rng.normal() * 10 ** rng.range(-6, 4);
    w.set(name, { shape: [...shape], data });
  }
  return w;
}

for (const dtype of ['F32', 'F16', 'BF16'] as const) {
  test(`${dtype}: write then read gives the same names, shapes and (rounded) values`, () => {
    const dir = tempDir();
    const w = randomWeights(1);
    w.get('b.bias')!.data.set([Infinity, -Infinity, NaN, -0, 1e-30, 65520, 2 ** -24], 0);
    const path = join(dir, `w-${dtype}.safetensors`);
    writeSafetensors(path, w, { dtype, metadata: { note: 'x' } });
    const back = readSafetensors(path);
    assert.deepEqual([...back.tensors.keys()].sort(), [...w.keys()].sort());
    assert.equal(back.metadata.format, 'pt', 'transformers needs format=pt');
    assert.equal(back.metadata.note, 'x');
    const round = dtype === 'F32' ? Math.fround : dtype === 'F16' ? (v: number) => f16ToF32(f32ToF16(v)) : (v: number) => bf16ToF32(f32ToBf16(v));
    for (const [name, t] of w) {
      const b = back.tensors.get(name)!;
      assert.deepEqual(b.shape, t.shape, name);
      assert.equal(back.dtypes.get(name), dtype);
      for (let i = 0; i < t.data.length; i++) {
        const want = round(t.data[i]);
        if (Number.isNaN(want)) assert.ok(Number.isNaN(b.data[i]), `${name}[${i}] should be NaN`);
        else assert.ok(Object.is(b.data[i], want), `${name}[${i}]: ${b.data[i]} !== ${want}`);
      }
    }
  });
}

test('F32 tensors are views of the file buffer (no copy), and the header is 8-byte aligned', () => {
  const bytes = serializeSafetensors(randomWeights(2));
  const headerLen = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal(headerLen % 8, 0);
  const { tensors } = parseSafetensors(bytes, 'mem');
  const t = tensors.get('c')!;
  assert.equal(t.data.buffer, bytes.buffer);
});

test('F32 data at an unaligned offset is copied, not misread', () => {
  const data = new Float32Array([1.5, -2.25, 3]);
  // Header of odd length (no padding): the data starts at an offset that is not a multiple of 4.
  const header = JSON.stringify({ t: { dtype: 'F32', shape: [3], data_offsets: [0, 12] } }) + ' ';
  const buf = new Uint8Array(rawSafetensors(null, new Uint8Array(data.buffer), header.length % 4 === 0 ? header + ' ' : header));
  assert.notEqual((buf.byteOffset + 8 + Number(Buffer.from(buf).readBigUInt64LE(0))) % 4, 0, 'test setup: data must be unaligned');
  const { tensors } = parseSafetensors(buf, 'odd');
  assert.deepEqual([...tensors.get('t')!.data], [1.5, -2.25, 3]);
});

test('F64 tensors are converted to float32 (documented choice); integer dtypes are rejected naming the tensor', () => {
  const f64 = new Float64Array([1 / 3, -1e300, 2.5]);
  const buf = rawSafetensors({ x: { dtype: 'F64', shape: [3], data_offsets: [0, 24] } }, new Uint8Array(f64.buffer));
  const t = parseSafetensors(buf, 'f64.safetensors').tensors.get('x')!;
  assert.deepEqual([...t.data], [Math.fround(1 / 3), -Infinity, 2.5]);
  for (const dtype of ['I8', 'I64', 'BOOL', 'F8_E4M3']) {
    const size = dtype === 'I64' ? 8 : 1;
    const bad = rawSafetensors({ 'q.weight': { dtype, shape: [2], data_offsets: [0, 2 * size] } }, new Uint8Array(2 * size));
    assert.throws(() => parseSafetensors(bad, 'quant.safetensors'), (e: Error) => {
      assert.match(e.message, /quant\.safetensors/);
      assert.match(e.message, /"q\.weight"/);
      assert.match(e.message, new RegExp(`dtype ${dtype}`));
      return true;
    });
  }
});

/** Assert that parsing `buf` fails with a message naming the file and matching every pattern. */
function rejects(buf: Uint8Array, ...patterns: RegExp[]) {
  assert.throws(() => parseSafetensors(buf, 'bad.safetensors'), (e: Error) => {
    assert.match(e.message, /bad\.safetensors/);
    for (const p of patterns) assert.match(e.message, p);
    return true;
  });
}

test('malformed files give errors naming the file and the tensor', () => {
  const good = serializeSafetensors(new Map([['w', { shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) }]]));
  rejects(good.subarray(0, 5), /truncated/);
  rejects(good.subarray(0, good.length - 3), /"w"/, /truncated/);
  const huge = Buffer.from(good);
  huge.writeBigUInt64LE(1n << 40n);
  rejects(huge, /header length/);
  const pastEnd = Buffer.from(good);
  pastEnd.writeBigUInt64LE(BigInt(good.length));
  rejects(pastEnd, /truncated/);
  rejects(rawSafetensors(null, new Uint8Array(0), '{"w": {"dtype": "F32", '), /not valid JSON/);
  rejects(rawSafetensors(null, new Uint8Array(0), '[1,2]'), /not an object/);
  const data16 = new Uint8Array(16);
  rejects(rawSafetensors({ w: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 32] } }, data16), /"w"/, /past the end/);
  rejects(rawSafetensors({ w: { dtype: 'F32', shape: [2, 2], data_offsets: [8, 4] } }, data16), /"w"/, /data_offsets/);
  rejects(rawSafetensors({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 16] } }, data16), /"w"/, /needs 12 bytes/);
  rejects(rawSafetensors({ w: { dtype: 'F32', shape: [2, -1], data_offsets: [0, 16] } }, data16), /"w"/, /shape/);
  rejects(rawSafetensors({ w: { dtype: 'Q4_K', shape: [4], data_offsets: [0, 16] } }, data16), /"w"/, /unknown dtype "Q4_K"/);
  rejects(
    rawSafetensors({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 12] }, b: { dtype: 'F32', shape: [2], data_offsets: [8, 16] } }, data16),
    /"a"/, /"b"/, /overlap/,
  );
});

test('readSafetensors on a missing or truncated file names the path', () => {
  const dir = tempDir();
  assert.throws(() => readSafetensors(join(dir, 'nope.safetensors')), /nope\.safetensors does not exist/);
  const path = join(dir, 'cut.safetensors');
  writeSafetensors(path, randomWeights(3));
  const bytes = readFileSync(path);
  writeFileSync(path, bytes.subarray(0, bytes.length - 10));
  assert.throws(() => readSafetensors(path), (e: Error) => e.message.includes(path) && /tensor "\w/.test(e.message) && /truncated/.test(e.message));
});

test('writing refuses a tensor whose data does not match its shape', () => {
  const w: WeightMap = new Map([['x', { shape: [2, 3], data: new Float32Array(5) }]]);
  assert.throws(() => serializeSafetensors(w), /"x".*\[2,3\].*6 elements.*5/);
});

test('reading from a file and parsing from memory agree on mixed dtypes stored out of header order', () => {
  const dir = tempDir();
  const f32 = new Float32Array([1.5, -2, 3.25]);
  const bf = new Uint16Array([0x3f80, 0xc000, 0x7f80, 0x0001]); // 1, -2, inf, a subnormal
  const f16 = new Uint16Array([0x3c00, 0x0001]); // 1, 2^-24
  const f64 = new Float64Array([0.1]);
  const data = Buffer.concat([Buffer.from(f64.buffer), Buffer.from(bf.buffer), Buffer.from(f32.buffer), Buffer.from(f16.buffer)]);
  const header = {
    z_f32: { dtype: 'F32', shape: [3], data_offsets: [16, 28] },
    a_bf16: { dtype: 'BF16', shape: [2, 2], data_offsets: [8, 16] },
    m_f16: { dtype: 'F16', shape: [2], data_offsets: [28, 32] },
    b_f64: { dtype: 'F64', shape: [1], data_offsets: [0, 8] },
  };
  const path = join(dir, 'mixed.safetensors');
  writeFileSync(path, rawSafetensors(header, data));
  const fromFile = readSafetensors(path);
  const fromMem = parseSafetensors(readFileSync(path), path);
  assert.deepEqual([...fromFile.tensors.keys()], ['z_f32', 'a_bf16', 'm_f16', 'b_f64'], 'header order is kept');
  for (const [name, t] of fromMem.tensors) assert.deepEqual(fromFile.tensors.get(name), t, name);
  assert.deepEqual([...fromFile.tensors.get('a_bf16')!.data], [1, -2, Infinity, 2 ** -133]);
  assert.deepEqual([...fromFile.tensors.get('m_f16')!.data], [1, 2 ** -24]);
  assert.deepEqual([...fromFile.tensors.get('z_f32')!.data], [1.5, -2, 3.25]);
  assert.deepEqual([...fromFile.tensors.get('b_f64')!.data], [Math.fround(0.1)]);
  assert.deepEqual(fromFile.tensors.get('a_bf16')!.shape, [2, 2]);
});
