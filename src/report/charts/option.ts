/**
 * Chart spec -> ECharts option. Pure and free of Node APIs: the report calls it before
 * rendering on the server, and the dashboard's browser code calls the same function, so a
 * chart looks the same in the HTML report, its PNG/SVG files and the live page.
 */
import type { EChartsOption } from 'echarts';
import { AXIS, BAND_OPACITY, GRID, INK, seriesColor } from './palette.ts';
import { checkSpec, DEFAULT_HEIGHT, DEFAULT_WIDTH, type BarChartSpec, type ChartSpec, type LineChartSpec } from './spec.ts';

export interface OptionMode {
  /** Tooltips and mouse-wheel zoom (the browser); off for static files. */
  interactive?: boolean;
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const FONT = 'sans-serif';
const LEGEND_ROW = 22;

/** How many legend rows the names need at this width (ECharts wraps a plain legend). */
function legendRows(names: string[], width: number): number {
  let rows = 1, x = 0;
  for (const n of names) {
    const w = 35 + n.length * 7;
    if (x + w > width - 40 && x > 0) {
      rows++;
      x = 0;
    }
    x += w;
  }
  return names.length ? rows : 0;
}

function frame(spec: { title?: string; xLabel?: string; yLabel?: string; width?: number }, names: string[], mode: OptionMode) {
  const width = spec.width ?? DEFAULT_WIDTH;
  const titleH = spec.title ? 34 : 8;
  const rows = legendRows(names, width);
  return {
    backgroundColor: '#ffffff',
    animation: false,
    textStyle: { fontFamily: FONT, color: INK },
    title: spec.title
      ? { text: spec.title, left: 'center', top: 6, textStyle: { fontSize: 16, fontWeight: 'bold' as const, color: INK, width: width - 40, overflow: 'truncate' as const } }
      : undefined,
    legend: rows ? { data: names, top: titleH, left: 'center', itemGap: 14, textStyle: { fontSize: 12, color: INK } } : undefined,
    grid: { top: titleH + rows * LEGEND_ROW + 18, left: 72, right: 32, bottom: spec.xLabel ? 56 : 36 },
    tooltip: mode.interactive ? { trigger: 'axis' as const, confine: true } : undefined,
  };
}

const axisStyle = { axisLine: { lineStyle: { color: AXIS } }, axisLabel: { color: INK, fontSize: 12 }, splitLine: { lineStyle: { color: GRID } } };

function lineOption(spec: LineChartSpec, mode: OptionMode): EChartsOption {
  const logX = !!spec.logX;
  const okX = (x: number) => finite(x) && (!logX || x > 0);
  const names = spec.series.map((s) => s.name);
  const series: NonNullable<EChartsOption['series']> & unknown[] = [];
  let points = 0;
  let allInt = true;
  spec.series.forEach((se, si) => {
    const color = se.color ?? seriesColor(si);
    const idx = se.x.map((_, i) => i).filter((i) => okX(se.x[i]));
    const data = idx.map((i) => [se.x[i], finite(se.y[i]) ? se.y[i] : '-']);
    const n = idx.filter((i) => finite(se.y[i])).length;
    points += n;
    if (idx.some((i) => !Number.isInteger(se.x[i]))) allInt = false;
    series.push({
      type: 'line',
      name: se.name,
      data,
      color,
      lineStyle: { width: 2.5, color },
      itemStyle: { color },
      // Dots on sparse series, so single points and the evaluated steps are visible.
      showSymbol: se.markers ?? n <= 30,
      symbol: 'circle',
      symbolSize: 6,
      connectNulls: false,
      z: 3,
      ...(n > 2000 ? { sampling: 'lttb' as const } : {}),
    });
    // After the line, so the legend takes the line's icon.
    if (se.lo && se.hi) {
      // The band: an invisible lower edge, and the width of the band stacked on it with its area
      // filled. Same series name as the line, so the legend toggles both.
      const lo = se.lo, hi = se.hi;
      const has = (i: number) => finite(lo[i]) && finite(hi[i]);
      const stack = `band-${si}`;
      const common = { type: 'line' as const, name: se.name, stack, stackStrategy: 'all' as const, color, symbol: 'none', silent: true, tooltip: { show: false }, lineStyle: { opacity: 0 }, z: 1 };
      series.push({ ...common, data: idx.map((i) => [se.x[i], has(i) ? lo[i] : '-']) });
      series.push({ ...common, data: idx.map((i) => [se.x[i], has(i) ? hi[i] - lo[i] : '-']), areaStyle: { color, opacity: BAND_OPACITY } });
    }
  });
  const f = frame(spec, names, mode);
  return {
    ...f,
    xAxis: {
      type: logX ? 'log' : 'value',
      name: spec.xLabel,
      nameLocation: 'middle',
      nameGap: 30,
      nameTextStyle: { color: INK, fontSize: 13 },
      // Round ticks around the data (not from zero: a curve may start at step 500).
      ...(logX ? {} : { scale: true }),
      ...(allInt && !logX ? { minInterval: 1 } : {}),
      ...axisStyle,
    },
    yAxis: {
      type: 'value',
      name: spec.yLabel,
      nameLocation: 'middle',
      nameGap: 52,
      nameTextStyle: { color: INK, fontSize: 13 },
      ...(spec.yRange ? { min: spec.yRange[0], max: spec.yRange[1] } : { scale: true }),
      ...axisStyle,
    },
    series,
    ...(points === 0 ? { graphic: [{ type: 'text', left: 'center', top: 'middle', style: { text: 'no data', fill: AXIS, font: `14px ${FONT}` } }] } : {}),
    ...(mode.interactive ? { dataZoom: [{ type: 'inside', filterMode: 'none' }] } : {}),
  } as EChartsOption;
}

/** Value labels with 3 significant digits, k/M past a thousand. */
function compact(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e6) return `${+(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e3) return `${+(v / 1e3).toPrecision(3)}k`;
  return String(+v.toPrecision(3));
}

function barOption(spec: BarChartSpec, mode: OptionMode): EChartsOption {
  const width = spec.width ?? DEFAULT_WIDTH;
  const nG = Math.max(1, spec.groups.length), nS = Math.max(1, spec.series.length);
  // Bars fill 80% of each group (barCategoryGap 20%, no gap between bars), which the error
  // bars below rely on to find each bar's centre.
  const barW = ((width - 104) * 0.8) / nG / nS;
  const fmt = (v: number) => (spec.valueDecimals !== undefined ? v.toFixed(spec.valueDecimals) : compact(v));
  const series: unknown[] = [];
  spec.series.forEach((se, si) => {
    const color = se.color ?? seriesColor(si);
    series.push({
      type: 'bar',
      name: se.name,
      color,
      itemStyle: { color },
      barGap: '0%',
      barCategoryGap: '20%',
      data: se.values.map((v) => {
        if (!finite(v)) return '-';
        const text = fmt(v);
        const show = spec.valueLabels !== false && text.length * 7 + 4 <= barW;
        return { value: v, label: { show, position: 'insideBottom', color: '#ffffff', fontSize: 11, formatter: text } };
      }),
    });
    const whiskers = se.values.map((v, g) => [g, se.lo?.[g], se.hi?.[g], v]).filter(([, lo, hi, v]) => finite(lo) && finite(hi) && finite(v)).map((w) => w.slice(0, 3));
    if (!whiskers.length) return;
    series.push({
      type: 'custom',
      name: se.name,
      silent: true,
      z: 4,
      tooltip: { show: false },
      encode: { x: 0, y: [1, 2] },
      data: whiskers,
      renderItem: (_params: unknown, api: { value(d: number): number; coord(v: number[]): number[]; size(v: number[]): number[] }) => {
        const g = api.value(0);
        const band = api.size([1, 0])[0];
        const w = (band * 0.8) / nS;
        const cx = api.coord([g, 0])[0] - band * 0.4 + (si + 0.5) * w;
        const y0 = api.coord([g, api.value(1)])[1], y1 = api.coord([g, api.value(2)])[1];
        const cap = Math.min(w * 0.3, 8);
        const line = (x1: number, yA: number, x2: number, yB: number) => ({ type: 'line', shape: { x1, y1: yA, x2, y2: yB }, style: { stroke: INK, lineWidth: 1.5 } });
        return { type: 'group', children: [line(cx, y0, cx, y1), line(cx - cap, y0, cx + cap, y0), line(cx - cap, y1, cx + cap, y1)] };
      },
    });
  });
  const all = [0, ...spec.series.flatMap((se) => [...se.values, ...(se.lo ?? []), ...(se.hi ?? [])]).filter(finite)];
  const f = frame(spec, spec.series.map((s) => s.name), mode);
  return {
    ...f,
    tooltip: mode.interactive ? { trigger: 'item', confine: true } : undefined,
    xAxis: { type: 'category', data: spec.groups, name: spec.xLabel, nameLocation: 'middle', nameGap: 30, nameTextStyle: { color: INK, fontSize: 13 }, ...axisStyle },
    yAxis: {
      type: 'value',
      name: spec.yLabel,
      nameLocation: 'middle',
      nameGap: 52,
      nameTextStyle: { color: INK, fontSize: 13 },
      ...(spec.yRange ? { min: spec.yRange[0], max: spec.yRange[1] } : { min: Math.min(...all), max: (v: { max: number }) => v.max * 1.08 }),
      ...axisStyle,
    },
    series,
  } as EChartsOption;
}

/** The ECharts option for a chart spec (throws when the spec's arrays do not line up). */
export function chartOption(spec: ChartSpec, mode: OptionMode = {}): EChartsOption {
  checkSpec(spec);
  return spec.kind === 'bar' ? barOption(spec, mode) : lineOption(spec, mode);
}

/** The chart's size: a legend that needs more than one row makes it taller, not the plot smaller. */
export function chartSize(spec: ChartSpec): { width: number; height: number } {
  const width = spec.width ?? DEFAULT_WIDTH;
  const rows = legendRows(spec.series.map((s) => s.name), width);
  return { width, height: (spec.height ?? DEFAULT_HEIGHT) + Math.max(0, rows - 1) * LEGEND_ROW };
}
