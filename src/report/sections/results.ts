/**
 * The top of the report: per env one sentence on greedy accuracy (who learned beyond the
 * start's greedy accuracy) and one on sampled accuracy (which method ended highest, by how much
 * and whether the intervals overlap); then the final table, greedy columns first, and bar charts.
 */
import type { Assets } from '../assets.ts';
import { finalBreakdown, finalResult, learnedBeyondStart, type FinalResult } from '../analyze.ts';
import { esc, pct, section, table } from '../html.ts';
import { barChart } from '../charts/index.ts';
import type { Group } from '../runs.ts';

export function resultsByEnv(groups: readonly Group[], pctFactor: number): Map<string, FinalResult[]> {
  const out = new Map<string, FinalResult[]>();
  for (const g of groups) {
    const r = finalResult(g, pctFactor);
    if (!r) continue;
    out.set(g.env, [...(out.get(g.env) ?? []), r]);
  }
  for (const rs of out.values()) rs.sort(byGreedyThenSampled);
  return out;
}

/** Highest greedy accuracy first (a method without greedy after those with it), then sampled. */
export function byGreedyThenSampled(a: FinalResult, b: FinalResult): number {
  const ga = a.greedy?.final.mean ?? -Infinity, gb = b.greedy?.final.mean ?? -Infinity;
  return (ga === gb ? 0 : gb - ga) || b.final.mean - a.final.mean || a.group.label.localeCompare(b.group.label);
}

function ivText(r: FinalResult): string {
  return r.final.ok ? `${pct(r.final.lo)}–${pct(r.final.hi)}` : 'no interval';
}

/** The learned-beyond-start verdict as a table cell. */
export function learnedText(r: FinalResult): string {
  const v = learnedBeyondStart(r.greedy);
  return v === undefined ? '–' : v ? 'yes' : 'no';
}

/**
 * One sentence on greedy accuracy: the methods whose final greedy accuracy is above their
 * start's beyond the interval. Empty when no run recorded greedy accuracy.
 */
export function greedySentence(env: string, rs: FinalResult[]): string {
  const gs = rs.filter((r) => r.greedy);
  if (!gs.length) return '';
  const starts = gs.map((r) => r.greedy!.initial).filter((v): v is number => v !== undefined);
  const start = starts.length ? ` (start ${pct(starts.reduce((a, b) => a + b, 0) / starts.length)}%)` : '';
  const learned = gs.filter((r) => learnedBeyondStart(r.greedy) === true).map((r) => `<b>${esc(r.group.label)}</b>`);
  const best = gs.reduce((a, b) => (b.greedy!.final.mean > a.greedy!.final.mean ? b : a));
  const missing = rs.length - gs.length;
  return `On <b>${esc(env)}</b>, greedy accuracy (T=0)${start}: highest <b>${esc(best.group.label)}</b> at ${pct(best.greedy!.final.mean)}% ` +
    `(${ivText(best.greedy!)}). Learned beyond the start's greedy accuracy (final interval above it): ${learned.length ? learned.join(', ') : 'none'}.` +
    (missing ? ` ${missing} method(s) recorded no greedy accuracy.` : '');
}

