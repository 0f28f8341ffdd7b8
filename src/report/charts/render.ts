/**
 * Charts as files, in Node: ECharts renders the option to an SVG string without a DOM
 * (server-side rendering), and resvg rasterises that SVG to PNG with the system's fonts.
 */
import * as echarts from 'echarts';
import { Resvg } from '@resvg/resvg-js';
import { chartOption, chartSize } from './option.ts';
import type { BarChartSpec, ChartSpec, LineChartSpec } from './spec.ts';

export interface Chart {
  spec: ChartSpec;
  /** CSS pixels (the PNG has pixelRatio times as many). */
  size: { width: number; height: number };
  svg(): string;
  /** PNG at `pixelRatio` times the chart's size (default 2, sharp on high-density screens). */
  png(pixelRatio?: number): Buffer;
}

export function renderSvg(spec: ChartSpec): string {
  const { width, height } = chartSize(spec);
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption(chartOption(spec));
    return chart.renderToSVGString();
  } finally {
    // Without dispose the chart keeps timers alive and the process does not exit.
    chart.dispose();
  }
}

export function svgToPng(svg: string, pixelRatio = 2): Buffer {
  const r = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: pixelRatio },
    background: '#ffffff',
    font: { loadSystemFonts: true, sansSerifFamily: 'DejaVu Sans', defaultFontFamily: 'DejaVu Sans' },
  });
  return r.render().asPng();
}

export function chart(spec: ChartSpec): Chart {
  let svg: string | undefined;
  const getSvg = () => (svg ??= renderSvg(spec));
  return { spec, size: chartSize(spec), svg: getSvg, png: (ratio = 2) => svgToPng(getSvg(), ratio) };
}

export function lineChart(spec: LineChartSpec): Chart {
  return chart({ ...spec, kind: 'line' });
}

export function barChart(spec: BarChartSpec): Chart {
  return chart({ ...spec, kind: 'bar' });
}
