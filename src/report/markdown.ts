/**
 * The report's numbers as markdown, for a paper draft or a README: per env the final accuracy
 * table and the table of sampled tokens to reach the reference's final accuracy, with links to
 * the PNG charts the HTML report writes (paths relative to the markdown file).
 */
import type { FinalResult } from './analyze.ts';
import { EFFICIENCY_HEAD, efficiencyCaption, efficiencyCells, type Efficiency } from './efficiency.ts';
import type { StepCost } from './costs.ts';
import type { FeedbackMass } from './feedback-mass.ts';
import { DYNAMICS_METRICS, type DynamicsRow } from './dynamics.ts';
import { pct } from './html.ts';
import { learnedText } from './sections/results.ts';
import { METRIC_NAME } from './analyze.ts';

export interface ChartLink {
  /** Path relative to the markdown file, '/'-separated and URL-encoded. */
  href: string;
  alt: string;
}

export interface MarkdownInput {
  title: string;
  generated: Date;
  runCount: number;
  results: Map<string, FinalResult[]>;
  efficiency: Map<string, Efficiency>;
  /** The same on greedy accuracy, per env where it was recorded. */
  greedyEfficiency?: Map<string, Efficiency>;
  reference: string;
  /** Charts about every env (the final accuracy bar chart). */
  overall: ChartLink[];
  /** Charts per env (accuracy against sampled tokens, steps, wall time). */
  byEnv: Map<string, ChartLink[]>;
  /** Per env, what a step of each method costs (seconds per phase). */
  costs?: Map<string, StepCost[]>;
  /** Per env, where the teacher's per-token log-ratio sits (methods with a teacher). */
  feedbackMass?: Map<string, FeedbackMass[]>;
  /** Per env, how each method's training signals moved (first vs last eighth of the steps). */
  dynamics?: Map<string, DynamicsRow[]>;
}

/** Text safe inside a markdown table cell. */
export function mdCell(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/[\r\n]+/g, ' ');
}

function mdTable(head: string[], rows: string[][], right: boolean[]): string {
  const line = (cells: string[]) => `| ${cells.map(mdCell).join(' | ')} |`;
  return [line(head), `|${right.map((r) => (r ? '---:' : '---')).join('|')}|`, ...rows.map(line)].join('\n');
}

function finalTableMd(rs: FinalResult[]): string {
  const iv = (r: FinalResult | undefined) => (!r ? '–' : r.final.ok ? `[${pct(r.final.lo)}, ${pct(r.final.hi)}]` : 'no interval');
  const rows = rs.map((r) => [
    r.group.label,
    String(r.seeds),
    r.greedy?.initial === undefined ? '–' : `${pct(r.greedy.initial)}%`,
    r.greedy ? `${pct(r.greedy.final.mean)}%` : 'not recorded',
    iv(r.greedy),
    learnedText(r),
    r.initial === undefined ? '–' : `${pct(r.initial)}%`,
    `${pct(r.final.mean)}%`,
    iv(r),
  ]);
  return mdTable(
    ['method', 'seeds', 'greedy start', 'greedy final (mean)', 'greedy 95% interval', 'learned beyond start (greedy)', 'sampled start', 'sampled final (mean)', 'sampled 95% interval'],
    rows, [false, true, true, true, true, false, true, true, true],
  );
}

function efficiencyTableMd(e: Efficiency): string {
  const rows = e.rows.map((r) => {
    const c = efficiencyCells(e, r);
    return [c.method, c.final, c.tokens, c.fraction, c.verdict, c.perSeed];
  });
  return mdTable(EFFICIENCY_HEAD(e), rows, [false, true, true, true, false, false]);
}

function costTableMd(cs: StepCost[]): string {
  const s = (x: number) => x.toFixed(2);
  const rows = cs.map((c) => [c.label, c.steps.toFixed(1), c.tokensPerStep.toFixed(0), s(c.sampleS), s(c.scoreS), s(c.trainS), s(c.sampleS + c.scoreS + c.trainS)]);
  return mdTable(['method', 'steps', 'sampled tokens / step', 'sample s', 'teacher score s', 'train s', 'total s / step'], rows, [false, true, true, true, true, true, true]);
}