/** One plain-language sentence (HTML) about an env. */
export function summarySentence(env: string, rsIn: FinalResult[]): string {
  const rs = [...rsIn].sort((a, b) => b.final.mean - a.final.mean || a.group.label.localeCompare(b.group.label));
  const what = rs[0].source === 'eval' ? 'sampled test accuracy' : 'training accuracy (no eval.jsonl)';
  const best = rs[0];
  const learned = (r: FinalResult) =>
    r.initial !== undefined ? `, from ${pct(r.initial)}% at its first evaluation` : '';
  const head = `On <b>${esc(env)}</b>, `;
  if (rs.length === 1) {
    return `${head}only <b>${esc(best.group.label)}</b> was run: final ${what} ${pct(best.final.mean)}% (95% interval ${ivText(best)}, ${esc(best.intervalKind)})${learned(best)}.`;
  }
  const second = rs[1];
  const diff = best.final.mean - second.final.mean;
  let s =
    `${head}<b>${esc(best.group.label)}</b> ended highest with ${what} ${pct(best.final.mean)}% ` +
    `(95% interval ${ivText(best)})${learned(best)}, ${diff.toFixed(1)} points above ` +
    `<b>${esc(second.group.label)}</b> (${pct(second.final.mean)}%, ${ivText(second)}). `;
  if (!best.final.ok || !second.final.ok) {
    s += 'With a single seed and no interval, the difference cannot be judged.';
  } else if (best.final.lo > second.final.hi) {
    s += 'The intervals do not overlap: the lead is unlikely to be seed noise.';
  } else {
    s += `The intervals overlap: with ${Math.min(best.seeds, second.seeds)} seed(s) this difference may be noise.`;
  }
  if (rs.length > 2) {
    const last = rs[rs.length - 1];
    s += ` Lowest: ${esc(last.group.label)} at ${pct(last.final.mean)}%.`;
  }
  // Who learned most can differ from who ended highest (they may have started elsewhere).
  const gains = rs.filter((r) => r.initial !== undefined).map((r) => ({ r, g: r.final.mean - r.initial! }));
  if (gains.length >= 2) {
    const top = gains.reduce((a, b) => (b.g > a.g ? b : a));
    s += ` Largest gain during training: ${esc(top.r.group.label)} (${top.g >= 0 ? '+' : ''}${top.g.toFixed(1)} points).`;
  }
  return s;
}

function finalTable(rs: FinalResult[]): string {
  const change = (r: FinalResult | undefined) =>
    r?.initial !== undefined ? (r.final.mean - r.initial >= 0 ? '+' : '') + (r.final.mean - r.initial).toFixed(1) : '–';
  const rows = rs.map((r, i) => {
    const b = (s: string) => (i === 0 && rs.length > 1 ? `<strong>${s}</strong>` : s);
    const g = r.greedy;
    const learned = learnedBeyondStart(g);
    return [
      b(esc(r.group.label)),
      g ? `<span class="num">${b(pct(g.final.mean))}</span>` : '<span class="muted">not recorded</span>',
      g ? `${ivText(g)}<br><span class="muted small">${esc(g.intervalKind)}</span>` : '–',
      g?.initial !== undefined ? `${pct(g.initial)} → ${change(g)}` : '–',
      learned === undefined ? '–' : `<span class="${learned ? 'pass' : 'fail'}">${learned ? 'yes' : 'no'}</span>`,
      `<span class="num">${pct(r.final.mean)}</span>`,
      `${ivText(r)}<br><span class="muted small">${esc(r.intervalKind)}</span>`,
      change(r),
      String(r.seeds),
      r.step === undefined ? '–' : r.minStep !== undefined && r.minStep !== r.step ? `${r.minStep}–${r.step} <span class="muted small">(seeds stopped at different steps)</span>` : String(r.step),
      r.prompts !== undefined ? String(r.prompts) : '–',
    ];
  });
  return table([
    'method', 'greedy final (%)', 'greedy 95% interval', 'greedy start → change (points)', 'learned beyond start (greedy)',
    'sampled final (%)', 'sampled 95% interval', 'sampled change since first eval (points)', 'seeds', 'last step', 'test prompts',
  ], rows, 'final');
}

