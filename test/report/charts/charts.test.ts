import { test } from 'node:test';
import assert from 'node:assert/strict';
import { barChart, chartOption, lineChart, chartSize } from '../../../src/report/charts/index.ts';
import { PALETTE, seriesColor, BAND_OPACITY } from '../../../src/report/charts/palette.ts';
import { decodePng } from './decode-png.ts';

const spec = () => ({
  title: 'acc <vs> steps',
  xLabel: 'step',
  yLabel: 'accuracy',
  series: [
    { name: 'DistIL', x: [0, 10, 20], y: [30, 50, 60], lo: [25, 45, 55], hi: [35, 55, 65] },
    { name: 'GRPO & co', x: [0, 10, 20], y: [30, 35, 40] },
  ],
  width: 400,
  height: 300,
});

const rgb = (c: string) => [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16));

test('line chart SVG holds every series, the band, escaped text and the ticks', () => {
  const svg = lineChart(spec()).svg();
  assert.match(svg, /^<svg [^>]*width="400" height="300"/);
  assert.ok(svg.includes('>DistIL</text>'));
  assert.ok(svg.includes('GRPO &amp; co</text>'), 'legend text is escaped');
  assert.ok(svg.includes('acc &lt;vs&gt; steps'), 'title is escaped');
  // Each series' line is a path stroked in its colour and 2.5 wide.
  for (const c of [seriesColor(0), seriesColor(1)]) {
    assert.ok(new RegExp(`<path [^>]*fill="none"[^>]* stroke="${c}" stroke-width="2.5"`, 'i').test(svg), `line in ${c}`);
  }
  assert.ok(new RegExp(`<path [^>]*fill="${seriesColor(0)}" fill-opacity="${BAND_OPACITY}"`, 'i').test(svg), 'DistIL band');
  assert.ok(!new RegExp(`<path [^>]*fill="${seriesColor(1)}" fill-opacity="${BAND_OPACITY}"`, 'i').test(svg), 'no band without lo/hi');
  for (const t of ['0', '10', '20']) assert.ok(svg.includes(`>${t}</text>`), `x tick ${t}`);
});

test('line chart PNG at twice the size: the band and the line show up in their colours', () => {
  const c = lineChart(spec());
  const png = decodePng(c.png());
  assert.equal(png.width, 800);
  assert.equal(png.height, 600);
  const count = (p: ReturnType<typeof decodePng>, want: number[], tol: number) => {
    let n = 0;
    for (let i = 0; i < p.rgb.length; i += 3) {
      if (Math.abs(p.rgb[i] - want[0]) <= tol && Math.abs(p.rgb[i + 1] - want[1]) <= tol && Math.abs(p.rgb[i + 2] - want[2]) <= tol) n++;
    }
    return n;
  };
  const line = rgb(seriesColor(0));
  const linePx = count(png, line, 2);
  assert.ok(linePx > 200, `DistIL line pixels: ${linePx}`);
  // The band: many pixels of the colour's 18% tint over white; none without a band.
  const tint = line.map((v) => Math.round(255 + (v - 255) * BAND_OPACITY));
  const withBand = count(png, tint, 2);
  assert.ok(withBand > 5000, `band pixels: ${withBand}`);
  const noBand = spec();
  delete (noBand.series[0] as { lo?: number[] }).lo;
  delete (noBand.series[0] as { hi?: number[] }).hi;
  // (anti-aliased line edges hit the same shade here and there)
  const without = count(decodePng(lineChart(noBand).png(1)), tint, 2);
  assert.ok(without < withBand / 4 / 20, `tint pixels without a band: ${without}`);
});

test('gaps: a missing y value breaks the line instead of joining across it', () => {
  const opt = chartOption({ kind: 'line', series: [{ name: 's', x: [0, 1, 2], y: [1, NaN, 3] }] });
  const s = (opt.series as { data: unknown[][] }[])[0];
  assert.deepEqual(s.data, [[0, 1], [1, '-'], [2, 3]]);
});

