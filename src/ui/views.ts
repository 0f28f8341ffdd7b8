/**
 * What the dashboard's API returns, built from the watched runs with the report's own pieces:
 * the same chart specs (report/figures.ts), gate tables and rollout cards, so the live page
 * and the static report agree. Charts travel as JSON specs; the browser turns them into
 * ECharts options with the same function the report uses.
 */
import { isAbsolute, relative, sep } from 'node:path';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { accuracyFigure, metricFigure } from '../report/figures.ts';
import { METRICS, percentFactor, X_AXES, type XKey } from '../report/analyze.ts';
import { num, type Row } from '../report/jsonl.ts';
import { groupRuns, runEnvs, type Group, type Run } from '../report/runs.ts';
import { esc } from '../report/html.ts';
import { gateHtml } from '../report/sections/gate.ts';
import { gateFileHtml, isGateFile } from '../report/sections/gate-file.ts';
import { rolloutCard, shadeMax } from '../report/sections/rollouts.ts';
import type { ChartSpec } from '../report/charts/index.ts';
import type { FigureSink } from '../report/assets.ts';
import { lastStep, type RunStore, type WatchedRun } from './store.ts';

export interface RunInfo {
  id: number;
  name: string;
  dir: string;
  label?: string;
  algorithm?: string;
  env?: string;
  seed?: number;
  status: string;
  error?: string;
  warnings: string[];
  step?: number;
  steps?: number;
  /** Latest held-out sampled and greedy accuracy (as written: fractions or percent) and their step. */
  accuracy?: number;
  greedy?: number;
  evalStep?: number;
  samples: number;
  gate: boolean;
  pretrain: boolean;
  checkpoints: { name: string; files: { name: string; size: number }[] }[];
}

function checkpoints(dir: string): RunInfo['checkpoints'] {
  const out: RunInfo['checkpoints'] = [];
  try {
    for (const name of readdirSync(join(dir, 'checkpoints')).sort((a, b) => (parseInt(a.replace(/\D+/g, '')) || 0) - (parseInt(b.replace(/\D+/g, '')) || 0))) {
      const cdir = join(dir, 'checkpoints', name);
      if (name.startsWith('.') || !statSync(cdir).isDirectory()) continue;
      out.push({ name, files: listFiles(cdir, '') });
    }
  } catch {
    // No checkpoints folder (yet), or it went away while listing: nothing to show.
  }
  return out;
}

function listFiles(root: string, sub: string): { name: string; size: number }[] {
  const out: { name: string; size: number }[] = [];
  for (const n of readdirSync(join(root, sub)).sort()) {
    const rel = sub ? `${sub}/${n}` : n;
    const s = statSync(join(root, rel));
    if (s.isDirectory()) out.push(...listFiles(root, rel));
    else out.push({ name: rel, size: s.size });
  }
  return out;
}

/** Relative to where distil ui was started when the run is below it, else absolute. */
function shownPath(dir: string): string {
  const rel = relative(process.cwd(), dir);
  return rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? dir : rel;
}

export function runInfo(w: WatchedRun): RunInfo {
  const r = w.run;
  const lastEval = r?.evals.length ? r.evals[r.evals.length - 1] : undefined;
  return {
    id: w.id,
    name: r?.name ?? w.dir.split(sep).pop() ?? w.dir,
    dir: shownPath(w.dir),
    label: r?.label,
    algorithm: r?.algorithm,
    env: r?.env,
    seed: r?.seed,
    status: w.status,
    error: w.error,
    warnings: r?.warnings ?? [],
    step: lastStep(r),
    steps: num(r?.config, 'steps'),
    accuracy: num(lastEval, 'accuracy'),
    greedy: num(lastEval, 'greedy'),
    evalStep: num(lastEval, 'step'),
    samples: r?.samples.length ?? 0,
    gate: r?.gate !== undefined,
    pretrain: !!r?.pretrain,
    checkpoints: w.status === 'deleted' ? [] : checkpoints(w.dir),
  };
}

export function stateView(store: RunStore) {
  return { version: store.version, problems: store.problems, runs: store.runs.map(runInfo) };
}

function selected(store: RunStore, ids: number[]): Run[] {
  return ids.flatMap((id) => {
    const r = store.get(id)?.run;
    return r ? [r] : [];
  });
}

/** Numeric keys of metrics.jsonl across runs (the metrics a chart can show), 'step' and axes excluded. */
export function metricKeys(runs: readonly Run[]): string[] {
  const keys = new Set<string>();
  for (const r of runs) {
    // The keys of the first and last rows cover a run (keys do not come and go midway).
    for (const m of [r.metrics[0], r.metrics[r.metrics.length - 1]]) {
      for (const [k, v] of Object.entries(m ?? {})) if (typeof v === 'number' && !['step', 'sampled_tokens', 'wall_s'].includes(k)) keys.add(k);
    }
  }
  return [...keys].sort();
}

