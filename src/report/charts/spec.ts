/**
 * What a chart shows, as plain JSON data: the one definition of every chart distil draws.
 * The report renders a spec to SVG/PNG in Node, the dashboard sends the same spec to the
 * browser; both turn it into chart-library options with `chartOption` (option.ts).
 */

export interface LineSeries {
  name: string;
  x: number[];
  y: number[];
  /** Lower and upper edges of a shaded band (e.g. a 95% interval over seeds), same length as x. */
  lo?: number[];
  hi?: number[];
  color?: string;
  /** Dots at the data points; by default on when a series has at most 30 points. */
  markers?: boolean;
}

export interface LineChartSpec {
  kind?: 'line';
  title?: string;
  xLabel?: string;
  yLabel?: string;
  series: LineSeries[];
  logX?: boolean;
  /** Fixed y range; by default the data's range (bands included), widened to round ticks. */
  yRange?: [number, number];
  width?: number;
  height?: number;
}

export interface BarSeries {
  name: string;
  /** One value per group; undefined/null leaves a gap. */
  values: (number | undefined | null)[];
  /** Whisker from lo to hi per group (e.g. a 95% interval over seeds). */
  lo?: (number | undefined | null)[];
  hi?: (number | undefined | null)[];
  color?: string;
}

export interface BarChartSpec {
  kind?: 'bar';
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** One group of bars per category (e.g. env), one bar per series (e.g. method) in each. */
  groups: string[];
  series: BarSeries[];
  yRange?: [number, number];
  /** Print each bar's value on it when it fits (default true), with this many decimals (default 3 significant digits). */
  valueLabels?: boolean;
  valueDecimals?: number;
  width?: number;
  height?: number;
}

export type ChartSpec = (LineChartSpec & { kind: 'line' }) | (BarChartSpec & { kind: 'bar' });

export const DEFAULT_WIDTH = 900;
export const DEFAULT_HEIGHT = 540;

/** Reject specs whose arrays do not line up, naming the series (a caller's bug, not bad data). */
export function checkSpec(spec: ChartSpec): void {
  if (spec.kind === 'line') {
    for (const se of spec.series) {
      if (se.x.length !== se.y.length) throw new Error(`series '${se.name}': x has ${se.x.length} values, y has ${se.y.length}`);
      for (const b of [se.lo, se.hi]) {
        if (b && b.length !== se.x.length) throw new Error(`series '${se.name}': band has ${b.length} values, x has ${se.x.length}`);
      }
    }
  } else {
    for (const se of spec.series) {
      if (se.values.length !== spec.groups.length) throw new Error(`bar series '${se.name}' has ${se.values.length} values for ${spec.groups.length} groups`);
    }
  }
}
