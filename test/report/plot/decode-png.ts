/**
 * A strict PNG reader for tests, independent of the encoder under test: checks the
 * signature, every chunk's CRC (with node:zlib's crc32), the IHDR fields, and that the image
 * data inflates to exactly height rows of (1 + width*3) bytes; then undoes the row filters.
 */
import assert from 'node:assert/strict';
import { crc32, inflateSync } from 'node:zlib';

export interface DecodedPng {
  width: number;
  height: number;
  chunks: string[];
  /** RGB bytes, row-major. */
  rgb: Uint8Array;
  pixel(x: number, y: number): [number, number, number];
}

export function decodePng(buf: Buffer): DecodedPng {
  assert.deepEqual([...buf.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10], 'PNG signature');
  let off = 8;
  const chunks: string[] = [];
  const idat: Buffer[] = [];
  let width = 0, height = 0;
  while (off < buf.length) {
    const len = buf.readUInt32BE(off);
    const type = buf.toString('latin1', off + 4, off + 8);
    const data = buf.subarray(off + 8, off + 8 + len);
    const crc = buf.readUInt32BE(off + 8 + len);
    assert.equal(crc, crc32(buf.subarray(off + 4, off + 8 + len)), `CRC of chunk ${type}`);
    chunks.push(type);
    if (type === 'IHDR') {
      assert.equal(len, 13);
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      assert.deepEqual([...data.subarray(8)], [8, 2, 0, 0, 0], 'bit depth 8, RGB, deflate, adaptive, no interlace');
    }
    if (type === 'IDAT') idat.push(data);
    off += 12 + len;
  }
  assert.equal(off, buf.length, 'no trailing bytes');
  assert.equal(chunks[0], 'IHDR');
  assert.equal(chunks[chunks.length - 1], 'IEND');
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * 3;
  assert.equal(raw.length, height * (stride + 1), 'inflated size = height rows of 1 + width*3 bytes');
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)];
    for (let i = 0; i < stride; i++) {
      const v = raw[y * (stride + 1) + 1 + i];
      const up = y > 0 ? rgb[(y - 1) * stride + i] : 0;
      const left = i >= 3 ? rgb[y * stride + i - 3] : 0;
      if (f === 0) rgb[y * stride + i] = v;
      else if (f === 1) rgb[y * stride + i] = (v + left) & 0xff;
      else if (f === 2) rgb[y * stride + i] = (v + up) & 0xff;
      else assert.fail(`row ${y}: filter ${f} not supported by this test decoder`);
    }
  }
  return {
    width,
    height,
    chunks,
    rgb,
    pixel: (x, y) => {
      const i = (y * width + x) * 3;
      return [rgb[i], rgb[i + 1], rgb[i + 2]];
    },
  };
}
