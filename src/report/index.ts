/**
 * `writeReport(runDirs, outDir)`: one self-contained HTML file (inline CSS, charts embedded as
 * data URIs, no network) plus every chart as PNG and SVG beside it.
 */
import { dirname, join, relative, resolve, sep } from 'node:path';
import { mkdirSync } from 'node:fs';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.ts';
import { resultsSummary } from './summary.ts';
import { Assets } from './assets.ts';
import { percentFactor } from './analyze.ts';
import { efficiencyByEnv } from './efficiency.ts';
import { markdownReport, type ChartLink } from './markdown.ts';
import { stepCosts } from './costs.ts';
import { feedbackMass } from './feedback-mass.ts';
import { trainingDynamics } from './dynamics.ts';
import { esc, page } from './html.ts';
import { loadRuns } from './runs.ts';
import { curvesSection, gapSection, trainingSection } from './sections/curves.ts';
import { efficiencySection } from './sections/efficiency.ts';
import { gateSection } from './sections/gate.ts';
import { resultsByEnv, resultsSection } from './sections/results.ts';
import { rolloutsSection } from './sections/rollouts.ts';
import { runsList, warningsHtml } from './sections/runs-list.ts';

export { loadRuns, readRun, groupRuns, RunFormatError } from './runs.ts';

const HOW_TO_READ = `<details><summary>How to read this report</summary>
<p>Each <b>method</b> (an algorithm, plus any setting in which its runs differ) was trained with one or more
<b>seeds</b> on each <b>env</b>. Numbers are accuracies on held-out test prompts, in percent, averaged over seeds.
A <b>95% interval</b> says how sure that average is: with few seeds it is wide, and when two methods' intervals
overlap, the data do not show which is better. Shaded areas around curves are the same interval at each point.</p>
<p>The <b>teacher</b> is a model that sees the environment's feedback on the student's attempt; the student is
trained toward what the teacher would have written. The teacher gate shows whether that teacher is good enough to
learn from; the gap charts show how far teacher and student are apart during training; the example rollouts show
what the teacher saw and, token by token, where it disagreed with the student.</p></details>`;

export interface ReportOptions {
  title?: string;
  /** PNG pixels per chart pixel (default 2: sharp on high-density screens; 1 is four times faster). */
  pixelRatio?: number;
  /** Called after each chart is rendered (rasterising is the slow part). */
  onChart?: (done: number, total: number, file: string) => void;
  /** Fixed timestamp for the header (tests); defaults to now. */
  now?: Date;
  /** Label of the method efficiency is measured against (default 'grpo'). */
  reference?: string;
  /** Also write this markdown file: per env the final table, the efficiency table and links to the charts. */
  markdown?: string;
  /**
   * Also write this machine-readable summary (src/report/summary.ts). With `markdown` and no
   * `summary`, it is written as summary.json in the report's folder.
   */
  summary?: string;
}

export interface ReportResult {
  htmlPath: string;
  /** The markdown file, when asked for. */
  markdownPath?: string;
  /** The summary JSON, when written. */
  summaryPath?: string;
  pngs: string[];
  warnings: string[];
}

export function writeReport(runDirs: readonly string[], outDir: string, opts: ReportOptions = {}): ReportResult {
  const { runs, groups } = loadRuns(runDirs);
  const pctFactor = percentFactor(groups);
  const assets = new Assets();
  const title = opts.title ?? 'distil report';
  const reference = opts.reference ?? 'grpo';
  const results = resultsByEnv(groups, pctFactor);
  const efficiency = efficiencyByEnv(groups, { reference, pct: pctFactor });
  const greedyEfficiency = efficiencyByEnv(groups, { reference, pct: pctFactor, metric: 'greedy' });
  const nav = [
    ['results', 'Results'],
    ...(efficiency.size || greedyEfficiency.size ? [['efficiency', 'Tokens to reach ' + reference]] : []),
    ['curves', 'Learning curves'],
    ['gate', 'Teacher gate'],
    ['gap', 'Teacher-student gap'],
    ['rollouts', 'Example rollouts'],
    ['training', 'Training signals'],
  ]
    .map(([id, t]) => `<a href="#${id}">${esc(t)}</a>`)
    .join('');
  const body = [
    `<h1>${esc(title)}</h1>`,
    `<p class="muted">Generated ${esc((opts.now ?? new Date()).toISOString())} from ${runs.length} run folder(s): ` +
      `${new Set(groups.map((g) => g.label)).size} method(s) on ${new Set(groups.map((g) => g.env)).size} env(s).</p>`,
    `<nav>${nav}</nav>`,
    HOW_TO_READ,
    runsList(runs),
    warningsHtml(runs),
    resultsSection(results, assets, pctFactor),
    efficiencySection(efficiency, reference, greedyEfficiency),
    curvesSection(groups, pctFactor, assets),
    gateSection(runs, assets),
    gapSection(groups, assets),
    rolloutsSection(groups),
    trainingSection(groups, assets),
  ].join('\n');
  mkdirSync(outDir, { recursive: true });
  const { html, pngs } = assets.render(page(title, body), outDir, opts.onChart, opts.pixelRatio);
  const htmlPath = join(outDir, 'index.html');
  writeFileAtomic(htmlPath, html);
  let markdownPath: string | undefined;
  if (opts.markdown) {
    markdownPath = resolve(opts.markdown);
    // Links relative to the markdown file, wherever it is; '/' separators and URL-encoded names.
    const link = (name: string, alt: string): ChartLink[] => {
      const file = assets.fileFor(name);
      if (!file) return [];
      const rel = relative(dirname(markdownPath!), resolve(outDir, file)).split(sep);
      return [{ href: rel.map(encodeURIComponent).join('/'), alt }];
    };
    const byEnv = new Map<string, ChartLink[]>();
    for (const env of results.keys()) {
      byEnv.set(env, [
        ...link(`greedy-${env}-tokens`, `${env}: greedy accuracy vs sampled tokens`),
        ...link(`greedy-${env}-time`, `${env}: greedy accuracy vs wall time`),
        ...link(`curve-${env}-tokens`, `${env}: accuracy vs sampled tokens`),
        ...link(`curve-${env}-steps`, `${env}: accuracy vs training step`),
        ...link(`curve-${env}-time`, `${env}: accuracy vs wall time`),
      ]);
    }
    const md = markdownReport({
      title, generated: opts.now ?? new Date(), runCount: runs.length, results, efficiency, greedyEfficiency, reference,
      overall: [...link('final-greedy', 'final greedy accuracy per method and env'), ...link('final-accuracy', 'final sampled accuracy per method and env')],
      byEnv, costs: stepCosts(groups), feedbackMass: feedbackMass(groups), dynamics: trainingDynamics(groups),
    });
    writeFileAtomic(markdownPath, md);
  }
  const summaryFile = opts.summary ?? (opts.markdown ? join(outDir, 'summary.json') : undefined);
  const summaryPath = summaryFile ? resolve(summaryFile) : undefined;
  if (summaryPath) writeJsonAtomic(summaryPath, resultsSummary(groups, { reference, pct: pctFactor }));
  return { htmlPath, markdownPath, summaryPath, pngs, warnings: runs.flatMap((r) => r.warnings) };
}
