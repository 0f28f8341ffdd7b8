/**
 * Grouped bar charts with error bars: one group per category (e.g. env), one bar per series
 * (e.g. algorithm) with a whisker from lo to hi (e.g. a 95% interval over seeds).
 */
import { ASCENT, textWidth } from './font.ts';
import { INK, seriesColor } from './color.ts';
import { axisLines, layoutFrame } from './frame.ts';
import type { Prim, Scene } from './scene.ts';
import { compactNumber, linearAxis } from './ticks.ts';

export interface BarSeries {
  name: string;
  /** One value per group; undefined leaves a gap. */
  values: (number | undefined)[];
  lo?: (number | undefined)[];
  hi?: (number | undefined)[];
  color?: string;
}

export interface BarChartSpec {
  title?: string;
  yLabel?: string;
  xLabel?: string;
  groups: string[];
  series: BarSeries[];
  yRange?: [number, number];
  /** Print each bar's value above it when it fits (default true). */
  valueLabels?: boolean;
  /** How value labels are written (default: 3 significant digits, k/M for large numbers). */
  valueFormat?: (v: number) => string;
  width?: number;
  height?: number;
  scale?: number;
}

const finite = (v: number | undefined): v is number => typeof v === 'number' && Number.isFinite(v);

export function barChartScene(spec: BarChartSpec): Scene {
  const width = spec.width ?? 900, height = spec.height ?? 540, s = spec.scale ?? 2;
  for (const se of spec.series) {
    if (se.values.length !== spec.groups.length) {
      throw new Error(`bar series '${se.name}' has ${se.values.length} values for ${spec.groups.length} groups`);
    }
  }
  const all: number[] = [0];
  for (const se of spec.series) {
    se.values.forEach((v, g) => {
      for (const u of [v, se.lo?.[g], se.hi?.[g]]) if (finite(u)) all.push(u);
    });
  }
  const yAxis = spec.yRange ? linearAxis(spec.yRange[0], spec.yRange[1]) : linearAxis(Math.min(...all), Math.max(...all) * 1.08, 5);
  const frame = layoutFrame({
    width,
    height,
    scale: s,
    title: spec.title,
    yLabel: spec.yLabel,
    xLabel: spec.xLabel,
    yAxis,
    xTickRoom: (ASCENT + 10) * s,
    topRoom: spec.valueLabels !== false ? (ASCENT + 4) * s : 0,
    legend: spec.series.map((se, i) => ({ name: se.name, color: se.color ?? seriesColor(i), swatch: 'box' as const })),
  });
  const { plot } = frame;
  const prims: Prim[] = [...frame.prims];
  const nG = Math.max(1, spec.groups.length), nS = Math.max(1, spec.series.length);
  const groupW = plot.w / nG;
  const barW = (groupW * 0.8) / nS;
  const base = frame.y(Math.max(yAxis.min, Math.min(yAxis.max, 0)));
  spec.groups.forEach((g, gi) => {
    const gx = plot.x + gi * groupW;
    prims.push({ kind: 'text', x: gx + groupW / 2, y: plot.y + plot.h + 6 * s, text: g, color: INK, anchor: 'middle', baseline: 'top' });
    spec.series.forEach((se, si) => {
      const v = se.values[gi];
      if (!finite(v)) return;
      const x = gx + groupW * 0.1 + si * barW;
      const top = frame.y(v);
      prims.push({ kind: 'rect', x: x + 1, y: Math.min(top, base), w: barW - 2, h: Math.abs(base - top), fill: se.color ?? seriesColor(si) });
      const lo = se.lo?.[gi], hi = se.hi?.[gi];
      const cx = x + barW / 2;
      let labelY = top;
      if (finite(lo) && finite(hi)) {
        const cap = Math.min(barW * 0.3, 8 * s);
        const y0 = frame.y(lo), y1 = frame.y(hi);
        prims.push({ kind: 'line', points: [cx, y0, cx, y1], stroke: INK, width: 1.5 });
        prims.push({ kind: 'line', points: [cx - cap, y0, cx + cap, y0], stroke: INK, width: 1.5 });
        prims.push({ kind: 'line', points: [cx - cap, y1, cx + cap, y1], stroke: INK, width: 1.5 });
        labelY = Math.min(top, y1);
      }
      const label = (spec.valueFormat ?? compactNumber)(v);
      if (spec.valueLabels !== false && textWidth(label, s) <= barW - 2) {
        prims.push({ kind: 'text', x: cx, y: labelY - 3 * s, text: label, color: INK, anchor: 'middle', baseline: 'bottom' });
      }
    });
  });
  prims.push(...axisLines(plot));
  return { width, height: frame.height, background: '#ffffff', fontScale: s, prims };
}
