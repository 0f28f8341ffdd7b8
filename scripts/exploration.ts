/**
 * Exploration measures of a comparison (docs/rnd.md), from each run's samples.jsonl (configs log
 * every training sample): the first step with a rewarded sample (time to first success), the
 * prompts (by prompt text: locks, questions) ever solved in training, the distinct completions
 * sampled, and the share of groups whose samples all got the same reward (no GRPO signal); to
 * tell found from kept, the prompts solved and the rewarded share of samples in the last W steps.
 *   npx tsx scripts/exploration.ts <compare out dir> [W=10]
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonl } from '../src/train/run-folder.ts';

const [root, wArg = '10'] = process.argv.slice(2);
const W = Number(wArg);
if (!root) throw new Error('usage: npx tsx scripts/exploration.ts <compare out dir>');
const runs = join(root, 'runs');
console.log('| method | seed | steps | first success (step) | sampled tokens by then | prompts ever solved | distinct completions | groups without signal | prompts solved in the last W steps | rewarded samples in the last W steps |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const method of readdirSync(runs).sort()) {
  for (const env of readdirSync(join(runs, method))) {
    for (const seed of readdirSync(join(runs, method, env)).sort()) {
      const dir = join(runs, method, env, seed);
      if (!existsSync(join(dir, 'samples.jsonl'))) continue;
      const rows = readJsonl(join(dir, 'samples.jsonl')) as { step: number; task_id: string; prompt: string; completion: string; reward: number }[];
      const metrics = readJsonl(join(dir, 'metrics.jsonl')) as { step: number; sampled_tokens: number }[];
      const first = rows.find((r) => r.reward > 0)?.step;
      const tokens = first === undefined ? undefined : metrics.find((m) => m.step === first)?.sampled_tokens;
      const solved = new Set(rows.filter((r) => r.reward > 0).map((r) => r.prompt));
      const prompts = new Set(rows.map((r) => r.prompt));
      const groups = new Map<string, number[]>();
      for (const r of rows) groups.set(`${r.step}/${r.task_id}`, [...(groups.get(`${r.step}/${r.task_id}`) ?? []), r.reward]);
      const flat = [...groups.values()].filter((g) => g.every((x) => x === g[0])).length / groups.size;
      const steps = Math.max(...rows.map((r) => r.step));
      const last = rows.filter((r) => r.step > steps - W);
      const solvedLast = new Set(last.filter((r) => r.reward > 0).map((r) => r.prompt)).size;
      const rewardedLast = last.filter((r) => r.reward > 0).length / Math.max(last.length, 1);
      console.log(`| ${method} | ${seed} | ${steps} | ${first ?? 'none'} | ${tokens ?? '–'} | ${solved.size} of ${prompts.size} | ${new Set(rows.map((r) => r.completion)).size} | ${(100 * flat).toFixed(1)}% | ${solvedLast} | ${(100 * rewardedLast).toFixed(1)}% |`);
    }
  }
}
