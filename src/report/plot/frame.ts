/**
 * What line and bar charts share: the title, the legend (wrapped into rows under the plot),
 * the plot rectangle, grid lines and the y axis. All sizes derive from the font scale.
 */
import { ASCENT, textWidth } from './font.ts';
import { AXIS, GRID, INK } from './color.ts';
import type { Prim, Rect } from './scene.ts';
import { axisFraction, tickLabels, type Axis } from './ticks.ts';

export interface LegendItem {
  name: string;
  color: string;
  /** 'line' for a line swatch, 'box' for a filled square (bars). */
  swatch: 'line' | 'box';
  /** Show the shaded band behind a line swatch (the series has a band). */
  band?: boolean;
}

export interface FrameOptions {
  width: number;
  height: number;
  scale: number;
  title?: string;
  xLabel?: string;
  yLabel?: string;
  legend: LegendItem[];
  yAxis: Axis;
  /** Room needed under the plot for x tick labels, in pixels. */
  xTickRoom: number;
  /** Extra room above the plot (e.g. for value labels over the tallest bar), in pixels. */
  topRoom?: number;
}

export interface Frame {
  plot: Rect;
  /** The chart's height: the requested one, grown when a long legend needs more rows. */
  height: number;
  prims: Prim[];
  /** y pixel of a data value. */
  y(v: number): number;
}

const SWATCH = 28;

/** Shorten text with an ellipsis so that it fits in `width` pixels. */
export function fit(text: string, width: number, scale: number): string {
  if (textWidth(text, scale) <= width) return text;
  const chars = [...text];
  while (chars.length > 1 && textWidth(chars.join('') + '…', scale) > width) chars.pop();
  return chars.join('') + '…';
}

/** Rows of legend items that fit in `width` pixels. */
function legendRows(items: LegendItem[], width: number, scale: number): LegendItem[][] {
  const rows: LegendItem[][] = [];
  let row: LegendItem[] = [];
  let used = 0;
  for (const it of items) {
    const w = SWATCH + 6 * scale + textWidth(it.name, scale) + 14 * scale;
    if (row.length && used + w > width) {
      rows.push(row);
      row = [];
      used = 0;
    }
    row.push(it);
    used += w;
  }
  if (row.length) rows.push(row);
  return rows;
}

export function layoutFrame(o: FrameOptions): Frame {
  const s = o.scale;
  const lineH = (ASCENT + 5) * s; // one line of text with breathing room
  const prims: Prim[] = [];
  const labels = tickLabels(o.yAxis.ticks, o.yAxis.log);
  const yTickW = Math.max(0, ...labels.map((l) => textWidth(l, s)));
  const left = 8 * s + (o.yLabel ? lineH : 0) + yTickW + 6 * s;
  const right = 12 * s;
  const top = 8 * s + (o.title ? lineH + 4 * s : 0) + (o.topRoom ?? 0);
  // Long names are shortened so that one entry never exceeds the chart's width.
  const items = o.legend.map((it) => ({ ...it, name: fit(it.name, o.width - 16 * s - SWATCH - 20 * s, s) }));
  const legend = legendRows(items, o.width - 16 * s, s);
  const bottom = o.xTickRoom + (o.xLabel ? lineH : 0) + legend.length * lineH + 8 * s;
  // Legend rows beyond the first make the chart taller instead of squashing the plot.
  const height = o.height + Math.max(0, legend.length - 1) * lineH;
  const plot: Rect = { x: left, y: top, w: Math.max(10, o.width - left - right), h: Math.max(10, height - top - bottom) };
  const y = (v: number) => plot.y + plot.h - axisFraction(o.yAxis, v) * plot.h;

  if (o.title) {
    prims.push({ kind: 'text', x: o.width / 2, y: 8 * s, text: fit(o.title, o.width - 16 * s, s), color: INK, anchor: 'middle', baseline: 'top', bold: true });
  }
  // Horizontal grid lines and y tick labels.
  o.yAxis.ticks.forEach((t, i) => {
    const py = Math.round(y(t)) + 0.5;
    prims.push({ kind: 'line', points: [plot.x, py, plot.x + plot.w, py], stroke: GRID, width: 1 });
    prims.push({ kind: 'line', points: [plot.x - 4 * s, py, plot.x, py], stroke: AXIS, width: 1 });
    prims.push({ kind: 'text', x: plot.x - 6 * s, y: py, text: labels[i], color: INK, anchor: 'end', baseline: 'middle' });
  });
  if (o.yLabel) {
    prims.push({ kind: 'text', x: 8 * s, y: plot.y + plot.h / 2, text: o.yLabel, color: INK, anchor: 'middle', baseline: 'top', vertical: true });
  }
  if (o.xLabel) {
    prims.push({ kind: 'text', x: plot.x + plot.w / 2, y: plot.y + plot.h + o.xTickRoom, text: o.xLabel, color: INK, anchor: 'middle', baseline: 'top' });
  }
  // Legend rows, centred under the plot.
  let ly = plot.y + plot.h + o.xTickRoom + (o.xLabel ? lineH : 0) + 4 * s;
  for (const row of legend) {
    const widths = row.map((it) => SWATCH + 6 * s + textWidth(it.name, s));
    const total = widths.reduce((a, b) => a + b, 0) + (row.length - 1) * 14 * s;
    let lx = (o.width - total) / 2;
    row.forEach((it, i) => {
      const cy = ly + (ASCENT * s) / 2;
      if (it.swatch === 'line') {
        if (it.band) prims.push({ kind: 'rect', x: lx, y: cy - 5 * s, w: SWATCH, h: 10 * s, fill: it.color, alpha: 0.18 });
        prims.push({ kind: 'line', points: [lx, cy, lx + SWATCH, cy], stroke: it.color, width: 2.5 });
      } else {
        prims.push({ kind: 'rect', x: lx + SWATCH / 2 - 5 * s, y: cy - 5 * s, w: 10 * s, h: 10 * s, fill: it.color });
      }
      prims.push({ kind: 'text', x: lx + SWATCH + 6 * s, y: ly, text: it.name, color: INK, anchor: 'start', baseline: 'top' });
      lx += widths[i] + 14 * s;
    });
    ly += lineH;
  }
  return { plot, height, prims, y };
}

/** The plot's left and bottom axis lines (drawn last, over the data). */
export function axisLines(plot: Rect): Prim[] {
  const x0 = Math.round(plot.x) + 0.5, yb = Math.round(plot.y + plot.h) + 0.5;
  return [{ kind: 'line', points: [x0, plot.y, x0, yb, plot.x + plot.w, yb], stroke: AXIS, width: 1 }];
}