function feedbackMassMd(ms: FeedbackMass[]): string {
  const f = (x: number, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : '–');
  const rows = ms.map((r) => [r.label, String(r.wrong), f(r.shareAfter), String(r.correct), f(r.correctMeanAbs)]);
  return mdTable(['method', 'wrong attempts', 'share of abs(log q - log p) from the first flagged token', 'correct attempts', 'mean abs(log q - log p) on correct'], rows, [false, true, true, true, true]);
}

function dynamicsTableMd(rows: DynamicsRow[]): string {
  const keys = DYNAMICS_METRICS.filter(([k]) => rows.some((r) => r.cells.has(k)));
  const f = (x: number) => (Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(3));
  const cells = rows.map((r) => [r.label, String(r.seeds), ...keys.map(([k]) => {
    const c = r.cells.get(k);
    if (!c) return '–';
    return `${f(c.first)} → ${f(c.last.mean)}${c.last.ok ? ` [${f(c.last.lo)}, ${f(c.last.hi)}]` : ''}`;
  })]);
  return mdTable(['method', 'seeds', ...keys.map(([, name]) => name)], cells, [false, true, ...keys.map(() => true)]);
}

const links = (ls: ChartLink[]) => ls.map((l) => `![${l.alt.replace(/[[\]]/g, '')}](${l.href})`).join('\n\n');

export function markdownReport(m: MarkdownInput): string {
  const out: string[] = [`# ${m.title}`, '', `Generated ${m.generated.toISOString()} from ${m.runCount} run folder(s).`, ''];
  const intervalKinds = [...new Set([...m.results.values()].flat().flatMap((r) => [r.greedy?.intervalKind, r.intervalKind]).filter((k): k is string => !!k))];
  for (const [env, rs] of m.results) {
    out.push(`## ${env}`, '', finalTableMd(rs), '');
    for (const e of [m.greedyEfficiency?.get(env), m.efficiency.get(env)]) {
      if (e) out.push(`### Sampled tokens to reach ${m.reference}'s final ${METRIC_NAME[e.metric]}`, '', `${efficiencyCaption(e)}.`, '', efficiencyTableMd(e), '');
    }
    const costs = m.costs?.get(env);
    if (costs?.length) out.push('### Cost of a step (mean over steps and seeds)', '', costTableMd(costs), '');
    const mass = m.feedbackMass?.get(env);
    if (mass?.length) out.push('### Where the teacher\'s per-token signal sits (samples.jsonl)', '', feedbackMassMd(mass), '');
    const dyn = m.dynamics?.get(env);
    if (dyn?.length) out.push('### Training signals, first → last eighth of the steps (metrics.jsonl; interval over seeds)', '', dynamicsTableMd(dyn), '');
    const charts = m.byEnv.get(env) ?? [];
    if (charts.length) out.push(links(charts), '');
  }
  if (m.results.size === 0) out.push('No run had accuracy in eval.jsonl or metrics.jsonl.', '');
  if (m.overall.length) out.push(links(m.overall), '');
  out.push(
    `Accuracy is on held-out test prompts, in percent: greedy is one temperature-0 decoding per prompt, sampled is avg@k over the ` +
      `evaluation's samples. Start: mean accuracy at the first evaluation; final: mean over seeds of their last evaluation; ` +
      `intervals: ${intervalKinds.join('; ') || '–'}. Learned beyond start: the lower end of the final greedy interval is above the greedy start.`,
  );
  if (m.efficiency.size || m.greedyEfficiency?.size) {
    out.push(
      '',
      `Tokens to reach the target: the first point where the method's accuracy against sampled tokens, averaged over seeds ` +
        `(each seed interpolated linearly between its evaluations and held at its final accuracy once its budget is spent), reaches ${m.reference}'s ` +
        `final accuracy. Fraction: those tokens over ${m.reference}'s budget (sampled tokens at its last evaluation). ` +
        'Per seed: the same crossing on each seed\'s own curve.',
    );
  }
  return out.join('\n') + '\n';
}