/** pass@k and per-difficulty accuracy at the end, when the evaluations recorded them. */
function breakdownTable(rs: FinalResult[], pctFactor: number): string {
  const bs = rs.map((r) => finalBreakdown(r.group, pctFactor));
  const ks = [...new Set(bs.flatMap((b) => [...b.passAtK.keys()]))];
  const levels = [...new Set(bs.flatMap((b) => [...b.byLevel.keys()]))].sort((a, b) => Number(a) - Number(b));
  const greedyLevels = [...new Set(bs.flatMap((b) => [...b.byLevelGreedy.keys()]))].sort((a, b) => Number(a) - Number(b));
  if (!ks.length && !levels.length) return '';
  const head = ['method', ...greedyLevels.map((l) => `level ${esc(l)} greedy`), ...ks.map((k) => `pass@${esc(k)}`), ...levels.map((l) => `level ${esc(l)} sampled`)];
  const rows = rs.map((r, i) => [
    esc(r.group.label),
    ...greedyLevels.map((l) => `<span class="num">${pct(bs[i].byLevelGreedy.get(l))}</span>`),
    ...ks.map((k) => `<span class="num">${pct(bs[i].passAtK.get(k))}</span>`),
    ...levels.map((l) => `<span class="num">${pct(bs[i].byLevel.get(l))}</span>`),
  ]);
  return `<details><summary>greedy accuracy by level, pass@k and sampled accuracy by level at the last evaluation (%, mean over seeds)</summary>\n${table(head, rows, 'breakdown')}\n</details>`;
}

export function resultsSection(byEnv: Map<string, FinalResult[]>, assets: Assets, pctFactor = 100): string {
  if (byEnv.size === 0) return section('results', 'Results', '<p class="muted">No run had accuracy in eval.jsonl or metrics.jsonl.</p>');
  const sentences = [...byEnv].flatMap(([env, rs]) => [greedySentence(env, rs), summarySentence(env, rs)].filter(Boolean).map((x) => `<li>${x}</li>`)).join('\n');
  const tables = [...byEnv]
    .map(([env, rs]) => `<h3>${esc(env)}</h3>\n${finalTable(rs)}\n${breakdownTable(rs, pctFactor)}`)
    .join('\n');
  const envs = [...byEnv.keys()];
  const labels = [...new Set([...byEnv.values()].flat().map((r) => r.group.label))].sort();
  const find = (env: string, label: string) => byEnv.get(env)!.find((r) => r.group.label === label);
  const anyGreedy = [...byEnv.values()].flat().some((r) => r.greedy);
  const bars = (id: string, title: string, of: (r: FinalResult) => FinalResult | undefined, what: string) =>
    assets.figure(
      id,
      () =>
        barChart({
          title,
          yRange: [0, 100],
          valueDecimals: 1,
          yLabel: 'accuracy (%)',
          groups: envs,
          series: labels.map((l) => {
            const at = (e: string) => {
              const r = find(e, l);
              return r ? of(r) : undefined;
            };
            return {
              name: l,
              values: envs.map((e) => at(e)?.final.mean),
              lo: envs.map((e) => (at(e)?.final.ok ? at(e)!.final.lo : undefined)),
              hi: envs.map((e) => (at(e)?.final.ok ? at(e)!.final.hi : undefined)),
            };
          }),
        }),
      `bar chart of final ${what} per method and env`,
      `Final ${what} per method and env.`,
    );
  const fig = [
    ...(anyGreedy ? [bars('final-greedy', 'Final greedy accuracy, T=0 (mean over seeds, 95% interval)', (r) => r.greedy, 'greedy accuracy (T=0)')] : []),
    bars('final-accuracy', 'Final sampled accuracy, avg@k (mean over seeds, 95% interval)', (r) => r, 'sampled accuracy (avg@k)'),
  ].join('\n');
  const note =
    '<p class="muted small">Greedy: the share of test prompts whose one temperature-0 decoding is right; sampled: avg@k, ' +
    'the mean correctness of the k samples per prompt at the evaluation temperature. A method learned beyond the start only when ' +
    'the lower end of its final greedy interval is above its greedy accuracy at the first evaluation (step 0); sampled accuracy ' +
    'also rises when training only sharpens sampling toward what the model already decodes greedily. ' +
    'Each row averages the last evaluation of every seed. The 95% interval is a Student-t interval ' +
    'over seeds (wide when there are few seeds); with one seed it is a Wilson interval over the test prompts, which ignores ' +
    'seed-to-seed variation. The best mean is in bold; two methods whose intervals overlap are not clearly different.</p>';
  return section('results', 'Results', `<ul class="summary">${sentences}</ul>\n${tables}\n${note}\n${fig}`);
}
