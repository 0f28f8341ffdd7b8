/**
 * Line charts: several named series, each optionally with a shaded band (e.g. mean +- a 95%
 * interval over seeds); linear or log x; nice ticks; title, axis labels and legend.
 */
import { ASCENT } from './font.ts';
import { AXIS, INK, seriesColor } from './color.ts';
import { axisLines, layoutFrame } from './frame.ts';
import type { Prim, Rect, Scene } from './scene.ts';
import { axisFraction, linearAxis, logAxis, tickLabels } from './ticks.ts';

export interface LineSeries {
  name: string;
  x: number[];
  y: number[];
  /** Lower and upper edges of the band, same length as x (omit for no band). */
  lo?: number[];
  hi?: number[];
  color?: string;
  /** Dots at the data points; by default on when a series has at most 30 points. */
  markers?: boolean;
}

export interface LineChartSpec {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  series: LineSeries[];
  logX?: boolean;
  /** Fixed y range; by default the data's range (bands included), widened to nice ticks. */
  yRange?: [number, number];
  width?: number;
  height?: number;
  /** Integer font scale (2 reads well on most screens). */
  scale?: number;
}

const finite = (v: number | undefined): v is number => typeof v === 'number' && Number.isFinite(v);

export function lineChartScene(spec: LineChartSpec): Scene {
  const width = spec.width ?? 900, height = spec.height ?? 540, s = spec.scale ?? 2;
  for (const se of spec.series) {
    if (se.x.length !== se.y.length) throw new Error(`series '${se.name}': x has ${se.x.length} values, y has ${se.y.length}`);
    for (const b of [se.lo, se.hi]) {
      if (b && b.length !== se.x.length) throw new Error(`series '${se.name}': band has ${b.length} values, x has ${se.x.length}`);
    }
  }
  const logX = !!spec.logX;
  const xs: number[] = [], ys: number[] = [];
  for (const se of spec.series) {
    se.x.forEach((x, i) => {
      if (!finite(x) || (logX && x <= 0)) return;
      for (const v of [se.y[i], se.lo?.[i], se.hi?.[i]]) {
        if (finite(v)) {
          xs.push(x);
          ys.push(v);
        }
      }
    });
  }
  const empty = xs.length === 0;
  const xLo = empty ? (logX ? 1 : 0) : Math.min(...xs), xHi = empty ? (logX ? 10 : 1) : Math.max(...xs);
  const xAxis = logX ? logAxis(xLo, xHi) : linearAxis(xLo, xHi, 6, !empty && xs.every(Number.isInteger), true);
  const yAxis = spec.yRange ? linearAxis(spec.yRange[0], spec.yRange[1], 5) : linearAxis(empty ? 0 : Math.min(...ys), empty ? 1 : Math.max(...ys), 5);

  const frame = layoutFrame({
    width,
    height,
    scale: s,
    title: spec.title,
    xLabel: spec.xLabel,
    yLabel: spec.yLabel,
    yAxis,
    xTickRoom: (ASCENT + 10) * s,
    legend: spec.series.map((se, i) => ({ name: se.name, color: se.color ?? seriesColor(i), swatch: 'line' as const, band: !!(se.lo && se.hi) })),
  });
  const { plot } = frame;
  const px = (v: number) => plot.x + axisFraction(xAxis, v) * plot.w;
  const prims: Prim[] = [...frame.prims];

  // x ticks (with vertical grid lines from the frame's colour scheme).
  const xl = tickLabels(xAxis.ticks, xAxis.log);
  xAxis.ticks.forEach((t, i) => {
    const x = Math.round(px(t)) + 0.5;
    prims.push({ kind: 'line', points: [x, plot.y, x, plot.y + plot.h], stroke: '#efefef', width: 1 });
    prims.push({ kind: 'line', points: [x, plot.y + plot.h, x, plot.y + plot.h + 4 * s], stroke: AXIS, width: 1 });
    prims.push({ kind: 'text', x, y: plot.y + plot.h + 6 * s, text: xl[i], color: INK, anchor: 'middle', baseline: 'top' });
  });

  const clip = { ...plot };
  const ok = (se: LineSeries, i: number) => finite(se.x[i]) && (!logX || se.x[i] > 0);
  // Bands first, so that no band hides another series' line.
  spec.series.forEach((se, si) => {
    if (!se.lo || !se.hi) return;
    for (const run of runs(se.x.length, (i) => ok(se, i) && finite(se.lo![i]) && finite(se.hi![i]))) {
      if (run.length < 2) continue;
      const pts: number[] = [];
      for (const i of run) pts.push(px(se.x[i]), frame.y(se.hi[i]));
      for (const i of [...run].reverse()) pts.push(px(se.x[i]), frame.y(se.lo[i]));
      prims.push({ kind: 'polygon', points: pts, fill: se.color ?? seriesColor(si), alpha: 0.18, clip });
    }
  });
  spec.series.forEach((se, si) => {
    const color = se.color ?? seriesColor(si);
    const n = se.x.filter((_, i) => ok(se, i) && finite(se.y[i])).length;
    for (const run of runs(se.x.length, (i) => ok(se, i) && finite(se.y[i]))) {
      const pts = run.flatMap((i) => [px(se.x[i]), frame.y(se.y[i])]);
      prims.push({ kind: 'line', points: pts, stroke: color, width: 2.5, clip });
      // Dots on sparse series, so single points and the sampled steps are visible.
      if (se.markers ?? n <= 30) for (let k = 0; k < pts.length; k += 2) prims.push(dot(pts[k], pts[k + 1], 3.5, color, clip));
    }
  });
  prims.push(...axisLines(plot));
  if (empty) {
    prims.push({ kind: 'text', x: plot.x + plot.w / 2, y: plot.y + plot.h / 2, text: 'no data', color: AXIS, anchor: 'middle', baseline: 'middle' });
  }
  return { width, height: frame.height, background: '#ffffff', fontScale: s, prims };
}

/** Maximal runs of consecutive indices where `good` holds (gaps break a line). */
function runs(n: number, good: (i: number) => boolean): number[][] {
  const out: number[][] = [];
  let cur: number[] = [];
  for (let i = 0; i < n; i++) {
    if (good(i)) cur.push(i);
    else if (cur.length) {
      out.push(cur);
      cur = [];
    }
  }
  if (cur.length) out.push(cur);
  return out;
}

function dot(x: number, y: number, r: number, fill: string, clip: Rect): Prim {
  const pts: number[] = [];
  for (let k = 0; k < 16; k++) pts.push(x + r * Math.cos((k * Math.PI) / 8), y + r * Math.sin((k * Math.PI) / 8));
  return { kind: 'polygon', points: pts, fill, clip };
}
