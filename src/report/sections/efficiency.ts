/**
 * "Sampled tokens to reach <reference>'s final accuracy": per env, how many sampled tokens each
 * method needed before its mean accuracy reached the reference's final accuracy, and whether
 * that is within a fraction (1/3) of the reference's budget. Shown only for envs where the
 * reference method was run. Definitions: src/report/efficiency.ts.
 */
import { EFFICIENCY_HEAD, efficiencyCaption, efficiencyCells, fractionName, type Efficiency } from '../efficiency.ts';
import { esc, section, table } from '../html.ts';
import { METRIC_NAME } from '../analyze.ts';

export function efficiencyTableHtml(e: Efficiency): string {
  const rows = e.rows.map((r) => {
    const c = efficiencyCells(e, r);
    const verdict = r.isReference ? '–' : `<span class="${r.within ? 'pass' : 'fail'}">${c.verdict}</span>`;
    return [
      esc(c.method),
      `<span class="num">${esc(c.final)}</span>`,
      r.tokens === undefined ? `<span class="muted">${esc(c.tokens)}</span>` : `<span class="num">${esc(c.tokens)}</span>`,
      `<span class="num">${esc(c.fraction)}</span>`,
      verdict,
      `<span class="small">${esc(c.perSeed)}</span>`,
    ];
  });
  return `<p class="small">${esc(efficiencyCaption(e))}.</p>\n${table(EFFICIENCY_HEAD(e).map(esc), rows, 'efficiency')}`;
}

/** Per env the greedy table (when recorded) and then the sampled one. */
export function efficiencySection(byEnv: Map<string, Efficiency>, reference: string, greedyByEnv: Map<string, Efficiency> = new Map()): string {
  if (byEnv.size === 0 && greedyByEnv.size === 0) return '';
  const first = [...greedyByEnv.values(), ...byEnv.values()][0];
  const envs = [...new Set([...greedyByEnv.keys(), ...byEnv.keys()])];
  const tables = envs
    .map((env) => {
      const parts = [greedyByEnv.get(env), byEnv.get(env)].filter((e): e is Efficiency => !!e)
        .map((e) => `<h4>${esc(METRIC_NAME[e.metric])}</h4>\n${efficiencyTableHtml(e)}`);
      return `<h3>${esc(env)}</h3>\n${parts.join('\n')}`;
    })
    .join('\n');
  const note =
    `<p class="muted small">Target: ${esc(reference)}'s final accuracy (mean over its seeds), greedy or sampled as the table says. Tokens to reach it: the first ` +
    'point where the method\'s accuracy against sampled tokens, averaged over seeds (each seed interpolated linearly between ' +
    'its evaluations and held at its final accuracy once its budget is spent), reaches the target, interpolated between evaluations. ' +
    `Fraction: those tokens over ${esc(reference)}'s budget, the sampled tokens at its last evaluation. ` +
    `"≤ ${esc(fractionName(first.maxFraction))}": the fraction is at most ${esc(fractionName(first.maxFraction))}. Per seed: the same ` +
    'crossing on each seed\'s own curve. Evaluations are spaced apart, so a crossing is only as precise as that spacing.</p>';
  return section('efficiency', `Sampled tokens to reach ${reference}'s final accuracy`, `${tables}\n${note}`);
}
