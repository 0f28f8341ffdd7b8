/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The dashboard page: the run list, charts that follow the run folders live (server-sent
 * events say what changed, then only that is fetched again), the teacher gate, rollouts and
 * checkpoints. Charts arrive as specs and go through the report's own chartOption.
 */
import * as echarts from 'echarts/core';
import { BarChart, CustomChart, LineChart } from 'echarts/charts';
import { DataZoomComponent, GraphicComponent, GridComponent, LegendComponent, TitleComponent, TooltipComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
import { chartOption } from '../../report/charts/option.ts';
import type { ChartSpec } from '../../report/charts/spec.ts';
import type { RunInfo } from '../views.ts';

echarts.use([LineChart, BarChart, CustomChart, GridComponent, LegendComponent, TitleComponent, TooltipComponent, DataZoomComponent, GraphicComponent, CanvasRenderer]);

type Tab = 'curves' | 'gate' | 'rollouts' | 'checkpoints';
interface State {
  runs: RunInfo[];
  problems: { path: string; message: string }[];
  version: number;
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const el = (tag: string, attrs: Record<string, string> = {}, text?: string) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
};

let state: State = { runs: [], problems: [], version: -1 };
/** Runs ticked for overlay; undefined until the first state arrives (then: every training run). */
let selected: Set<number> | undefined;
let tab: Tab = 'curves';
const chosenMetrics = new Set<string>();
let metricsTouched = false;
const charts = new Map<string, echarts.ECharts>();

async function getJson<T>(url: string): Promise<T> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: ${r.status} ${await r.text()}`);
  return (await r.json()) as T;
}

function selectedIds(): number[] {
  return [...(selected ?? [])].filter((id) => state.runs.some((r) => r.id === id)).sort((a, b) => a - b);
}

// ---- run list ----

function fmtPct(v: number | undefined): string {
  return v === undefined ? '' : `${(v <= 1 ? v * 100 : v).toFixed(1)}%`;
}

function renderRuns(): void {
  const ul = $('runs');
  ul.replaceChildren();
  if (!state.runs.length) ul.append(el('li', { class: 'muted' }, 'No run folders found (yet).'));
  for (const r of state.runs) {
    const li = el('li', { 'data-run-id': String(r.id), 'data-status': r.status });
    const box = el('input', { type: 'checkbox' }) as HTMLInputElement;
    box.checked = !!selected?.has(r.id);
    box.addEventListener('change', () => {
      if (box.checked) selected!.add(r.id);
      else selected!.delete(r.id);
      refreshTab();
    });
    const label = el('label');
    label.append(box, el('span', { class: 'name' }, r.name), el('span', { class: `status status-${r.status}` }, r.status));
    const only = el('button', { class: 'only', title: 'show only this run' }, 'only');
    only.addEventListener('click', () => {
      selected = new Set([r.id]);
      renderRuns();
      refreshTab();
    });
    li.append(label, only);
    const what = [r.label && r.label !== r.name ? r.label : '', r.env ?? '', r.seed !== undefined ? `seed ${r.seed}` : '', r.pretrain ? 'pretraining' : ''].filter(Boolean).join(' · ');
    if (what) li.append(el('div', { class: 'meta' }, what));
    if (r.step !== undefined) {
      const steps = r.steps ?? 0;
      li.append(el('div', { class: 'meta progress-text' }, `step ${r.step}${steps ? ` / ${steps}` : ''}${r.greedy !== undefined ? ` · greedy ${fmtPct(r.greedy)}` : ''}${r.accuracy !== undefined ? ` · test accuracy ${fmtPct(r.accuracy)} (step ${r.evalStep ?? '?'})` : ''}`));
      if (steps) li.append(el('progress', { value: String(Math.min(r.step, steps)), max: String(steps) }));
    }
    if (r.error) li.append(el('div', { class: 'err' }, r.error));
    for (const w of r.warnings.slice(0, 3)) li.append(el('div', { class: 'meta' }, `note: ${w}`));
    li.append(el('div', { class: 'meta muted' }, r.dir));
    ul.append(li);
  }
  const p = $('problems');
  p.replaceChildren(...state.problems.map((x) => el('div', {}, x.message)));
}

// ---- charts ----

/** Draw (or redraw) a spec into a container; the container records what it shows. */
function draw(container: HTMLElement, spec: ChartSpec): void {
  let inst = echarts.getInstanceByDom(container);
  const fresh = !inst;
  if (!inst) inst = echarts.init(container, undefined, { renderer: 'canvas' });
  const option = chartOption({ ...spec, width: undefined, height: undefined }, { interactive: true });
  // Keep the user's zoom when only the data grew; start over when the series changed.
  const names = JSON.stringify(spec.series.map((s) => s.name));
  const sameSeries = container.dataset.series === names && container.dataset.empty !== 'true';
  inst.setOption(option, fresh || !sameSeries ? { notMerge: true } : { replaceMerge: ['series'] });
  container.dataset.series = names;
  let points = 0, maxX = -Infinity;
  if (spec.kind === 'line') {
    for (const s of spec.series) {
      s.x.forEach((x, i) => {
        if (Number.isFinite(s.y[i]) && s.y[i] !== null) {
          points++;
          maxX = Math.max(maxX, x);
        }
      });
    }
  } else {
    points = spec.series.reduce((n, s) => n + s.values.filter((v) => typeof v === 'number').length, 0);
  }
  container.dataset.points = String(points);
  container.dataset.empty = String(points === 0);
  if (Number.isFinite(maxX)) container.dataset.maxX = String(maxX);
}

function renderMetricPicker(keys: string[]): void {
  if (!metricsTouched && chosenMetrics.size === 0) for (const k of ['loss', 'reward']) if (keys.includes(k)) chosenMetrics.add(k);
  const list = $('metric-list');
  list.replaceChildren(
    ...keys.map((k) => {
      const box = el('input', { type: 'checkbox', value: k }) as HTMLInputElement;
      box.checked = chosenMetrics.has(k);
      box.addEventListener('change', () => {
        metricsTouched = true;
        if (box.checked) chosenMetrics.add(k);
        else chosenMetrics.delete(k);
        void loadCharts();
      });
      const l = el('label');
      l.append(box, document.createTextNode(` ${k}`));
      return l;
    }),
  );
  $('metric-count').textContent = String(chosenMetrics.size);
}

async function loadCharts(): Promise<void> {
  const x = ($('x-axis') as HTMLSelectElement).value;
  const group = ($('group-seeds') as HTMLInputElement).checked ? '1' : '0';
  const ids = selectedIds();
  const res = await getJson<{ keys: string[]; charts: { id: string; spec: ChartSpec }[] }>(
    `/api/charts?runs=${ids.join(',')}&x=${encodeURIComponent(x)}&group=${group}&metrics=${encodeURIComponent([...chosenMetrics].join(','))}`,
  );
  const before = chosenMetrics.size;
  renderMetricPicker(res.keys);
  if (chosenMetrics.size !== before) return loadCharts();
  const box = $('charts');
  const keep = new Set(res.charts.map((c) => c.id));
  for (const [id, inst] of charts) {
    if (!keep.has(id)) {
      inst.dispose();
      charts.delete(id);
      box.querySelector(`[data-chart="${CSS.escape(id)}"]`)?.remove();
    }
  }
  res.charts.forEach((c, i) => {
    let div = box.querySelector<HTMLElement>(`[data-chart="${CSS.escape(c.id)}"]`);
    if (!div) {
      div = el('div', { class: 'chart', 'data-chart': c.id });
      box.insertBefore(div, box.children[i] ?? null);
    }
    draw(div, c.spec);
    charts.set(c.id, echarts.getInstanceByDom(div)!);
  });
  if (!res.charts.length) box.replaceChildren(el('p', { class: 'muted' }, ids.length ? 'The selected runs have no accuracy or metrics yet.' : 'Tick a run on the left to see its curves.'));
  else box.querySelector(':scope > p')?.remove();
}

/** Charts embedded in server HTML (gate): a div carrying its spec. */
function hydrate(root: HTMLElement): void {
  for (const div of root.querySelectorAll<HTMLElement>('.chart[data-spec]')) draw(div, JSON.parse(div.dataset.spec!) as ChartSpec);
}

// ---- other tabs ----

async function loadGate(): Promise<void> {
  const res = await getJson<{ html: string }>(`/api/gate?runs=${selectedIds().join(',')}`);
  const box = $('tab-gate');
  box.innerHTML = res.html;
  hydrate(box);
}

async function loadRollouts(): Promise<void> {
  const runSel = $('rollout-run') as HTMLSelectElement;
  const withSamples = state.runs.filter((r) => r.samples > 0 && selected?.has(r.id));
  const prev = runSel.value;
  runSel.replaceChildren(...withSamples.map((r) => el('option', { value: String(r.id) }, `${r.name} (${r.label ?? ''} ${r.env ?? ''})`)));
  if (withSamples.some((r) => String(r.id) === prev)) runSel.value = prev;
  if (!withSamples.length) {
    $('rollout-step').replaceChildren();
    $('rollouts').innerHTML = '<p class="muted">None of the selected runs has samples.jsonl (yet).</p>';
    return;
  }
  const stepSel = $('rollout-step') as HTMLSelectElement;
  const wanted = runSel.value === prev ? stepSel.value : '';
  const res = await getJson<{ steps: number[]; step?: number; html: string }>(`/api/rollouts?run=${runSel.value}&step=${wanted}`);
  stepSel.replaceChildren(...res.steps.map((s) => el('option', { value: String(s) }, String(s))));
  if (res.step !== undefined) stepSel.value = String(res.step);
  $('rollouts').innerHTML = res.html;
}

function fmtBytes(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toFixed(1)} GB` : n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} kB` : `${n} B`;
}

function renderCheckpoints(): void {
  const box = $('tab-checkpoints');
  const runs = state.runs.filter((r) => selected?.has(r.id));
  box.replaceChildren();
  for (const r of runs) {
    box.append(el('h3', {}, r.name));
    if (!r.checkpoints.length) box.append(el('p', { class: 'muted' }, 'No checkpoints yet.'));
    for (const c of r.checkpoints) {
      const d = el('div', { class: 'ckpt', 'data-checkpoint': c.name });
      d.append(el('div', {}, ''), el('code', {}, `${r.dir}/checkpoints/${c.name}`));
      // Checkpoints hold the model in model/ (beside optimiser state); that folder is what model= takes.
      const modelDir = `${r.dir}/checkpoints/${c.name}${c.files.some((f) => f.name.startsWith('model/')) ? '/model' : ''}`;
      const n = c.files.length;
      (d.firstChild as HTMLElement).append(el('b', {}, c.name), document.createTextNode(` · ${n} file${n === 1 ? '' : 's'}, ${fmtBytes(c.files.reduce((k, f) => k + f.size, 0))} · use it as model=${modelDir}`));
      const files = el('details');
      files.append(el('summary', {}, 'files'));
      const ul = el('ul');
      for (const f of c.files) {
        const li = el('li');
        li.append(el('a', { href: `/files/${r.id}/checkpoints/${encodeURIComponent(c.name)}/${f.name.split('/').map(encodeURIComponent).join('/')}` }, f.name), document.createTextNode(` (${fmtBytes(f.size)})`));
        ul.append(li);
      }
      files.append(ul);
      d.append(files);
      box.append(d);
    }
  }
  if (!runs.length) box.append(el('p', { class: 'muted' }, 'Tick a run on the left.'));
}

// ---- wiring ----

let busy: Promise<void> = Promise.resolve();
/** Reload the open tab; calls are queued so that two answers never interleave. */
function refreshTab(): void {
  busy = busy.then(async () => {
    try {
      if (tab === 'curves') await loadCharts();
      else if (tab === 'gate') await loadGate();
      else if (tab === 'rollouts') await loadRollouts();
      else renderCheckpoints();
    } catch (e) {
      $('problems').append(el('div', {}, `could not load ${tab}: ${(e as Error).message}`));
    }
  });
}

async function refreshState(): Promise<void> {
  state = await getJson<State>('/api/state');
  if (!selected) selected = new Set(state.runs.filter((r) => !r.pretrain || !state.runs.some((x) => !x.pretrain)).map((r) => r.id));
  renderRuns();
}

function connect(): void {
  const conn = $('conn');
  const es = new EventSource('/api/events');
  let timer: number | undefined;
  es.addEventListener('hello', () => {
    conn.textContent = 'live';
    conn.className = 'conn live';
    void refreshState().then(refreshTab);
  });
  es.addEventListener('change', (ev) => {
    const { runs } = JSON.parse((ev as MessageEvent).data) as { runs: number[] };
    // Bursts of appends (a step writes several files) become one reload.
    clearTimeout(timer);
    timer = window.setTimeout(() => {
      void refreshState().then(() => {
        if (runs.some((id) => id === -1 || selected?.has(id))) refreshTab();
      });
    }, 150);
  });
  es.onerror = () => {
    conn.textContent = 'reconnecting… (is distil ui still running?)';
    conn.className = 'conn down';
  };
}

for (const b of document.querySelectorAll<HTMLButtonElement>('#tabs button')) {
  b.addEventListener('click', () => {
    tab = b.dataset.tab as Tab;
    for (const x of document.querySelectorAll('#tabs button')) x.classList.toggle('active', x === b);
    for (const s of document.querySelectorAll<HTMLElement>('.tab')) s.hidden = s.id !== `tab-${tab}`;
    refreshTab();
    if (tab === 'curves') for (const c of charts.values()) c.resize();
  });
}
$('x-axis').addEventListener('change', refreshTab);
$('group-seeds').addEventListener('change', refreshTab);
$('rollout-run').addEventListener('change', () => {
  ($('rollout-step') as HTMLSelectElement).value = '';
  refreshTab();
});
$('rollout-step').addEventListener('change', refreshTab);
window.addEventListener('resize', () => {
  for (const c of charts.values()) c.resize();
});
connect();
