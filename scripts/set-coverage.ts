/**
 * Coverage of the correct answers in a comparison on the `ambiguous` env (docs/set-objectives.md):
 * from each run's samples.jsonl (configs log every training sample, at T = 1, on-policy), over
 * the last W steps: the mean reward (expected reward under the uniform intent), the share of
 * samples that are a solution, and per prompt group (the G samples of one prompt at one step) the
 * share of its solutions that appear and whether all appear; per question over the window, the
 * share of its solution samples that are its most frequent solution (1 = one solution only, 1/n =
 * an even split over n); from metrics.jsonl the mean sampled entropy over the same steps, and from
 * eval.jsonl the last test eval's pass@1 and pass@K (K = its samples per prompt).
 *   npx tsx scripts/set-coverage.ts <compare out dir> [W=10]
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonl } from '../src/train/run-folder.ts';
import { filledDigit } from '../src/envs/ambiguous/index.ts';

const [root, wArg = '10'] = process.argv.slice(2);
if (!root) throw new Error('usage: npx tsx scripts/set-coverage.ts <compare out dir> [W]');
const W = Number(wArg);

function question(prompt: string): { a: number; b: number; solutions: string[] } {
  const m = /^Q: (\d)\*\?=(\d)/.exec(prompt);
  if (!m) throw new Error(`not an ambiguous prompt: ${JSON.stringify(prompt)}`);
  const [a, b] = [Number(m[1]), Number(m[2])];
  return { a, b, solutions: [...Array(10).keys()].filter((d) => (a * d) % 10 === b).map(String) };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(xs.length, 1);
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
/** One table row's cells after the method and seed (K: the eval's samples, 0 = not shown). */
const fmt = (r: number[], K: number) =>
  [r[0].toFixed(3), pct(r[1]), pct(r[2]), pct(r[3]), r[4].toFixed(2), r[5].toFixed(2), r[6].toFixed(3), `${pct(r[7])} / ${pct(r[8])}${K ? ` (K=${K})` : ''}`].join(' | ');
const runs = join(root, 'runs');
console.log(`| method | seed | mean reward | solution rate | solutions covered per prompt | all solutions covered | distinct answers per prompt | top-solution share | entropy (nats/token) | test pass@1 / pass@K |`);
console.log(`|---|---|---|---|---|---|---|---|---|---|`);
const byMethod = new Map<string, number[][]>();
for (const method of readdirSync(runs).sort()) {
  for (const env of readdirSync(join(runs, method))) {
    for (const seed of readdirSync(join(runs, method, env)).sort()) {
      const file = join(runs, method, env, seed, 'samples.jsonl');
      if (!existsSync(file)) continue;
      const rows = readJsonl(file) as { step: number; task_id: string; prompt: string; completion: string; reward: number; correct: boolean }[];
      const last = Math.max(...rows.map((r) => r.step));
      const kept = rows.filter((r) => r.step > last - W);
      const groups = new Map<string, typeof kept>();
      for (const r of kept) {
        const key = `${r.step}/${r.task_id}`;
        groups.set(key, [...(groups.get(key) ?? []), r]);
      }
      const covered: number[] = [], all: number[] = [], distinct: number[] = [];
      for (const g of groups.values()) {
        const { a, b, solutions: sol } = question(g[0].prompt);
        const answers = new Set(g.map((r) => filledDigit(a, b, r.completion)));
        const hit = sol.filter((s) => answers.has(s)).length;
        covered.push(hit / sol.length);
        all.push(hit === sol.length ? 1 : 0);
        distinct.push(answers.size);
      }
      // Per question over the window: how the solution samples split between its solutions.
      const counts = new Map<string, Map<string, number>>();
      for (const r of kept) {
        const { a, b, solutions: sol } = question(r.prompt);
        const d = filledDigit(a, b, r.completion);
        if (d === null || !sol.includes(d)) continue;
        const c = counts.get(r.prompt) ?? new Map<string, number>();
        c.set(d, (c.get(d) ?? 0) + 1);
        counts.set(r.prompt, c);
      }
      const top = [...counts.values()].map((c) => Math.max(...c.values()) / [...c.values()].reduce((x, y) => x + y, 0));
      const dir = join(runs, method, env, seed);
      const metrics = existsSync(join(dir, 'metrics.jsonl')) ? (readJsonl(join(dir, 'metrics.jsonl')) as { step: number; entropy?: number }[]) : [];
      const entropy = mean(metrics.filter((m) => m.step > last - W && typeof m.entropy === 'number').map((m) => m.entropy!));
      const evals = existsSync(join(dir, 'eval.jsonl')) ? (readJsonl(join(dir, 'eval.jsonl')) as { step: number; pass_at_k: Record<string, number> }[]) : [];
      const ev = evals.at(-1);
      const K = ev ? Math.max(...Object.keys(ev.pass_at_k).map(Number)) : 0;
      const row = [mean(kept.map((r) => r.reward)), mean(kept.map((r) => (r.correct ? 1 : 0))), mean(covered), mean(all), mean(distinct), mean(top), entropy, ev?.pass_at_k['1'] ?? NaN, ev?.pass_at_k[String(K)] ?? NaN];
      byMethod.set(method, [...(byMethod.get(method) ?? []), row]);
      console.log(`| ${method} | ${seed} | ${fmt(row, K)} |`);
    }
  }
}
for (const [method, rows] of byMethod) {
  const m = (j: number) => mean(rows.map((r) => r[j]));
  console.log(`| **${method}** | mean of ${rows.length} | ${fmt(rows[0].map((_, j) => m(j)), 0)} |`);
}
