import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32 as zlibCrc } from 'node:zlib';
import { crc32, encodePng } from '../../../src/report/plot/png.ts';
import { decodePng } from './decode-png.ts';

test('crc32 matches the standard check value and node:zlib', () => {
  assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
  const b = Buffer.from('distil report');
  assert.equal(crc32(b), zlibCrc(b));
});

test('an encoded image decodes to the same pixels (signature, IHDR, CRCs, row count)', () => {
  const w = 7, h = 5;
  const rgba = new Uint8Array(w * h * 4);
  for (let i = 0; i < w * h; i++) rgba.set([(i * 37) & 255, (i * 91) & 255, (i * 13) & 255, 255], i * 4);
  // Two equal rows, so the row-above filter has something to exploit.
  rgba.copyWithin(4 * w * 3, 4 * w * 2, 4 * w * 3);
  const png = decodePng(encodePng(w, h, rgba));
  assert.equal(png.width, w);
  assert.equal(png.height, h);
  assert.deepEqual(png.chunks, ['IHDR', 'IDAT', 'IEND']);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 4;
      assert.deepEqual(png.pixel(x, y), [rgba[i], rgba[i + 1], rgba[i + 2]], `pixel ${x},${y}`);
    }
  }
});

test('encodePng rejects a buffer of the wrong size', () => {
  assert.throws(() => encodePng(4, 4, new Uint8Array(10)), /expected 64 bytes/);
  assert.throws(() => encodePng(0, 4, new Uint8Array(0)), /bad size/);
});