test('a chart with no data says so instead of failing', () => {
  const c = lineChart({ title: 'empty', series: [] });
  assert.ok(c.svg().includes('>no data</text>'));
  decodePng(c.png(1));
});

test('series of mismatched length are rejected with the series name', () => {
  assert.throws(() => lineChart({ series: [{ name: 'bad', x: [1, 2], y: [1] }] }).svg(), /series 'bad'/);
  assert.throws(() => barChart({ groups: ['a', 'b'], series: [{ name: 'b1', values: [1] }] }).svg(), /'b1' has 1 values for 2 groups/);
});

test('log-x chart: a log axis, and points at x <= 0 are left out', () => {
  const opt = chartOption({ kind: 'line', logX: true, series: [{ name: 's', x: [0, 10, 100, 1000], y: [0, 1, 2, 3] }] });
  assert.equal((opt.xAxis as { type: string }).type, 'log');
  assert.deepEqual((opt.series as { data: unknown[] }[])[0].data, [[10, 1], [100, 2], [1000, 3]]);
  assert.ok(lineChart({ logX: true, series: [{ name: 's', x: [10, 100, 1000], y: [1, 2, 3] }] }).svg().includes('>100</text>'));
});

test('bar chart: bars, error bars and group labels; PNG decodes', () => {
  const c = barChart({
    title: 'final',
    groups: ['math', 'code'],
    series: [
      { name: 'DistIL', values: [60, 40], lo: [55, 35], hi: [65, 45] },
      { name: 'GRPO', values: [50, undefined] },
    ],
    width: 400,
    height: 300,
  });
  const svg = c.svg();
  assert.ok(svg.includes('>math</text>') && svg.includes('>code</text>'));
  const bars = (color: string) => [...svg.matchAll(new RegExp(`<path d="M([\\d.]+) ([\\d.]+)L[^"]*Z" fill="${color}"`, 'gi'))];
  // Bars are filled paths in the series colour (the legend swatch is a rounded path, not matched).
  const d = bars(seriesColor(0)), g = bars(seriesColor(1));
  assert.equal(d.length, 2, 'two DistIL bars');
  assert.equal(g.length, 1, 'one GRPO bar (one value missing)');
  // Error bars: three strokes per bar with an interval.
  const whiskers = svg.match(/<path [^>]* stroke="#222222" stroke-width="1.5"/gi) ?? [];
  assert.equal(whiskers.length, 6, 'two error bars of three strokes');
  const png = decodePng(c.png(1));
  assert.equal(png.width, 400);
});

test('bar value labels: fixed decimals when asked', () => {
  const opt = chartOption({ kind: 'bar', groups: ['a'], valueDecimals: 1, series: [{ name: 's', values: [62] }] });
  const item = (opt.series as { data: { label: { formatter: string } }[] }[])[0].data[0];
  assert.equal(item.label.formatter, '62.0');
});

test('a long legend makes the chart taller instead of squashing the plot', () => {
  const series = Array.from({ length: 30 }, (_, i) => ({ name: `method number ${i} with a long name`, x: [0, 1], y: [i, i + 1] }));
  const one = { kind: 'line' as const, series: series.slice(0, 1), width: 600, height: 400 };
  const many = { kind: 'line' as const, series, width: 600, height: 400 };
  assert.equal(chartSize(one).height, 400);
  assert.ok(chartSize(many).height > 400);
  const plotH = (s: typeof one) => chartSize(s).height - (chartOption(s).grid as { top: number; bottom: number }).top - (chartOption(s).grid as { bottom: number }).bottom;
  assert.equal(plotH(many), plotH(one));
  const png = decodePng(lineChart(many).png(1));
  assert.equal(png.height, chartSize(many).height);
});

test('the palette repeats no colour within 12 methods', () => {
  assert.equal(new Set(PALETTE).size, 12);
});
