/**
 * A strict PNG reader for tests, independent of the encoder under test: checks the
 * signature, every chunk's CRC (with node:zlib's crc32), the IHDR fields, and that the image
 * data inflates to exactly height rows of (1 + width*channels) bytes; then undoes the row
 * filters (all five) and composites RGBA over white.
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
  let width = 0, height = 0, channels = 3;
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
      assert.equal(data[8], 8, 'bit depth 8');
      assert.ok(data[9] === 2 || data[9] === 6, `colour type RGB or RGBA, got ${data[9]}`);
      channels = data[9] === 6 ? 4 : 3;
      assert.deepEqual([...data.subarray(10)], [0, 0, 0], 'deflate, adaptive filters, no interlace');
    }
    if (type === 'IDAT') idat.push(data);
    off += 12 + len;
  }
  assert.equal(off, buf.length, 'no trailing bytes');
  assert.equal(chunks[0], 'IHDR');
  assert.equal(chunks[chunks.length - 1], 'IEND');
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  assert.equal(raw.length, height * (stride + 1), `inflated size = height rows of 1 + width*${channels} bytes`);
  const px = new Uint8Array(width * height * channels);
  const paeth = (a: number, b: number, c: number) => {
    const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
    return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
  };
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)];
    for (let i = 0; i < stride; i++) {
      const v = raw[y * (stride + 1) + 1 + i];
      const up = y > 0 ? px[(y - 1) * stride + i] : 0;
      const left = i >= channels ? px[y * stride + i - channels] : 0;
      const upLeft = y > 0 && i >= channels ? px[(y - 1) * stride + i - channels] : 0;
      const pred = [0, left, up, (left + up) >> 1, paeth(left, up, upLeft)][f];
      assert.ok(pred !== undefined, `row ${y}: unknown filter ${f}`);
      px[y * stride + i] = (v + pred) & 0xff;
    }
  }
  // Pixels composited over white, so callers compare RGB whatever the colour type.
  const rgb = new Uint8Array(width * height * 3);
  for (let k = 0; k < width * height; k++) {
    const a = channels === 4 ? px[k * 4 + 3] / 255 : 1;
    for (let c = 0; c < 3; c++) rgb[k * 3 + c] = Math.round(px[k * channels + c] * a + 255 * (1 - a));
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
