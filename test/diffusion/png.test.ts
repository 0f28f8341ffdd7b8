import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as zlib from 'node:zlib';
import { gridPng } from '../../src/diffusion/grid.ts';
import { encodeGrayPng } from '../../src/diffusion/png.ts';

/** CRC-32 bit by bit (no table), independent of the writer's table-driven one. */
function bitwiseCrc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

/** Walk the chunks, checking each CRC; return IHDR and the inflated IDAT. */
function readPng(buf: Buffer): { w: number; h: number; colour: number; raw: Buffer; types: string[] } {
  assert.deepEqual([...buf.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  let p = 8, w = 0, h = 0, colour = -1;
  const idat: Buffer[] = [], types: string[] = [];
  while (p < buf.length) {
    const len = buf.readUInt32BE(p), type = buf.toString('latin1', p + 4, p + 8);
    const body = buf.subarray(p + 8, p + 8 + len);
    assert.equal(buf.readUInt32BE(p + 8 + len), bitwiseCrc32(buf.subarray(p + 4, p + 8 + len)), `${type} CRC`);
    types.push(type);
    if (type === 'IHDR') [w, h, colour] = [body.readUInt32BE(0), body.readUInt32BE(4), body[9]];
    if (type === 'IDAT') idat.push(body);
    p += 12 + len;
  }
  assert.equal(p, buf.length, 'chunks end exactly at the end of the file');
  return { w, h, colour, raw: zlib.inflateSync(Buffer.concat(idat)), types };
}

test('grey PNG: chunks, CRCs and pixels round-trip', () => {
  const px = Uint8Array.from({ length: 12 }, (_, i) => i * 20);
  const png = readPng(encodeGrayPng(4, 3, px));
  assert.equal(bitwiseCrc32(Buffer.from('IEND')), 0xae426082); // the CRC every PNG ends with
  assert.deepEqual([png.w, png.h, png.colour], [4, 3, 0]);
  assert.deepEqual(png.types, ['IHDR', 'IDAT', 'IEND']);
  for (let y = 0; y < 3; y++) {
    assert.equal(png.raw[y * 5], 0);
    assert.deepEqual([...png.raw.subarray(y * 5 + 1, y * 5 + 5)], [...px.subarray(y * 4, y * 4 + 4)]);
  }
  assert.throws(() => encodeGrayPng(4, 3, new Uint8Array(11)), /needs 12/);
});

test('grid: tiles of zoomed images with a gutter; -1 is black, 1 is white', () => {
  const imgs = new Float32Array(3 * 4).fill(-1);
  imgs.fill(1, 4, 8); // second 2x2 image white
  const png = readPng(gridPng(imgs, 2, 2, 3));
  // 2 columns x 2 rows of (2*3 + 1) px tiles plus one gutter: 15 x 15.
  assert.deepEqual([png.w, png.h], [15, 15]);
  const at = (x: number, y: number) => png.raw[y * 16 + 1 + x];
  assert.equal(at(1, 1), 0);
  assert.equal(at(8, 1), 255);
  assert.equal(at(0, 0), 96);
  assert.throws(() => gridPng(new Float32Array(5), 2, 2), /not whole 2x2 images/);
});
