import { test } from 'node:test';
import assert from 'node:assert/strict';
import { barChart, lineChart } from '../../../src/report/plot/index.ts';
import { seriesColor, parseColor } from '../../../src/report/plot/color.ts';
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

test('line chart SVG holds every series, the band, escaped text and the ticks', () => {
  const svg = lineChart(spec()).svg();
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="400" height="300"/);
  assert.ok(svg.includes('>DistIL</text>'));
  assert.ok(svg.includes('>GRPO &amp; co</text>'), 'legend text is escaped');
  assert.ok(svg.includes('acc &lt;vs&gt; steps'), 'title is escaped');
  assert.equal((svg.match(/<polyline [^>]*stroke="#0072b2" stroke-width="2.5"[^>]*clip-path/g) ?? []).length, 1, 'one DistIL line');
  assert.equal((svg.match(/<polyline [^>]*stroke="#d55e00" stroke-width="2.5"[^>]*clip-path/g) ?? []).length, 1, 'one GRPO line');
  assert.ok(/<polygon [^>]*fill="#0072b2" fill-opacity="0.18"/.test(svg), 'DistIL band');
  assert.ok(!/<polygon [^>]*fill="#d55e00" fill-opacity/.test(svg), 'no band without lo/hi');
  for (const t of ['0', '10', '20']) assert.ok(svg.includes(`>${t}</text>`), `x tick ${t}`);
  assert.ok(svg.includes('clip-path="url(#c0)"'), 'data clipped to the plot');
});

test('line chart PNG: valid file; the band and the line show up in their colours', () => {
  const c = lineChart(spec());
  const png = decodePng(c.png());
  assert.equal(png.width, 400);
  assert.equal(png.height, 300);
  // Find the DistIL line and its band in the scene, then sample pixels there.
  const line = c.scene.prims.find((p) => p.kind === 'line' && p.stroke === seriesColor(0) && p.width === 2.5 && p.clip);
  const band = c.scene.prims.find((p) => p.kind === 'polygon' && p.fill === seriesColor(0) && p.alpha === 0.18);
  assert.ok(line && line.kind === 'line' && band && band.kind === 'polygon');
  // Midpoint of the first segment of the line: exactly the series colour.
  const mx = Math.floor((line.points[0] + line.points[2]) / 2), my = Math.floor((line.points[1] + line.points[3]) / 2);
  const near = [-1, 0, 1].map((d) => png.pixel(mx, my + d));
  assert.ok(near.some((p) => p.join() === parseColor(seriesColor(0)).join()), `line pixel near ${mx},${my}: ${JSON.stringify(near)}`);
  // The band: many pixels of exactly the colour's 18% tint over white; (almost) none without a band.
  const [r, g, b] = parseColor(seriesColor(0));
  const tint = [r, g, b].map((v) => Math.round(255 + (v - 255) * 0.18)).join();
  const count = (p: ReturnType<typeof decodePng>) => {
    let n = 0;
    for (let y = 0; y < p.height; y++) for (let x = 0; x < p.width; x++) if (p.pixel(x, y).join() === tint) n++;
    return n;
  };
  const withBand = count(png);
  assert.ok(withBand > 1000, `band pixels: ${withBand}`);
  const noBand = spec();
  delete (noBand.series[0] as { lo?: number[] }).lo;
  delete (noBand.series[0] as { hi?: number[] }).hi;
  // (a few anti-aliased line edges may hit the same shade by chance)
  assert.ok(count(decodePng(lineChart(noBand).png())) < 20);
});

test('a chart with no data says so instead of failing', () => {
  const c = lineChart({ title: 'empty', series: [] });
  assert.ok(c.svg().includes('>no data</text>'));
  decodePng(c.png());
});

test('series of mismatched length are rejected with the series name', () => {
  assert.throws(() => lineChart({ series: [{ name: 'bad', x: [1, 2], y: [1] }] }), /series 'bad'/);
  assert.throws(() => barChart({ groups: ['a', 'b'], series: [{ name: 'b1', values: [1] }] }), /'b1' has 1 values for 2 groups/);
});

test('log-x chart places decades evenly', () => {
  const c = lineChart({ logX: true, series: [{ name: 's', x: [10, 100, 1000], y: [1, 2, 3] }], width: 400, height: 300 });
  const pts = (c.scene.prims.find((p) => p.kind === 'line' && p.width === 2.5 && p.clip) as { points: number[] }).points;
  assert.ok(Math.abs(pts[2] - pts[0] - (pts[4] - pts[2])) < 1e-6);
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
  const rects = c.scene.prims.filter((p) => p.kind === 'rect' && p.h > 20);
  assert.equal(rects.length, 3, 'three bars (one value missing)');
  const svg = c.svg();
  assert.ok(svg.includes('>math</text>') && svg.includes('>code</text>'));
  // The DistIL math bar is taller than the GRPO math bar (60 vs 50).
  const [d, gBar] = rects as { h: number }[];
  assert.ok(Math.abs(d.h / gBar.h - 60 / 50) < 0.05);
  const whiskers = c.scene.prims.filter((p) => p.kind === 'line' && p.width === 1.5);
  assert.equal(whiskers.length, 6, 'two error bars of three strokes');
  decodePng(c.png());
});

test('a title too long for the chart is shortened with an ellipsis', () => {
  const c = lineChart({ title: 'x'.repeat(200), series: [], width: 300, height: 200 });
  const t = c.scene.prims.find((p) => p.kind === 'text' && p.bold);
  assert.ok(t && t.kind === 'text' && t.text.endsWith('…') && t.text.length < 30, JSON.stringify(t));
});

test('a long legend makes the chart taller instead of squashing the plot', () => {
  const series = Array.from({ length: 30 }, (_, i) => ({ name: `method number ${i} with a long name`, x: [0, 1], y: [i, i + 1] }));
  const one = lineChart({ series: series.slice(0, 1), width: 600, height: 400 });
  const many = lineChart({ series, width: 600, height: 400 });
  assert.equal(one.scene.height, 400);
  assert.ok(many.scene.height > 400);
  const plotH = (c: typeof one) => {
    const axis = c.scene.prims.find((p) => p.kind === 'line' && p.points.length === 6)!;
    return axis.kind === 'line' ? axis.points[3] - axis.points[1] : 0;
  };
  assert.ok(Math.abs(plotH(many) - plotH(one)) < 1, `plot height ${plotH(many)} vs ${plotH(one)}`);
  const png = decodePng(many.png());
  assert.equal(png.height, many.scene.height);
});
