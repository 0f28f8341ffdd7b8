/**
 * Procedurally drawn 16x16 digits: a 5x7 bitmap font scaled 2x, shifted, thickened or thinned,
 * dimmed and lightly blurred. An endless stream; the digit is the "prompt" (class label).
 * Pixels are in [-1, 1] (background -1), the range the diffusion model works in.
 */
import type { Rng } from '../util/rng.ts';

export const IMAGE_SIZE = 16;
export const NUM_CLASSES = 10;

const FONT: string[][] = [
  ['01110', '10001', '10011', '10101', '11001', '10001', '01110'],
  ['00100', '01100', '00100', '00100', '00100', '00100', '01110'],
  ['01110', '10001', '00001', '00010', '00100', '01000', '11111'],
  ['11111', '00010', '00100', '00010', '00001', '10001', '01110'],
  ['00010', '00110', '01010', '10010', '11111', '00010', '00010'],
  ['11111', '10000', '11110', '00001', '00001', '10001', '01110'],
  ['00110', '01000', '10000', '11110', '10001', '10001', '01110'],
  ['11111', '00001', '00010', '00100', '01000', '01000', '01000'],
  ['01110', '10001', '10001', '01110', '10001', '10001', '01110'],
  ['01110', '10001', '10001', '01111', '00001', '00010', '01100'],
];

/** Check a class label (the prompt) and say what is allowed. */
export function checkDigit(label: number, what = 'prompt'): void {
  if (!(Number.isInteger(label) && label >= 0 && label < NUM_CLASSES)) throw new Error(`${what} ${label} is not a digit class: use an integer 0..${NUM_CLASSES - 1}`);
}

/** One digit image (S*S pixels in [-1, 1]). */
export function drawDigit(label: number, rng: Rng): Float32Array {
  checkDigit(label, 'digit');
  const S = IMAGE_SIZE;
  const ink = new Float32Array(S * S);
  // Glyph is 10x14 after 2x scaling; centred at offset (3, 1), shifted by up to +-2 / +-1 px.
  const ox = 3 + rng.range(-2, 2), oy = 1 + rng.range(-1, 1);
  const glyph = FONT[label];
  for (let gy = 0; gy < 7; gy++)
    for (let gx = 0; gx < 5; gx++) {
      if (glyph[gy][gx] !== '1') continue;
      for (let dy = 0; dy < 2; dy++)
        for (let dx = 0; dx < 2; dx++) {
          const x = ox + gx * 2 + dx, y = oy + gy * 2 + dy;
          if (x >= 0 && x < S && y >= 0 && y < S) ink[y * S + x] = 1;
        }
    }
  // Stroke jitter: thicken (dilate right/down) or thin (erode from the right) now and then.
  const mode = rng.int(4);
  let stroke = ink;
  if (mode === 0) {
    stroke = Float32Array.from(ink);
    for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) if (ink[y * S + x] && x + 1 < S) stroke[y * S + x + 1] = 1;
  } else if (mode === 1) {
    stroke = Float32Array.from(ink);
    for (let y = 0; y < S; y++) for (let x = 1; x < S; x++) if (ink[y * S + x] && ink[y * S + x - 1] && !(x + 1 < S && ink[y * S + x + 1])) stroke[y * S + x] = 0;
  }
  // Light blur (centre 1/2, 4-neighbours 1/8) and intensity jitter.
  const level = 0.75 + 0.25 * rng.next();
  const out = new Float32Array(S * S);
  for (let y = 0; y < S; y++)
    for (let x = 0; x < S; x++) {
      let v = 0.5 * stroke[y * S + x];
      if (x > 0) v += 0.125 * stroke[y * S + x - 1];
      if (x + 1 < S) v += 0.125 * stroke[y * S + x + 1];
      if (y > 0) v += 0.125 * stroke[(y - 1) * S + x];
      if (y + 1 < S) v += 0.125 * stroke[(y + 1) * S + x];
      out[y * S + x] = Math.min(1, 1.6 * v * level) * 2 - 1;
    }
  return out;
}

/** A batch: `n` images (n*S*S, row after row) and their labels (uniform digits unless given). */
export function digitBatch(n: number, rng: Rng, labels?: number[]): { images: Float32Array; labels: number[] } {
  const P = IMAGE_SIZE * IMAGE_SIZE;
  const ls = labels ?? Array.from({ length: n }, () => rng.int(NUM_CLASSES));
  const images = new Float32Array(ls.length * P);
  ls.forEach((l, i) => images.set(drawDigit(l, rng), i * P));
  return { images, labels: ls };
}
