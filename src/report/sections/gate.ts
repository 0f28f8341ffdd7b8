/**
 * The teacher gate (docs/tiny-setting.md): before comparing methods, can the teacher use what it
 * is shown? gate.json has no fixed layout yet, so any JSON is shown as readable tables:
 * a list of records becomes one table, a map of lists one table per key.
 */
import type { FigureSink } from '../assets.ts';
import { esc, section, table } from '../html.ts';
import { lineChart } from '../charts/index.ts';
import { num } from '../jsonl.ts';
import { gateFileHtml, isGateFile } from './gate-file.ts';
import type { Run } from '../runs.ts';
import { flattenConfig } from '../runs.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);

function cell(v: unknown): string {
  if (typeof v === 'boolean') return v ? '<span class="pass">pass</span>' : '<span class="fail">FAIL</span>';
  if (typeof v === 'number') {
    const s = Number.isInteger(v) ? String(v) : Math.abs(v) < 1 ? v.toFixed(3) : v.toFixed(2);
    return `<span class="num">${s}</span>`;
  }
  if (typeof v === 'string' && /^(pass|passed|ok)$/i.test(v)) return `<span class="pass">${esc(v)}</span>`;
  if (typeof v === 'string' && /^(fail|failed)$/i.test(v)) return `<span class="fail">${esc(v)}</span>`;
  // A list of records inside a record (e.g. per-level rows of one checkpoint): a nested table.
  if (Array.isArray(v) && v.length && v.every(isObj)) return gateHtml(v);
  return esc(typeof v === 'string' ? v : JSON.stringify(v));
}

/** Records (objects) as one table whose columns are the union of their (flattened) keys. */
function recordsTable(records: Obj[], firstCol?: [string, string[]]): string {
  const flats = records.map((r) => {
    const f: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(r)) {
      if (isObj(v)) for (const [fk, fv] of Object.entries(flattenConfig(v, k))) f[fk] = JSON.parse(fv);
      else f[k] = v;
    }
    return f;
  });
  const cols = [...new Set(flats.flatMap((f) => Object.keys(f)))];
  const head = [...(firstCol ? [esc(firstCol[0])] : []), ...cols.map(esc)];
  const rows = flats.map((f, i) => [...(firstCol ? [esc(firstCol[1][i])] : []), ...cols.map((c) => (c in f ? cell(f[c]) : '–'))]);
  return table(head, rows, 'gate');
}

/** Render any gate.json value as HTML tables. */
export function gateHtml(v: unknown, depth = 0): string {
  if (Array.isArray(v) && v.every(isObj)) return recordsTable(v);
  if (isObj(v)) {
    const vals = Object.values(v);
    if (vals.length && vals.every((x) => Array.isArray(x) && x.every(isObj)) && depth < 2) {
      return Object.entries(v)
        .map(([k, x]) => `<h4>${esc(k)}</h4>\n${gateHtml(x, depth + 1)}`)
        .join('\n');
    }
    if (vals.length && vals.every(isObj)) return recordsTable(vals as Obj[], ['', Object.keys(v)]);
    return table(['key', 'value'], Object.entries(flattenConfig(v)).map(([k, x]) => [esc(k), cell(JSON.parse(x))]), 'gate');
  }
  return `<pre>${esc(JSON.stringify(v, null, 2))}</pre>`;
}

/** The pretraining loss of a run that has a gate, when its metrics.jsonl has one. */
function pretrainLoss(r: Run, assets: FigureSink): string {
  const rows = r.metrics.filter((m) => num(m, 'step') !== undefined && num(m, 'loss') !== undefined);
  if (rows.length < 2) return '';
  return assets.figure(
    `pretrain-loss-${r.name}`,
    () => lineChart({ title: `${r.name}: pretraining loss`, xLabel: 'step', yLabel: 'loss', series: [{ name: 'loss', x: rows.map((m) => num(m, 'step')!), y: rows.map((m) => num(m, 'loss')!) }] }),
    'pretraining loss',
    'Pretraining loss per step (metrics.jsonl).',
  );
}

export function gateSection(runs: readonly Run[], assets: FigureSink): string {
  const withGate = runs.filter((r) => r.gate !== undefined);
  const intro =
    '<p>Before the comparison means anything, the teacher must be able to use what it is shown. Shown the reference ' +
    'solution it should reproduce it (every line) at least 95% of the time; shown a correct attempt and its feedback it ' +
    'should keep it at least 90%; shown a wrong attempt and its feedback it should fix it clearly more often than the ' +
    'student solves the task alone.</p>';
  if (withGate.length === 0) {
    return section('gate', 'Teacher gate', '<p class="muted">No gate.json in these run folders (it is written by <code>distil pretrain</code>; pass that run folder too to show it).</p>');
  }
  const body = withGate
    .map((r) => {
      const tables = isGateFile(r.gate) ? gateFileHtml(r.gate, r.name, assets) : gateHtml(r.gate);
      return `<h3>${esc(r.name)} <span class="muted small">${esc(r.dir)}</span></h3>\n${tables}\n${pretrainLoss(r, assets)}`;
    })
    .join('\n');
  return section('gate', 'Teacher gate', intro + body);
}
