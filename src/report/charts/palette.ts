/** Colours charts are drawn with (shared by the static report and the dashboard). */

/** Okabe-Ito: distinguishable for the common kinds of colour blindness, then extras so that a
 * comparison of up to 12 methods (the research comparison has 10) repeats no colour. */
export const PALETTE = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#e69f00', '#56b4e9', '#000000', '#8c564b', '#7f7f7f', '#9467bd', '#bcbd22', '#8b0000'];

export function seriesColor(i: number): string {
  return PALETTE[i % PALETTE.length];
}

/** Text, axis and grid greys. */
export const INK = '#222222';
export const AXIS = '#666666';
export const GRID = '#e8e8e8';

/** Opacity of a seed band over white. */
export const BAND_OPACITY = 0.18;
