/**
 * A report over DDPO run folders: per (reward, variant) group, the reward curve of every seed
 * and the reward queries (reward against reward), the fixed-noise grids of a few epochs side by
 * side, and a markdown table of first/final values as mean +- std over seeds. Curves are small
 * standalone SVG files so the markdown in docs/ can show them too.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { readJsonl } from '../train/run-folder.ts';
import { writeFileAtomic } from '../util/atomic.ts';
import type { DdpoConfig } from './ddpo-config.ts';

interface Run {
  dir: string;
  config: DdpoConfig;
  rows: Record<string, number>[];
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];

function meanStd(xs: number[]): string {
  const f = xs.filter(Number.isFinite);
  if (!f.length) return '-';
  const m = f.reduce((a, b) => a + b, 0) / f.length;
  const s = Math.sqrt(f.reduce((a, b) => a + (b - m) ** 2, 0) / f.length);
  const d = Math.abs(m) >= 10 ? 1 : 3;
  return f.length > 1 ? `${m.toFixed(d)} ± ${s.toFixed(d)}` : m.toFixed(d);
}

/** A line chart of `key` per epoch, one line per run (colour per variant). */
export function curveSvg(title: string, runs: Run[], key: string): string {
  const W = 360, H = 220, L = 50, R = 10, T = 24, B = 30;
  const pts = runs.map((r) => r.rows.filter((x) => Number.isFinite(x[key])).map((x) => [x.epoch, x[key]] as const));
  const all = pts.flat();
  if (!all.length) return '';
  const x0 = Math.min(...all.map((p) => p[0])), x1 = Math.max(...all.map((p) => p[0]), x0 + 1);
  let y0 = Math.min(...all.map((p) => p[1])), y1 = Math.max(...all.map((p) => p[1]));
  if (y1 - y0 < 1e-9) [y0, y1] = [y0 - 1, y1 + 1];
  const sx = (x: number) => L + ((x - x0) / (x1 - x0)) * (W - L - R), sy = (y: number) => H - B - ((y - y0) / (y1 - y0)) * (H - T - B);
  const variants = [...new Set(runs.map((r) => r.config.variant))];
  const lines = pts.map((p, i) => `<polyline fill="none" stroke-width="1.5" stroke="${COLORS[variants.indexOf(runs[i].config.variant) % COLORS.length]}" points="${p.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ')}"/>`);
  const fmt = (v: number) => (Math.abs(v) >= 10 ? v.toFixed(0) : v.toFixed(2));
  const legend = variants.map((v, i) => `<text x="${L + 8 + i * 110}" y="${T + 12}" font-size="11" fill="${COLORS[i % COLORS.length]}">DDPO_${v.toUpperCase()}</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif"><rect width="${W}" height="${H}" fill="white"/>` +
    `<text x="${W / 2}" y="14" font-size="12" text-anchor="middle">${title}</text>` +
    `<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="#888"/><line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="#888"/>` +
    `<text x="${L - 4}" y="${sy(y1) + 4}" font-size="10" text-anchor="end">${fmt(y1)}</text><text x="${L - 4}" y="${sy(y0)}" font-size="10" text-anchor="end">${fmt(y0)}</text>` +
    `<text x="${L}" y="${H - B + 14}" font-size="10">${x0}</text><text x="${W - R}" y="${H - B + 14}" font-size="10" text-anchor="end">epoch ${x1}</text>` +
    lines.join('') + legend.join('') + '</svg>\n';
}

/** Writes outDir/index.html, curves and grids; returns the markdown summary (also outDir/summary.md). */
export function writeDdpoReport(outDir: string, runDirs: string[]): string {
  mkdirSync(outDir, { recursive: true });
  const runs: Run[] = runDirs.map((dir) => ({ dir, config: JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')), rows: readJsonl(join(dir, 'metrics.jsonl')) as Record<string, number>[] }));
  const rewards = [...new Set(runs.map((r) => r.config.reward))];
  const keys = (rs: Run[]) => ['reward', 'accuracy', ...[...new Set(rs.flatMap((r) => Object.keys(r.rows[0] ?? {}).filter((k) => k.startsWith('query/'))))]];
  const md: string[] = [];
  const html: string[] = ['<!doctype html><meta charset="utf-8"><title>DDPO runs</title><style>body{font-family:sans-serif;margin:20px}img{image-rendering:pixelated;margin:4px}figure{display:inline-block;margin:4px}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px}</style><h1>DDPO on procedural digits</h1>'];
  md.push('| reward | variant | seeds | epochs | reward first → final | accuracy first → final | query finals |', '|---|---|---|---|---|---|---|');
  for (const reward of rewards) {
    const rs = runs.filter((r) => r.config.reward === reward);
    const safe = reward.replace(/[^\w-]+/g, '_');
    html.push(`<h2>reward: ${reward}</h2>`);
    for (const k of keys(rs)) {
      const svg = curveSvg(`${reward}: ${k} per epoch`, rs, k);
      if (!svg) continue;
      const file = `curve-${safe}-${k.replace(/[^\w-]+/g, '_')}.svg`;
      writeFileAtomic(join(outDir, file), svg);
      html.push(`<img src="${file}" alt="${k}">`);
    }
    for (const variant of [...new Set(rs.map((r) => r.config.variant))]) {
      const g = rs.filter((r) => r.config.variant === variant);
      const first = (k: string) => meanStd(g.map((r) => r.rows[0]?.[k]));
      const last = (k: string) => meanStd(g.map((r) => r.rows[r.rows.length - 1]?.[k]));
      const queries = keys(g).filter((k) => k.startsWith('query/')).map((k) => `${k.slice(6)} ${last(k)}`).join('; ');
      md.push(`| ${reward} | DDPO_${variant.toUpperCase()} | ${g.length} | ${g[0].rows.length} | ${first('reward')} → ${last('reward')} | ${first('accuracy')} → ${last('accuracy')} | ${queries} |`);
      // Grids of the first seed's run: start, middle, end (same noise every epoch).
      const r = g[0], E = r.rows.length;
      html.push(`<h3>DDPO_${variant.toUpperCase()}, ${basename(r.dir)}</h3>`);
      for (const e of [...new Set([0, Math.round(E / 2), E])]) {
        const src = join(r.dir, 'grids', `epoch-${e}.png`);
        if (!existsSync(src)) continue;
        const file = `grid-${safe}-${variant}-${basename(r.dir)}-epoch-${e}.png`;
        copyFileSync(src, join(outDir, file));
        html.push(`<figure><img src="${file}" width="328"><figcaption>epoch ${e}</figcaption></figure>`);
      }
    }
  }
  const table = md.join('\n') + '\n';
  html.push('<h2>Summary (mean ± std over seeds)</h2><pre>' + table.replace(/&/g, '&amp;').replace(/</g, '&lt;') + '</pre>');
  writeFileAtomic(join(outDir, 'index.html'), html.join('\n'));
  writeFileAtomic(join(outDir, 'summary.md'), table);
  return table;
}
