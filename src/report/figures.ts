/**
 * The charts the report and the dashboard both draw, as specs built from groups of runs:
 * accuracy against an x axis (steps, sampled tokens, wall time) and any metrics.jsonl key
 * against steps, one line per group (mean over its seeds) with its 95% band.
 */
import { accuracyCurve, METRIC_NAME, metricCurve, SAMPLE_DISAGREEMENT, sampleDisagreementCurve, type Metric, type XKey } from './analyze.ts';
import { lineChart, type Chart, type LineSeries } from './charts/index.ts';
import type { Group } from './runs.ts';
import type { AggregatedCurve } from './stats.ts';

export function toSeries(label: string, c: AggregatedCurve, xScale = 1): LineSeries {
  const band = c.lo.some(Number.isFinite);
  const seeds = Math.max(0, ...c.n);
  return {
    name: `${label} (${seeds} seed${seeds === 1 ? '' : 's'})`,
    x: c.x.map((v) => v / xScale),
    y: c.mean,
    ...(band ? { lo: c.lo, hi: c.hi } : {}),
    // Interpolated grids mix every seed's x values; dots there would not be measurements.
    ...(c.alignment === 'interpolated' ? { markers: false } : {}),
  };
}

/** Seconds are hard to read past a few minutes: pick minutes or hours by the largest value. */
export function timeUnit(maxS: number): { scale: number; label: string } {
  if (maxS > 3 * 3600) return { scale: 3600, label: 'wall time (hours)' };
  if (maxS > 600) return { scale: 60, label: 'wall time (minutes)' };
  return { scale: 1, label: 'wall time (seconds)' };
}

/** Greedy or sampled accuracy in percent (pct: the factor that makes it so) of each group against one x axis; undefined when none has any. */
export function accuracyFigure(
  env: string,
  groups: readonly Group[],
  ax: { key: XKey; label: string },
  pct: number,
  metric: Metric = 'sampled',
): (Chart & { unit: string }) | undefined {
  const curves = groups.map((g) => ({ label: g.label, c: accuracyCurve(g, ax.key, pct, 200, metric) })).filter((x) => x.c.x.length > 0);
  if (curves.length === 0) return undefined;
  const maxX = Math.max(...curves.flatMap((x) => x.c.x));
  const unit = ax.key === 'wall_s' ? timeUnit(maxX) : { scale: 1, label: ax.label };
  const chart = lineChart({
    title: `${env}: ${METRIC_NAME[metric]} vs ${unit.label.replace(/ \(.*\)$/, '')}`,
    xLabel: unit.label,
    yLabel: `${metric} accuracy (%)`,
    series: curves.map(({ label, c }) => toSeries(label, c, unit.scale)),
  });
  return { ...chart, unit: unit.label };
}

/** A metrics.jsonl key (or the samples' mean disagreement) of each group against training step. */
export function metricFigure(env: string, groups: readonly Group[], key: string, title = `${env}: ${key} over training`): Chart | undefined {
  const curveOf = (g: Group) => (key === SAMPLE_DISAGREEMENT ? sampleDisagreementCurve(g) : metricCurve(g, key));
  const curves = groups.map((g) => ({ label: g.label, c: curveOf(g) })).filter((x) => x.c.x.length > 0);
  if (curves.length === 0) return undefined;
  return lineChart({ title, xLabel: 'training step', yLabel: key, series: curves.map(({ label, c }) => toSeries(label, c)) });
}