export interface ChartsQuery {
  ids: number[];
  x: XKey;
  metrics: string[];
  /** Average seeds of one method into a line with a band, instead of one line per run. */
  groupSeeds: boolean;
}

/** Each run its own group (one line per run), or the report's grouping (seeds averaged). */
function groupsFor(runs: Run[], groupSeeds: boolean): Group[] {
  if (groupSeeds) return groupRuns(runs);
  return runs.filter((r) => !r.pretrain).flatMap((r) => runEnvs(r).map((env) => ({ label: r.label === r.name ? r.name : `${r.label} · ${r.name}`, env, runs: [r] })));
}

export function chartsView(store: RunStore, q: ChartsQuery): { keys: string[]; charts: { id: string; spec: ChartSpec }[] } {
  const runs = selected(store, q.ids);
  const groups = groupsFor(runs, q.groupSeeds);
  const pct = percentFactor(groups);
  const charts: { id: string; spec: ChartSpec }[] = [];
  const envs = [...new Set(groups.map((g) => g.env))];
  const ax = X_AXES.find((a) => a.key === q.x) ?? X_AXES[0];
  for (const env of envs) {
    const gs = groups.filter((g) => g.env === env);
    // Greedy (T=0) accuracy first when the evaluations recorded it, then sampled (avg@k).
    for (const metric of METRICS) {
      const acc = accuracyFigure(env, gs, ax, pct, metric);
      if (acc) charts.push({ id: `${metric === 'greedy' ? 'greedy' : 'accuracy'}-${env}`, spec: acc.spec });
    }
    for (const key of q.metrics) {
      const f = metricFigure(env, gs, key);
      if (f) charts.push({ id: `metric-${key}-${env}`, spec: f.spec });
    }
  }
  // A pretraining run has no env grouping: its loss against step.
  for (const r of runs.filter((x) => x.pretrain)) {
    for (const key of q.metrics) {
      const f = metricFigure(r.name, [{ label: r.name, env: r.name, runs: [r] }], key);
      if (f) charts.push({ id: `metric-${key}-${r.name}`, spec: f.spec });
    }
  }
  return { keys: metricKeys(runs), charts };
}

/** Figures for the live page: the spec goes into the HTML and the browser draws it. */
export const liveFigures: FigureSink = {
  figure(_name, make, alt, caption) {
    const spec = make().spec;
    return `<figure><div class="chart" role="img" aria-label="${esc(alt)}" data-spec="${esc(JSON.stringify(spec))}"></div>${caption ? `<figcaption>${caption}</figcaption>` : ''}</figure>`;
  },
};

export function gateView(store: RunStore, ids: number[]): string {
  const withGate = selected(store, ids).filter((r) => r.gate !== undefined);
  if (!withGate.length) return '<p class="muted">None of the selected runs has a gate.json (pretraining runs write one).</p>';
  return withGate
    .map((r) => `<h3>${esc(r.name)} <span class="muted small">${esc(r.dir)}</span></h3>\n${isGateFile(r.gate) ? gateFileHtml(r.gate, r.name, liveFigures) : gateHtml(r.gate)}`)
    .join('\n');
}

/** The rollouts of one run at one step (default: its latest step with samples), and the steps to choose from. */
export function rolloutsView(store: RunStore, id: number, step?: number): { steps: number[]; step?: number; html: string } {
  const r = store.get(id)?.run;
  if (!r) return { steps: [], html: '<p class="muted">Run not found or not readable.</p>' };
  const steps = [...new Set(r.samples.map((s) => num(s, 'step')).filter((s): s is number => s !== undefined))].sort((a, b) => a - b);
  if (!steps.length) return { steps, html: '<p class="muted">No samples.jsonl in this run (yet).</p>' };
  const at = step !== undefined && steps.includes(step) ? step : steps[steps.length - 1];
  const rows: Row[] = r.samples.filter((s) => num(s, 'step') === at);
  const dis = rows.flatMap((s) => (Array.isArray(s.disagreement) ? s.disagreement.filter((d): d is number => typeof d === 'number') : []));
  const max = shadeMax(dis);
  const legend = max > 0
    ? `<p class="small">Token shading: teacher-student disagreement at that token, <span class="muted">0</span> <span class="legend-bar"></span> <span class="muted">≥ ${esc(max.toPrecision(3))}</span>. Hover a token for its value.</p>`
    : '<p class="muted small">No per-token disagreement recorded at this step, so tokens are not shaded.</p>';
  return { steps, step: at, html: legend + rows.map((row) => rolloutCard(row, r.label, r.name, max)).join('\n') };
}
