import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  bf16BitsToF32Bits, bf16ToF32, f16BitsToF32Bits, f16ToF32, f32BitsToBf16Bits, f32BitsToF16Bits, f32ToBf16, f32ToF16,
} from '../../src/models/dtypes.ts';
import { parseSafetensorsHeader } from '../../src/models/safetensors.ts';
import { fixture } from './helpers.ts';

const hex = (n: number) => '0x' + n.toString(16).padStart(4, '0');

test('bfloat16: known bit patterns, including ties to even, overflow, subnormals and NaN', () => {
  const cases: Array<[number, number]> = [
    [0, 0x0000], [-0, 0x8000], [1, 0x3f80], [-2, 0xc000], [0.5, 0x3f00],
    [1 + 2 ** -8, 0x3f80], // exactly halfway between 1 and 1+2^-7: ties to the even mantissa (down)
    [1 + 3 * 2 ** -8, 0x3f82], // halfway, odd lower neighbour: rounds up
    [1 + 2 ** -8 + 2 ** -20, 0x3f81], // just above halfway: up
    [Infinity, 0x7f80], [-Infinity, 0xff80],
    [3.4028234663852886e38, 0x7f80], // max float32 rounds past the largest bfloat16: infinity
    [3.3895313892515355e38, 0x7f7f], // largest finite bfloat16
    [2 ** -133, 0x0001], // float32 subnormal that is exactly a bfloat16 subnormal
  ];
  for (const [v, bits] of cases) {
    assert.equal(hex(f32ToBf16(v)), hex(bits), `f32ToBf16(${v})`);
  }
  assert.equal(hex(f32ToBf16(NaN)), hex(0x7fc0));
  assert.equal(hex(f32BitsToBf16Bits(0x7f800001)), hex(0x7fc0), 'a NaN whose payload is in the dropped bits must stay NaN');
  assert.equal(hex(f32BitsToBf16Bits(0xffc00000)), hex(0xffc0), 'NaN keeps its sign');
  for (const exact of [0, 1, -2, 0.5, 3.3895313892515355e38, 2 ** -133]) assert.equal(bf16ToF32(f32ToBf16(exact)), exact);
  assert.equal(bf16ToF32(0x3f80), 1);
  assert.equal(bf16ToF32(0xc000), -2);
  assert.equal(bf16ToF32(0x7f80), Infinity);
  assert.ok(Number.isNaN(bf16ToF32(0x7fc1)));
});

test('float16: known bit patterns, including subnormals, ties, overflow and NaN', () => {
  const cases: Array<[number, number]> = [
    [0, 0x0000], [-0, 0x8000], [1, 0x3c00], [-2, 0xc000], [65504, 0x7bff],
    [65519, 0x7bff], // below the halfway point to 65536: stays finite
    [65520, 0x7c00], // halfway, rounds to even = infinity
    [1e6, 0x7c00], [-1e6, 0xfc00], [Infinity, 0x7c00], [-Infinity, 0xfc00],
    [2 ** -14, 0x0400], // smallest normal
    [2 ** -24, 0x0001], // smallest subnormal
    [2 ** -25, 0x0000], // half the smallest subnormal: tie to even (zero)
    [1.5 * 2 ** -24, 0x0002], // tie between 1 and 2 subnormal units: even (2)
    [2.5 * 2 ** -24, 0x0002], // tie between 2 and 3: even (2)
    [0.75 * 2 ** -24, 0x0001],
    [2 ** -14 - 2 ** -24, 0x03ff], // largest subnormal
    [1 + 2 ** -11, 0x3c00], // tie, even: down
    [1 + 3 * 2 ** -11, 0x3c02], // tie, odd: up
    [1 / 3, 0x3555],
    [1e-8, 0x0000],
  ];
  for (const [v, bits] of cases) assert.equal(hex(f32ToF16(v)), hex(bits), `f32ToF16(${v})`);
  assert.equal(hex(f32ToF16(NaN)), hex(0x7e00));
  assert.equal(hex(f32BitsToF16Bits(0x7f800001)), hex(0x7e00), 'NaN with only low payload bits stays NaN');
  assert.equal(f16ToF32(0x0001), 2 ** -24);
  assert.equal(f16ToF32(0x03ff), 2 ** -14 - 2 ** -24);
  assert.equal(f16ToF32(0x8000), -0);
  assert.ok(Object.is(f16ToF32(0x8000), -0));
  assert.equal(f16ToF32(0x7bff), 65504);
  assert.equal(f16ToF32(0xfc00), -Infinity);
  assert.ok(Number.isNaN(f16ToF32(0x7e00)));
});

test('every 16-bit pattern survives decode -> encode unchanged (NaNs stay NaN)', () => {
  for (let h = 0; h < 65536; h++) {
    const isNanF16 = (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
    const back16 = f32BitsToF16Bits(f16BitsToF32Bits(h));
    if (isNanF16) assert.ok((back16 & 0x7c00) === 0x7c00 && (back16 & 0x3ff) !== 0, `f16 NaN ${hex(h)}`);
    else assert.equal(back16, h, `f16 ${hex(h)}`);
    const isNanBf = (h & 0x7f80) === 0x7f80 && (h & 0x7f) !== 0;
    const backBf = f32BitsToBf16Bits(bf16BitsToF32Bits(h));
    if (isNanBf) assert.ok((backBf & 0x7f80) === 0x7f80 && (backBf & 0x7f) !== 0, `bf16 NaN ${hex(h)}`);
    else assert.equal(backBf, h, `bf16 ${hex(h)}`);
  }
});

/** The raw little-endian bytes of the one tensor "values" in a fixture file. */
function rawValues(file: string): Uint8Array {
  const buf = readFileSync(fixture('dtypes', file));
  const { entries } = parseSafetensorsHeader(buf, file);
  const e = entries.find((x) => x.name === 'values')!;
  return buf.subarray(e.begin, e.end);
}

test('conversions match PyTorch bit for bit on edge cases and random values (fixtures from scripts/make_fixtures.py)', () => {
  const f32raw = rawValues('f32.safetensors');
  const f32bits = new Uint32Array(f32raw.buffer.slice(f32raw.byteOffset, f32raw.byteOffset + f32raw.byteLength));
  const f16raw = rawValues('f16.safetensors');
  const bf16raw = rawValues('bf16.safetensors');
  assert.equal(f32bits.length, 97);
  for (let i = 0; i < f32bits.length; i++) {
    const torch16 = f16raw[2 * i] | (f16raw[2 * i + 1] << 8);
    const torchBf = bf16raw[2 * i] | (bf16raw[2 * i + 1] << 8);
    const isNan = (f32bits[i] & 0x7fffffff) > 0x7f800000;
    if (isNan) {
      assert.ok((f32BitsToF16Bits(f32bits[i]) & 0x7fff) > 0x7c00 && (torch16 & 0x7fff) > 0x7c00);
      assert.ok((f32BitsToBf16Bits(f32bits[i]) & 0x7fff) > 0x7f80 && (torchBf & 0x7fff) > 0x7f80);
      continue;
    }
    assert.equal(hex(f32BitsToF16Bits(f32bits[i])), hex(torch16), `float16 of value #${i} (bits ${f32bits[i].toString(16)})`);
    assert.equal(hex(f32BitsToBf16Bits(f32bits[i])), hex(torchBf), `bfloat16 of value #${i} (bits ${f32bits[i].toString(16)})`);
  }
});
