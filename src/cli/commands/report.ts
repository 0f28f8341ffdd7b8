/** `distil report RUN_DIRS... [--out DIR]`: an HTML report (plus PNG/SVG charts) from run folders. */
import { join, resolve } from 'node:path';
import { UsageError, type Command } from '../command.ts';
import { progress, type Progress } from '../progress.ts';
import { RunFormatError, writeReport } from '../../report/index.ts';

const HELP = `Usage: distil report RUN_DIR... [--out DIR] [--title TEXT]

Writes one self-contained HTML report (open it in any browser; it needs no network) and,
beside it, every chart as PNG and SVG. The report compares methods across seeds: a summary
sentence per env, the final accuracy table with 95% intervals, learning curves against
steps, sampled tokens and wall time, the teacher gate, the teacher-student gap, and example
rollouts with tokens shaded by teacher-student disagreement.

RUN_DIR is a run folder (config.json, metrics.jsonl, eval.jsonl, samples.jsonl, gate.json;
see docs/run-folder.md) or a folder holding run folders. Seeds of the same algorithm and env
are grouped; runs that differ in a setting are shown as separate methods.

Options:
  --out DIR      where to write (default: reports/<timestamp> in the current folder)
  --title TEXT   the report's title (default: "distil report")`;

/** Parse arguments; exported for tests. */
export function parseReportArgs(argv: string[], now = new Date()): { dirs: string[]; out: string; title?: string } {
  const dirs: string[] = [];
  let out: string | undefined;
  let title: string | undefined;
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
    else if (a.startsWith('-')) throw new UsageError(`unknown option ${a}`);
    else dirs.push(a);
  }
  if (dirs.length === 0) throw new UsageError('give at least one run folder (or a folder of runs)');
  const stamp = now.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
  return { dirs, out: resolve(out ?? join('reports', stamp)), title };
}

const report: Command = {
  name: 'report',
  summary: 'Write an HTML report with plots comparing runs (accuracy, intervals, teacher gap, rollouts)',
  help: HELP,
  async run(argv) {
    const args = parseReportArgs(argv);
    let bar: Progress | undefined;
    try {
      const res = writeReport(args.dirs, args.out, {
        title: args.title,
        onChart: (done, total, file) => {
          bar ??= progress({ total, label: 'charts' });
          bar.update(done, file);
          if (done === total) bar.done();
        },
      });
      for (const w of res.warnings) console.error(`warning: ${w}`);
      console.log(res.htmlPath);
      return 0;
    } catch (err) {
      if (err instanceof RunFormatError) {
        console.error(`distil report: ${err.message}`);
        return 1;
      }
      throw err;
    }
  },
};
export default report;
