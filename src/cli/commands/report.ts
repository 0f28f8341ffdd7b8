/** `distil report RUN_DIRS... [--out DIR] [--markdown FILE]`: an HTML report (plus PNG/SVG charts, optionally markdown) from run folders. */
import { join, resolve } from 'node:path';
import { UsageError, type Command } from '../command.ts';
import { progress, type Progress } from '../../util/progress.ts';
import { writeReport } from '../../report/index.ts';

const HELP = `Usage: distil report RUN_DIR... [--out DIR] [--title TEXT] [--markdown FILE] [--summary FILE] [--reference LABEL]

Writes one self-contained HTML report (open it in any browser; it needs no network) and,
beside it, every chart as PNG and SVG. The report compares methods across seeds: a summary
sentence per env, the final accuracy table with 95% intervals (greedy accuracy at T=0 first,
then sampled avg@k; a method learned beyond the start only when its final greedy interval is
above the start's greedy accuracy), learning curves against steps, sampled tokens and wall
time, the sampled tokens each method needs to reach the reference method's final greedy and
sampled accuracy (and whether that is at most 1/3 of the reference's budget), the teacher gate, the teacher-student gap, and example rollouts with tokens shaded
by teacher-student disagreement.

RUN_DIR is a run folder (config.json, metrics.jsonl, eval.jsonl, samples.jsonl, gate.json;
see docs/run-folder.md) or a folder holding run folders. Seeds of the same algorithm and env
are grouped; runs that differ in a setting are shown as separate methods.

Options:
  --out DIR      where to write (default: reports/<timestamp> in the current folder)
  --title TEXT   the report's title (default: "distil report")
  --markdown FILE  also write FILE: per env the final table and the tokens-to-reach table,
                 with links to the PNG charts in --out, relative to FILE's folder
                 (e.g. --out docs/results --markdown docs/results.md); also writes
                 summary.json in --out unless --summary says where
  --summary FILE  also write FILE: per env the checkpoint, levels, start greedy and
                 sampled accuracy, and per method lr, final greedy and sampled accuracy
                 with 95% intervals, the learned verdict and the sampled tokens to reach
                 the reference's final greedy (and sampled) accuracy (percent)
  --reference LABEL  the method efficiency is measured against (default: grpo); the
                 section is shown for envs where it was run`;

/** Parse arguments; exported for tests. */
export function parseReportArgs(
  argv: string[],
  now = new Date(),
): { dirs: string[]; out: string; title?: string; markdown?: string; summary?: string; reference?: string } {
  const dirs: string[] = [];
  let out: string | undefined;
  let title: string | undefined;
  let markdown: string | undefined;
  let summary: string | undefined;
  let reference: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (flag: string): string => {
      const eq = a.indexOf('=');
      if (eq >= 0) return a.slice(eq + 1);
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    if (a === '--out' || a.startsWith('--out=')) out = value('--out');
    else if (a === '--title' || a.startsWith('--title=')) title = value('--title');
    else if (a === '--markdown' || a.startsWith('--markdown=')) markdown = value('--markdown');
    else if (a === '--reference' || a.startsWith('--reference=')) reference = value('--reference');
    else if (a === '--summary' || a.startsWith('--summary=')) summary = value('--summary');
    else if (a.startsWith('-')) throw new UsageError(`unknown option ${a}`);
    else dirs.push(a);
  }
  if (dirs.length === 0) throw new UsageError('give at least one run folder (or a folder of runs)');
  const stamp = now.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
  return {
    dirs, out: resolve(out ?? join('reports', stamp)), title,
    ...(markdown !== undefined ? { markdown: resolve(markdown) } : {}),
    ...(summary !== undefined ? { summary: resolve(summary) } : {}),
    ...(reference !== undefined ? { reference } : {}),
  };
}

const report: Command = {
  name: 'report',
  summary: 'Write an HTML report with plots comparing runs (accuracy, intervals, teacher gap, rollouts)',
  help: HELP,
  async run(argv) {
    const args = parseReportArgs(argv);
    let bar: Progress | undefined;
    // A malformed run folder (RunFormatError) is bad input: main prints it, exit code 2.
    const res = writeReport(args.dirs, args.out, {
      title: args.title,
      markdown: args.markdown,
      summary: args.summary,
      reference: args.reference,
      onChart: (done, total, file) => {
        bar ??= progress({ total, label: 'charts' });
        bar.update(done, file);
        if (done === total) bar.done();
      },
    });
    for (const w of res.warnings) console.error(`warning: ${w}`);
    console.log(res.htmlPath);
    if (res.markdownPath) console.log(res.markdownPath);
    if (res.summaryPath) console.log(res.summaryPath);
    return 0;
  },
};
export default report;
