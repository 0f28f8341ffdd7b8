/** The list of run folders a report was made from, and anything odd found while reading them. */
import { num } from '../jsonl.ts';
import { esc, table } from '../html.ts';
import type { Run } from '../runs.ts';

export function runsList(runs: readonly Run[]): string {
  const rows = runs.map((r) => {
    const steps = r.metrics.map((m) => num(m, 'step')).filter((s): s is number => s !== undefined);
    return [
      esc(r.name),
      esc(r.label),
      esc(r.env ?? '–'),
      esc(r.seed ?? '–'),
      steps.length ? String(Math.max(...steps)) : '–',
      String(r.evals.length),
      String(r.samples.length),
      `<span class="small muted">${esc(r.dir)}</span>`,
    ];
  });
  return `<details><summary>${runs.length} run folder(s)</summary>\n${table(['run', 'method', 'env', 'seed', 'last step', 'evals', 'samples', 'folder'], rows)}\n</details>`;
}

export function warningsHtml(runs: readonly Run[]): string {
  const w = runs.flatMap((r) => r.warnings);
  if (!w.length) return '';
  return `<div class="warn"><b>Notes while reading the runs:</b><ul>${w.map((x) => `<li>${esc(x)}</li>`).join('')}</ul></div>`;
}
