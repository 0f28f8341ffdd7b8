/** distil's charts: JSON specs (spec.ts), one translation to ECharts options (option.ts), files rendered in Node (render.ts). */
export type { BarChartSpec, BarSeries, ChartSpec, LineChartSpec, LineSeries } from './spec.ts';
export { chartOption, chartSize } from './option.ts';
export { barChart, chart, lineChart, renderSvg, svgToPng, type Chart } from './render.ts';
export { PALETTE, seriesColor } from './palette.ts';
