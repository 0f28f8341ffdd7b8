/** `distil compare`: methods x envs x seeds from one checkpoint, same sampled-token budget, one report. */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError } from '../../util/schema.ts';
import { applyOverrides } from '../../train/config.ts';
import { checkPlannedEnvs, checkSearchSplits, lrChoices, lrKey, planComparison, planLrSearch, runComparison, type CompareConfig, type PlannedRun } from '../../train/compare.ts';
import type { LrChoice } from '../../train/lr-search.ts';
import { efficiencyTables, finalRows, formatTable, learnedLines } from '../../report/final-table.ts';
import { writeReport } from '../../report/index.ts';
import { formatEfficiency } from '../../report/efficiency.ts';
import { loadRuns } from '../../report/runs.ts';
import { writeJsonAtomic } from '../../util/atomic.ts';
import { parseArgs, list, readConfigFile, str, num } from '../args.ts';
import { UsageError, type Command } from '../command.ts';
import { progress } from '../../util/progress.ts';
import { onInterrupt } from '../interrupt.ts';
import { uiHint } from '../ui-hint.ts';

const HELP = `Usage: distil compare --config FILE.json|yaml [--out DIR] [--json] [base.key=value ...]
       distil compare --model DIR --algorithms distil,grpo,opsd [--envs math] [--seeds 0,1,2]
                      [--budget TOKENS] [--steps N] [--out DIR] [--json]

Trains every method on every env for every seed from the same checkpoint, each with the same
budget of sampled tokens, then writes one HTML report and prints the final table (mean test
accuracy, greedy (T=0) and sampled (avg@k), with 95% intervals per env and method), which
methods learned beyond the start's greedy accuracy (final greedy interval above it) and, when
a method is labelled grpo, the sampled tokens each method needed to reach GRPO's final greedy
and sampled accuracy (and whether that is at most 1/3 of GRPO's budget). Interrupted comparisons resume: finished runs
are kept, a run cut short continues from its last checkpoint.

A config file holds {model, envs, methods: [{label, algorithm, algorithmOptions, lr?}], seeds,
base: {train settings}, perEnv: {env: {train settings}}, lrSearch?}; see src/recipes/configs/.
Levels (levels, evalLevels) the checkpoint was not trained on (per its recipe.json) are refused
before anything runs; a checkpoint without that record gets a warning.

lrSearch: {grid: [1e-5, 3e-5, 1e-4, 3e-4], seed?, metric?: greedy|sampled, base?: {...}} first
trains every method without a fixed lr once per grid value (seed: the first seed), evaluated on
the env's val split (disjoint from test; refused if a prompt is shared), and runs the comparison
at the lr with the highest final val accuracy (greedy by default; ties: the smaller lr). The
grid, each trial's val accuracy and the choice go to OUT/lr-choice.json and results.json.`;

