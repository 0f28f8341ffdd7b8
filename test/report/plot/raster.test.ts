import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Canvas } from '../../../src/report/plot/raster.ts';
import { glyph, textWidth, ADVANCE } from '../../../src/report/plot/font.ts';

const WHITE = [255, 255, 255, 255];

test('a horizontal 2px line covers exactly its two rows, in full colour', () => {
  const cv = new Canvas(20, 10);
  cv.line([2, 5, 17, 5], '#ff0000', 2);
  for (let x = 3; x <= 16; x++) {
    assert.deepEqual(cv.pixel(x, 4), [255, 0, 0, 255], `row 4, x ${x}`);
    assert.deepEqual(cv.pixel(x, 5), [255, 0, 0, 255], `row 5, x ${x}`);
    assert.deepEqual(cv.pixel(x, 3), WHITE, `row 3 untouched, x ${x}`);
    assert.deepEqual(cv.pixel(x, 6), WHITE, `row 6 untouched, x ${x}`);
  }
  assert.deepEqual(cv.pixel(0, 5), WHITE, 'nothing left of the start');
});

test('a diagonal line is anti-aliased: partial coverage at its edge, full on it', () => {
  const cv = new Canvas(20, 20);
  cv.line([0, 0, 20, 20], '#000000', 1.5);
  assert.deepEqual(cv.pixel(10, 10), [0, 0, 0, 255]);
  const edge = cv.pixel(11, 10)[0];
  assert.ok(edge > 0 && edge < 255, `edge pixel should be grey, got ${edge}`);
  assert.deepEqual(cv.pixel(15, 5), WHITE);
});

test('a polyline joint is not darker than the line (coverage is composited once)', () => {
  const cv = new Canvas(30, 30);
  cv.line([2, 15, 15, 15, 15, 2], '#0000ff', 3, 0.5);
  const joint = cv.pixel(15, 15);
  const mid = cv.pixel(8, 15);
  assert.deepEqual(joint, mid);
});

test('a polygon band fills its inside with the blended colour and leaves the outside', () => {
  const cv = new Canvas(40, 40);
  cv.polygon([5, 10, 35, 10, 35, 30, 5, 30], '#000000', 0.5);
  assert.deepEqual(cv.pixel(20, 20), [128, 128, 128, 255]);
  assert.deepEqual(cv.pixel(5, 10), [128, 128, 128, 255], 'pixel-aligned corner is fully inside');
  assert.deepEqual(cv.pixel(4, 20), WHITE);
  assert.deepEqual(cv.pixel(20, 30), WHITE, 'bottom edge is exclusive');
  // A half-covered column gets about half the opacity.
  const cv2 = new Canvas(10, 10);
  cv2.polygon([2.5, 0, 8, 0, 8, 10, 2.5, 10], '#000000');
  assert.deepEqual(cv2.pixel(2, 5), [128, 128, 128, 255]);
});

test('clipping keeps drawing inside the clip rectangle', () => {
  const cv = new Canvas(20, 20);
  cv.line([0, 10, 20, 10], '#000000', 2, 1, { x: 5, y: 0, w: 10, h: 20 });
  assert.deepEqual(cv.pixel(2, 9), WHITE);
  assert.deepEqual(cv.pixel(8, 9), [0, 0, 0, 255]);
  assert.deepEqual(cv.pixel(16, 9), WHITE);
});

test('text draws the bitmap glyphs at the anchor, scaled', () => {
  const cv = new Canvas(40, 30);
  cv.text(1, 2, 'T', '#000000', 2);
  // 'T' has a full top row: 5 font pixels -> 10 image pixels wide, 2 high.
  for (let x = 1; x < 11; x++) assert.deepEqual(cv.pixel(x, 2), [0, 0, 0, 255], `top bar x ${x}`);
  assert.deepEqual(cv.pixel(11, 2), WHITE);
  assert.deepEqual(cv.pixel(5, 10), [0, 0, 0, 255], 'stem');
  assert.deepEqual(cv.pixel(1, 10), WHITE, 'left of the stem');
  assert.equal(textWidth('ab', 2), (2 * ADVANCE - 1) * 2);
});

test('the font has every printable ASCII glyph, distinct, and a visible fallback', () => {
  const seen = new Map<string, string>();
  for (let c = 33; c < 127; c++) {
    const ch = String.fromCharCode(c);
    const key = [...glyph(ch)].join(',');
    assert.ok(key !== glyph('\uFFFD').join(','), `'${ch}' is missing`);
    assert.ok(!seen.has(key), `'${ch}' looks the same as '${seen.get(key)}'`);
    seen.set(key, ch);
  }
  assert.ok([...glyph('\u4e00')].some((r) => r !== 0), 'unknown characters draw a box');
});
