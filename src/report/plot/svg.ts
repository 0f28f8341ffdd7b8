/**
 * Render a Scene as a standalone SVG string. Text uses a monospace font sized to match the
 * bitmap font's advance (6 font pixels per character), so layouts computed for the PNG fit.
 */
import { ASCENT } from './font.ts';
import type { Prim, Rect, Scene } from './scene.ts';

/** Escape text for XML/HTML content and attribute values. */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const f = (v: number) => (Math.round(v * 100) / 100).toString();

function pts(points: number[]): string {
  const out: string[] = [];
  for (let i = 0; i + 1 < points.length; i += 2) {
    if (Number.isFinite(points[i]) && Number.isFinite(points[i + 1])) out.push(`${f(points[i])},${f(points[i + 1])}`);
  }
  return out.join(' ');
}

export function renderSvg(scene: Scene): string {
  const clips = new Map<string, string>();
  const clipId = (r: Rect) => {
    const key = [r.x, r.y, r.w, r.h].map(f).join(',');
    if (!clips.has(key)) clips.set(key, `c${clips.size}`);
    return clips.get(key)!;
  };
  const body = scene.prims.map((p) => prim(p, scene.fontScale, clipId));
  const defs = [...clips].map(([key, id]) => {
    const [x, y, w, h] = key.split(',');
    return `<clipPath id="${id}"><rect x="${x}" y="${y}" width="${w}" height="${h}"/></clipPath>`;
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${scene.width}" height="${scene.height}" viewBox="0 0 ${scene.width} ${scene.height}">`,
    defs.length ? `<defs>${defs.join('')}</defs>` : '',
    `<rect width="100%" height="100%" fill="${scene.background}"/>`,
    ...body,
    '</svg>',
  ]
    .filter(Boolean)
    .join('\n');
}

function prim(p: Prim, scale: number, clipId: (r: Rect) => string): string {
  const op = (a?: number) => (a !== undefined && a < 1 ? ` fill-opacity="${f(a)}"` : '');
  const clip = (r?: Rect) => (r ? ` clip-path="url(#${clipId(r)})"` : '');
  switch (p.kind) {
    case 'rect':
      return `<rect x="${f(p.x)}" y="${f(p.y)}" width="${f(p.w)}" height="${f(p.h)}" fill="${p.fill}"${op(p.alpha)}/>`;
    case 'line': {
      const so = p.alpha !== undefined && p.alpha < 1 ? ` stroke-opacity="${f(p.alpha)}"` : '';
      return `<polyline points="${pts(p.points)}" fill="none" stroke="${p.stroke}" stroke-width="${f(p.width)}" stroke-linejoin="round" stroke-linecap="round"${so}${clip(p.clip)}/>`;
    }
    case 'polygon':
      return `<polygon points="${pts(p.points)}" fill="${p.fill}"${op(p.alpha)}${clip(p.clip)}/>`;
    case 'text': {
      // Font size 10 font-pixels gives a monospace advance of about 6, like the bitmap font.
      const size = 10 * scale;
      const anchor = p.anchor === 'start' ? 'start' : p.anchor === 'middle' ? 'middle' : 'end';
      // Shift so the cap height sits where the bitmap font puts it.
      const cap = ASCENT * scale;
      const dy = p.baseline === 'top' ? cap : p.baseline === 'middle' ? cap / 2 : 0;
      const tf = p.vertical ? ` transform="rotate(-90 ${f(p.x)} ${f(p.y)})"` : '';
      const weight = p.bold ? ' font-weight="bold"' : '';
      return `<text x="${f(p.x)}" y="${f(p.y + dy)}" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="${size}" text-anchor="${anchor}" fill="${p.color}"${weight}${tf}>${escapeXml(p.text)}</text>`;
    }
  }
}
