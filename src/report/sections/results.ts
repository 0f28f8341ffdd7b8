/**
 * The top of the report: one sentence per env saying which method ended highest, by how much
 * and whether the intervals overlap; then the final table and a bar chart of it.
 */
import type { Assets } from '../assets.ts';
import { finalBreakdown, finalResult, type FinalResult } from '../analyze.ts';
import { esc, pct, section, table } from '../html.ts';
import { barChart } from '../plot/index.ts';
import type { Group } from '../runs.ts';

export function resultsByEnv(groups: readonly Group[], pctFactor: number): Map<string, FinalResult[]> {
  const out = new Map<string, FinalResult[]>();
  for (const g of groups) {
    const r = finalResult(g, pctFactor);
    if (!r) continue;
    out.set(g.env, [...(out.get(g.env) ?? []), r]);
  }
  for (const rs of out.values()) rs.sort((a, b) => b.final.mean - a.final.mean || a.group.label.localeCompare(b.group.label));
  return out;
}

function ivText(r: FinalResult): string {
  return r.final.ok ? `${pct(r.final.lo)}–${pct(r.final.hi)}` : 'no interval';
}

/** One plain-language sentence (HTML) about an env. */
export function summarySentence(env: string, rs: FinalResult[]): string {
  const what = rs[0].source === 'eval' ? 'test accuracy' : 'training accuracy (no eval.jsonl)';
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
  const rows = rs.map((r, i) => {
    const b = (s: string) => (i === 0 && rs.length > 1 ? `<strong>${s}</strong>` : s);
    const change = r.initial !== undefined ? (r.final.mean - r.initial >= 0 ? '+' : '') + (r.final.mean - r.initial).toFixed(1) : '–';
    return [
      b(esc(r.group.label)),
      `<span class="num">${b(pct(r.final.mean))}</span>`,
      `${ivText(r)}<br><span class="muted small">${esc(r.intervalKind)}</span>`,
      change,
      String(r.seeds),
      r.step === undefined ? '–' : r.minStep !== undefined && r.minStep !== r.step ? `${r.minStep}–${r.step} <span class="muted small">(seeds stopped at different steps)</span>` : String(r.step),
      r.prompts !== undefined ? String(r.prompts) : '–',
    ];
  });
  return table(['method', 'final accuracy (%)', '95% interval', 'change since first eval (points)', 'seeds', 'last step', 'test prompts'], rows, 'final');
}

/** pass@k and per-difficulty accuracy at the end, when the evaluations recorded them. */
function breakdownTable(rs: FinalResult[], pctFactor: number): string {
  const bs = rs.map((r) => finalBreakdown(r.group, pctFactor));
  const ks = [...new Set(bs.flatMap((b) => [...b.passAtK.keys()]))];
  const levels = [...new Set(bs.flatMap((b) => [...b.byLevel.keys()]))].sort((a, b) => Number(a) - Number(b));
  if (!ks.length && !levels.length) return '';
  const head = ['method', ...ks.map((k) => `pass@${esc(k)}`), ...levels.map((l) => `level ${esc(l)}`)];
  const rows = rs.map((r, i) => [
    esc(r.group.label),
    ...ks.map((k) => `<span class="num">${pct(bs[i].passAtK.get(k))}</span>`),
    ...levels.map((l) => `<span class="num">${pct(bs[i].byLevel.get(l))}</span>`),
  ]);
  return `<details><summary>pass@k and accuracy by difficulty level at the last evaluation (%, mean over seeds)</summary>\n${table(head, rows, 'breakdown')}\n</details>`;
}

export function resultsSection(byEnv: Map<string, FinalResult[]>, assets: Assets, pctFactor = 100): string {
  if (byEnv.size === 0) return section('results', 'Results', '<p class="muted">No run had accuracy in eval.jsonl or metrics.jsonl.</p>');
  const sentences = [...byEnv].map(([env, rs]) => `<li>${summarySentence(env, rs)}</li>`).join('\n');
  const tables = [...byEnv]
    .map(([env, rs]) => `<h3>${esc(env)}</h3>\n${finalTable(rs)}\n${breakdownTable(rs, pctFactor)}`)
    .join('\n');
  const envs = [...byEnv.keys()];
  const labels = [...new Set([...byEnv.values()].flat().map((r) => r.group.label))].sort();
  const find = (env: string, label: string) => byEnv.get(env)!.find((r) => r.group.label === label);
  const fig = assets.figure(
    'final-accuracy',
    () =>
      barChart({
        title: 'Final accuracy (mean over seeds, 95% interval)',
        yRange: [0, 100],
        valueFormat: (v) => v.toFixed(1),
        yLabel: 'accuracy (%)',
        groups: envs,
        series: labels.map((l) => ({
          name: l,
          values: envs.map((e) => find(e, l)?.final.mean),
          lo: envs.map((e) => (find(e, l)?.final.ok ? find(e, l)!.final.lo : undefined)),
          hi: envs.map((e) => (find(e, l)?.final.ok ? find(e, l)!.final.hi : undefined)),
        })),
      }),
    'bar chart of final accuracy per method and env',
    'Final accuracy per method and env.',
  );
  const note =
    '<p class="muted small">Each row averages the last evaluation of every seed. The 95% interval is a Student-t interval ' +
    'over seeds (wide when there are few seeds); with one seed it is a Wilson interval over the test prompts, which ignores ' +
    'seed-to-seed variation. The best mean is in bold; two methods whose intervals overlap are not clearly different.</p>';
  return section('results', 'Results', `<ul class="summary">${sentences}</ul>\n${tables}\n${note}\n${fig}`);
}
