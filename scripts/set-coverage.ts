/**
 * Coverage of the correct answers in a comparison on the `ambiguous` env (docs/set-objectives.md):
 * from each run's samples.jsonl (configs log every training sample, at T = 1, on-policy), over
 * the last W steps: the mean reward (expected reward under the uniform intent), the share of
 * samples that are a solution, and per prompt group (the G samples of one prompt at one step) the
 * share of its solutions that appear and whether all appear.
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
const runs = join(root, 'runs');
console.log(`| method | seed | mean reward | solution rate | solutions covered per prompt | all solutions covered | distinct answers per prompt |`);
console.log(`|---|---|---|---|---|---|---|`);
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
      const row = [mean(kept.map((r) => r.reward)), mean(kept.map((r) => (r.correct ? 1 : 0))), mean(covered), mean(all), mean(distinct)];
      byMethod.set(method, [...(byMethod.get(method) ?? []), row]);
      console.log(`| ${method} | ${seed} | ${row[0].toFixed(3)} | ${(100 * row[1]).toFixed(1)}% | ${(100 * row[2]).toFixed(1)}% | ${(100 * row[3]).toFixed(1)}% | ${row[4].toFixed(2)} |`);
    }
  }
}
for (const [method, rows] of byMethod) {
  const m = (j: number) => mean(rows.map((r) => r[j]));
  console.log(`| **${method}** | mean of ${rows.length} | ${m(0).toFixed(3)} | ${(100 * m(1)).toFixed(1)}% | ${(100 * m(2)).toFixed(1)}% | ${(100 * m(3)).toFixed(1)}% | ${m(4).toFixed(2)} |`);
}
