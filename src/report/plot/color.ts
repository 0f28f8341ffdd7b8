/** Colours: '#rrggbb' parsing and the series palette. */

export type RGB = [number, number, number];

export function parseColor(c: string): RGB {
  const m = /^#([0-9a-f]{6})$/i.exec(c) ?? /^#([0-9a-f]{3})$/i.exec(c);
  if (!m) throw new Error(`colour '${c}' is not #rrggbb or #rgb`);
  const h = m[1].length === 3 ? [...m[1]].map((d) => d + d).join('') : m[1];
  return [parseInt(h.slice(0, 2), 16), parseInt(h.slice(2, 4), 16), parseInt(h.slice(4, 6), 16)];
}

/** Okabe-Ito: distinguishable for the common kinds of colour blindness, then extras so that a
 * comparison of up to 12 methods (the research comparison has 10) repeats no colour. */
export const PALETTE = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#e69f00', '#56b4e9', '#000000', '#8c564b', '#7f7f7f', '#9467bd', '#bcbd22', '#8b0000'];

export function seriesColor(i: number): string {
  return PALETTE[i % PALETTE.length];
}

/** The text colour and grey levels charts are drawn with. */
export const INK = '#222222';
export const GRID = '#e4e4e4';
export const AXIS = '#666666';
