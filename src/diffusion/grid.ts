/**
 * Image grids as PNG: images in [-1, 1] become grey tiles (white ink on black), scaled up with
 * nearest-neighbour pixels and separated by a 1-px mid-grey gutter so tiles stay distinct.
 */
import { encodeGrayPng } from './png.ts';

export function gridPng(images: Float32Array, size: number, cols: number, zoom = 4): Buffer {
  const P = size * size;
  const n = images.length / P;
  if (!Number.isInteger(n) || n < 1) throw new Error(`grid: ${images.length} values are not whole ${size}x${size} images`);
  const rows = Math.ceil(n / cols), tile = size * zoom + 1;
  const W = cols * tile + 1, H = rows * tile + 1;
  const px = new Uint8Array(W * H).fill(96);
  for (let k = 0; k < n; k++) {
    const x0 = (k % cols) * tile + 1, y0 = Math.floor(k / cols) * tile + 1;
    for (let y = 0; y < size * zoom; y++)
      for (let x = 0; x < size * zoom; x++) {
        const v = images[k * P + Math.floor(y / zoom) * size + Math.floor(x / zoom)];
        const g = Math.round(((Math.max(-1, Math.min(1, v)) + 1) / 2) * 255);
        px[(y0 + y) * W + x0 + x] = g;
      }
  }
  return encodeGrayPng(W, H, px);
}
