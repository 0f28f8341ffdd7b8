/**
 * A small anti-aliased rasteriser for Scenes: lines are drawn by distance to each segment
 * (coverage falls off over one pixel at the edge), polygons by scanlines with 4 sub-rows and
 * exact horizontal coverage, text with the built-in bitmap font. Coverage is gathered per
 * primitive in a mask and composited once, so a polyline's joints are not drawn twice.
 */
import { ADVANCE, ASCENT, GLYPH_H, GLYPH_W, glyph, textWidth } from './font.ts';
import { parseColor, type RGB } from './color.ts';
import type { Prim, Rect, Scene } from './scene.ts';

export class Canvas {
  readonly rgba: Uint8Array;
  private cov: Float32Array;
  // Bounding box of the mask's non-zero area, so compositing and clearing touch only that.
  private bx0 = 0;
  private by0 = 0;
  private bx1 = -1;
  private by1 = -1;

  constructor(readonly width: number, readonly height: number, background = '#ffffff') {
    this.rgba = new Uint8Array(width * height * 4);
    this.cov = new Float32Array(width * height);
    const [r, g, b] = parseColor(background);
    for (let i = 0; i < width * height; i++) {
      this.rgba[i * 4] = r;
      this.rgba[i * 4 + 1] = g;
      this.rgba[i * 4 + 2] = b;
      this.rgba[i * 4 + 3] = 255;
    }
  }

  /** RGBA of one pixel (for tests and checks). */
  pixel(x: number, y: number): [number, number, number, number] {
    const i = (y * this.width + x) * 4;
    return [this.rgba[i], this.rgba[i + 1], this.rgba[i + 2], this.rgba[i + 3]];
  }

  private blend(x: number, y: number, c: RGB, a: number): void {
    const i = (y * this.width + x) * 4;
    const px = this.rgba;
    px[i] = Math.round(px[i] + (c[0] - px[i]) * a);
    px[i + 1] = Math.round(px[i + 1] + (c[1] - px[i + 1]) * a);
    px[i + 2] = Math.round(px[i + 2] + (c[2] - px[i + 2]) * a);
  }

  private clipBox(clip?: Rect): [number, number, number, number] {
    let x0 = 0, y0 = 0, x1 = this.width, y1 = this.height;
    if (clip) {
      x0 = Math.max(x0, Math.floor(clip.x));
      y0 = Math.max(y0, Math.floor(clip.y));
      x1 = Math.min(x1, Math.ceil(clip.x + clip.w));
      y1 = Math.min(y1, Math.ceil(clip.y + clip.h));
    }
    return [x0, y0, x1, y1];
  }

  private growBox(x0: number, y0: number, x1: number, y1: number): void {
    if (this.bx1 < this.bx0) {
      [this.bx0, this.by0, this.bx1, this.by1] = [x0, y0, x1, y1];
    } else {
      this.bx0 = Math.min(this.bx0, x0);
      this.by0 = Math.min(this.by0, y0);
      this.bx1 = Math.max(this.bx1, x1);
      this.by1 = Math.max(this.by1, y1);
    }
  }

  /** Blend the mask into the pixels with colour c and opacity alpha, then clear it. */
  private composite(color: string, alpha: number): void {
    const c = parseColor(color);
    for (let y = this.by0; y <= this.by1; y++) {
      for (let x = this.bx0; x <= this.bx1; x++) {
        const k = y * this.width + x;
        const a = this.cov[k];
        if (a > 0) {
          this.blend(x, y, c, Math.min(1, a) * alpha);
          this.cov[k] = 0;
        }
      }
    }
    this.bx0 = this.by0 = 0;
    this.bx1 = this.by1 = -1;
  }

  /** Stroke an open polyline ([x0,y0,x1,y1,...]) of the given width, anti-aliased. */
  line(points: number[], color: string, width: number, alpha = 1, clip?: Rect): void {
    const [cx0, cy0, cx1, cy1] = this.clipBox(clip);
    const hw = width / 2;
    for (let s = 0; s + 3 < points.length; s += 2) {
      const ax = points[s], ay = points[s + 1], bx = points[s + 2], by = points[s + 3];
      if (![ax, ay, bx, by].every(Number.isFinite)) continue;
      const x0 = Math.max(cx0, Math.floor(Math.min(ax, bx) - hw - 1));
      const x1 = Math.min(cx1 - 1, Math.ceil(Math.max(ax, bx) + hw + 1));
      const y0 = Math.max(cy0, Math.floor(Math.min(ay, by) - hw - 1));
      const y1 = Math.min(cy1 - 1, Math.ceil(Math.max(ay, by) + hw + 1));
      if (x1 < x0 || y1 < y0) continue;
      this.growBox(x0, y0, x1, y1);
      const dx = bx - ax, dy = by - ay;
      const len2 = dx * dx + dy * dy;
      for (let y = y0; y <= y1; y++) {
        const py = y + 0.5;
        for (let x = x0; x <= x1; x++) {
          const px = x + 0.5;
          // Distance from the pixel centre to the segment (clamped projection).
          let t = len2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / len2 : 0;
          t = t < 0 ? 0 : t > 1 ? 1 : t;
          const ex = ax + t * dx - px, ey = ay + t * dy - py;
          const d = Math.sqrt(ex * ex + ey * ey);
          const a = hw + 0.5 - d;
          if (a <= 0) continue;
          const k = y * this.width + x;
          if (a > this.cov[k]) this.cov[k] = a > 1 ? 1 : a;
        }
      }
    }
    this.composite(color, alpha);
  }