export async function compareMain(cfg: CompareConfig, out: string, json: boolean): Promise<number> {
  let plan: PlannedRun[];
  let search: PlannedRun[];
  const warnings: string[] = [];
  try {
    // Everything is checked before any run starts: configs, levels, the val split.
    plan = planComparison(cfg, out, { warnings });
    search = planLrSearch(cfg, out);
    if (search.length) await checkSearchSplits(search, plan);
    await checkPlannedEnvs(plan);
  } catch (e) {
    if (e instanceof ConfigError) throw new UsageError(e.message);
    throw e;
  }
  for (const w of warnings) process.stderr.write(`[distil] warning: ${w}\n`);
  mkdirSync(out, { recursive: true });
  writeJsonAtomic(join(out, 'compare.json'), cfg);
  const interrupt = onInterrupt('stopping after this step; run the same command again to resume (Ctrl-C again to abort now)');
  const t0 = Date.now();
  process.stderr.write(uiHint(out));
  let lrChoice: LrChoice[] = [];
  try {
    let bar: ReturnType<typeof progress> | null = null;
    const hooks = (what: string) => ({
      onRunStart: (i: number, total: number, r: PlannedRun) => {
        bar?.done();
        const which = r.search ? `lr ${r.search.lr}` : `seed ${r.config.seed}`;
        process.stderr.write(`[distil] ${what} ${i + 1}/${total}: ${r.config.name} on ${r.config.env}, ${which}\n`);
        bar = progress({ total: r.config.steps, label: `${r.config.name}/${r.config.env}/${r.search ? `lr${r.search.lr}` : `s${r.config.seed}`}` });
      },
      train: {
        shouldStop: () => interrupt.requested,
        onStep: (row: { step: number; accuracy?: number }) => bar?.update(row.step, { acc: row.accuracy?.toFixed(2) }),
        log: () => {},
      },
    });
    let finished = true;
    if (search.length) {
      finished = await runComparison(search, hooks('lr search run'));
      if (finished) {
        lrChoice = lrChoices(cfg, search);
        writeJsonAtomic(join(out, 'lr-choice.json'), { split: 'val', grid: cfg.lrSearch!.grid, metric: cfg.lrSearch!.metric ?? 'greedy', choices: lrChoice });
        const lrs = new Map(lrChoice.map((c) => [lrKey(c.method, c.env), c.chosen]));
        plan = planComparison(cfg, out, { lrs });
        for (const c of lrChoice) process.stderr.write(`[distil] lr for ${c.method} on ${c.env}: ${c.chosen} (${formatTrials(c)})\n`);
      }
    }
    if (finished) finished = await runComparison(plan, hooks('run'));
    (bar as ReturnType<typeof progress> | null)?.done();
    if (!finished) {
      console.log('stopped; run the same command again to resume');
      return 130;
    }
  } finally {
    interrupt.dispose();
  }
  const dirs = plan.map((p) => p.dir);
  const { groups } = loadRuns(dirs);
  const rows = finalRows(groups);
  const efficiency = efficiencyTables(groups, 'grpo');
  const greedyEfficiency = efficiencyTables(groups, 'grpo', 'greedy');
  const report = writeReport(dirs, join(out, 'report'), { title: 'distil comparison', reference: 'grpo' });
  const tables = {
    rows, ...(greedyEfficiency.length ? { greedyEfficiency } : {}), ...(efficiency.length ? { efficiency } : {}),
    ...(lrChoice.length ? { lrSearch: { split: 'val', grid: cfg.lrSearch!.grid, choices: lrChoice } } : {}),
  };
  writeJsonAtomic(join(out, 'results.json'), { ...tables, minutes: (Date.now() - t0) / 60000 });
  if (json) console.log(JSON.stringify({ ...tables, report: report.htmlPath }));
  else {
    console.log(formatTable(rows));
    console.log(`\n${learnedLines(rows).join('\n')}`);
    if (lrChoice.length) console.log(`\nlearning rates chosen on the val split:\n${lrChoice.map((c) => `  ${c.method} on ${c.env}: ${c.chosen} (${formatTrials(c)})`).join('\n')}`);
    for (const e of [...greedyEfficiency, ...efficiency]) console.log(`\n${formatEfficiency(e)}`);
    console.log(`\nreport: ${report.htmlPath}`);
  }
  return 0;
}

/** "val greedy: 1e-5 20.0%, 3e-5 31.5%, ..." */
function formatTrials(c: LrChoice): string {
  const v = (x: number | undefined) => (x === undefined ? '-' : `${(x * 100).toFixed(1)}%`);
  return `val ${c.metric}: ${c.trials.map((t) => `${t.lr} ${v(t[c.metric])}`).join(', ')}`;
}

const command: Command = {
  name: 'compare',
  summary: 'Compare methods x envs x seeds at equal sampled-token budgets, with a report',
  help: HELP,
  async run(argv) {
    const a = parseArgs(argv, ['config', 'out', 'model', 'algorithms', 'envs', 'seeds', 'budget', 'steps'], ['json']);
    let cfg: CompareConfig;
    const file = str(a.flags, 'config');
    if (file) {
      cfg = readConfigFile(file) as unknown as CompareConfig;
    } else {
      const model = str(a.flags, 'model');
      const algos = list(a.flags, 'algorithms');
      if (!model || !algos) throw new UsageError('give --config FILE, or --model DIR and --algorithms a,b,c');
      cfg = {
        model, envs: list(a.flags, 'envs') ?? ['math'], seeds: (list(a.flags, 'seeds') ?? ['0']).map(Number),
        methods: algos.map((x) => ({ label: x, algorithm: x })), base: {},
      };
    }
    const base: Record<string, unknown> = { ...(cfg.base ?? {}) };
    if (num(a.flags, 'budget') !== undefined) base.sampledTokenBudget = num(a.flags, 'budget');
    if (num(a.flags, 'steps') !== undefined) base.steps = num(a.flags, 'steps');
    cfg.base = applyOverrides(base, a.overrides.map((o) => o.replace(/^base\./, '')));
    const out = resolve(str(a.flags, 'out') ?? join('runs', `compare-${new Date().toISOString().replace(/[:.]/g, '-')}`));
    return compareMain(cfg, out, !!a.flags.json);
  },
};
export default command;