  /** Fill a polygon ([x0,y0,...], even-odd rule), anti-aliased. */
  polygon(points: number[], color: string, alpha = 1, clip?: Rect): void {
    const n = points.length >> 1;
    if (n < 3) return;
    const [cx0, cy0, cx1, cy1] = this.clipBox(clip);
    let minY = Infinity, maxY = -Infinity;
    for (let i = 1; i < points.length; i += 2) {
      minY = Math.min(minY, points[i]);
      maxY = Math.max(maxY, points[i]);
    }
    const y0 = Math.max(cy0, Math.floor(minY));
    const y1 = Math.min(cy1 - 1, Math.ceil(maxY));
    const SUB = 4;
    const xs: number[] = [];
    for (let y = y0; y <= y1; y++) {
      for (let s = 0; s < SUB; s++) {
        const sy = y + (s + 0.5) / SUB;
        xs.length = 0;
        for (let i = 0; i < n; i++) {
          const j = (i + 1) % n;
          const ay = points[2 * i + 1], by = points[2 * j + 1];
          // Half-open rule so a vertex shared by two edges is counted once.
          if ((ay <= sy && by > sy) || (by <= sy && ay > sy)) {
            const ax = points[2 * i], bx = points[2 * j];
            xs.push(ax + ((sy - ay) / (by - ay)) * (bx - ax));
          }
        }
        xs.sort((a, b) => a - b);
        for (let k = 0; k + 1 < xs.length; k += 2) {
          const xa = Math.max(cx0, xs[k]), xb = Math.min(cx1, xs[k + 1]);
          if (xb <= xa) continue;
          const pa = Math.floor(xa), pb = Math.min(cx1 - 1, Math.floor(xb));
          this.growBox(pa, y, pb, y);
          for (let x = pa; x <= pb; x++) {
            const overlap = Math.min(xb, x + 1) - Math.max(xa, x);
            if (overlap > 0) this.cov[y * this.width + x] += overlap / SUB;
          }
        }
      }
    }
    this.composite(color, alpha);
  }

  rect(x: number, y: number, w: number, h: number, color: string, alpha = 1): void {
    this.polygon([x, y, x + w, y, x + w, y + h, x, y + h], color, alpha);
  }

  /**
   * Draw text with the bitmap font. Text is pixel-exact (no smoothing); (x, y) is the anchor.
   * Vertical text reads bottom to top (rotated 90 degrees counter-clockwise).
   */
  text(
    x: number,
    y: number,
    text: string,
    color: string,
    scale: number,
    anchor: 'start' | 'middle' | 'end' = 'start',
    baseline: 'top' | 'middle' | 'bottom' = 'top',
    bold = false,
    vertical = false,
  ): void {
    const c = parseColor(color);
    const w = textWidth(text, scale) + (bold ? scale : 0);
    const h = ASCENT * scale; // align on the cap height; descenders hang below
    // Offsets along the reading direction (u) and across it (v, downwards in reading frame).
    const u0 = anchor === 'start' ? 0 : anchor === 'middle' ? -w / 2 : -w;
    const v0 = baseline === 'top' ? 0 : baseline === 'middle' ? -h / 2 : -h;
    const chars = [...text];
    const put = (u: number, v: number) => {
      // Reading frame -> image: horizontal is (x+u, y+v); vertical is (x+v, y-u).
      const px = Math.round(vertical ? x + v : x + u);
      const py = Math.round(vertical ? y - u - 1 : y + v);
      if (px >= 0 && py >= 0 && px < this.width && py < this.height) this.blend(px, py, c, 1);
    };
    chars.forEach((ch, ci) => {
      const g = glyph(ch);
      const gu = Math.round(u0) + ci * ADVANCE * scale;
      for (let row = 0; row < GLYPH_H; row++) {
        const bits = g[row];
        if (!bits) continue;
        for (let col = 0; col < GLYPH_W; col++) {
          if (!(bits & (1 << (GLYPH_W - 1 - col)))) continue;
          for (let sy = 0; sy < scale; sy++) {
            for (let sx = 0; sx < scale + (bold ? scale : 0); sx++) {
              put(gu + col * scale + sx, Math.round(v0) + row * scale + sy);
            }
          }
        }
      }
    });
  }
}

/** Rasterise a Scene into a Canvas. */
export function rasterize(scene: Scene): Canvas {
  const cv = new Canvas(scene.width, scene.height, scene.background);
  for (const p of scene.prims) drawPrim(cv, p, scene.fontScale);
  return cv;
}

function drawPrim(cv: Canvas, p: Prim, scale: number): void {
  switch (p.kind) {
    case 'rect':
      cv.rect(p.x, p.y, p.w, p.h, p.fill, p.alpha ?? 1);
      break;
    case 'line':
      cv.line(p.points, p.stroke, p.width, p.alpha ?? 1, p.clip);
      break;
    case 'polygon':
      cv.polygon(p.points, p.fill, p.alpha ?? 1, p.clip);
      break;
    case 'text':
      cv.text(p.x, p.y, p.text, p.color, scale, p.anchor, p.baseline, p.bold, p.vertical);
      break;
  }
}
