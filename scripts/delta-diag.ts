/**
 * Where DelTA puts its weight (docs/results.md, "Seed methods"): on one batch sampled from a
 * checkpoint, the coefficients lambda of the tokens of wrong completions from the first flagged
 * token on vs before it, and of formatting tokens (`=`, newline, `A`, `:`, space) vs the rest.
 *   npx tsx scripts/delta-diag.ts <model dir> <levels> [prompts=32] [G=8] [seeds=0,1,2]
 * e.g. npx tsx scripts/delta-diag.ts src/recipes/checkpoints/tiny-math-2to6 5,6 32 8 0,1,2
 */
import { LocalBackend } from '../src/backends/local.ts';
import { getEnv } from '../src/envs/registry.ts';
import { grpoAdvantages } from '../src/losses/advantages.ts';
import { deltaCoefficients, deltaFeatures } from '../src/losses/delta.ts';
import { loadTransformer } from '../src/models/transformer-io.ts';
import { hiddenStates } from '../src/train/needs.ts';
import { collectRollouts, feedbackStart } from '../src/train/rollouts.ts';

const [dir, levelsArg, pArg = '32', gArg = '8', seedsArg = '0,1,2'] = process.argv.slice(2);
if (!dir || !levelsArg) throw new Error('usage: npx tsx scripts/delta-diag.ts <model dir> <levels> [prompts] [G] [seeds]');
const levels = levelsArg.split(',').map(Number);
const { model, folder } = loadTransformer(dir);
const tok = folder.tokenizer!;
const policy = new LocalBackend(model, { tokenizer: tok });
const env = await getEnv('math');
const FORMAT = new Set(['=', '\n', 'A', ':', ' ']);

/** P(x > y) over pairs (ties count half): how well lambda ranks one set of tokens above another. */
function auc(xs: number[], ys: number[]): number {
  let s = 0;
  for (const x of xs) for (const y of ys) s += x > y ? 1 : x === y ? 0.5 : 0;
  return s / Math.max(xs.length * ys.length, 1);
}
const mean = (a: number[]) => (a.length ? a.reduce((x, y) => x + y, 0) / a.length : NaN);

console.log('| seed | wrong samples | lambda from error | lambda before error | AUC from vs before | lambda format (wrong) | lambda other (wrong) | lambda right samples | lambda format (right) |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const seed of seedsArg.split(',').map(Number)) {
  const tasks = env.tasks('train', Number(pArg), 1000 + seed, { levels });
  const rs = await collectRollouts(policy, env, tok, tasks, { groupSize: Number(gArg), maxTokens: 64, temperature: 1, topP: 1, seedBase: 7919 * (seed + 1), stop: ['\nFeedback:', '\nQ: '] });
  const adv = grpoAdvantages(rs.map((r) => r.outcome.reward), rs.map((r) => r.group));
  const h = await hiddenStates(policy, rs);
  const lam = deltaCoefficients(rs.map((_, i) => deltaFeatures(h.states[i], h.logprobs[i], h.dim)), h.dim, adv);
  const from: number[] = [], before: number[] = [], fmtNeg: number[] = [], otherNeg: number[] = [], pos: number[] = [], fmtPos: number[] = [];
  let wrong = 0;
  rs.forEach((r, i) => {
    if (adv[i] === 0) return;
    const fs = feedbackStart(r, tok);
    if (adv[i] < 0) wrong++;
    r.tokens.forEach((id, t) => {
      const x = lam[i][t], fmt = FORMAT.has(tok.decode([id]));
      if (adv[i] > 0) {
        pos.push(x);
        if (fmt) fmtPos.push(x);
        return;
      }
      (t >= fs ? from : before).push(x);
      (fmt ? fmtNeg : otherNeg).push(x);
    });
  });
  const f = (x: number) => x.toFixed(3);
  console.log(`| ${seed} | ${wrong} | ${f(mean(from))} (${from.length}) | ${f(mean(before))} (${before.length}) | ${f(auc(from, before))} | ${f(mean(fmtNeg))} | ${f(mean(otherNeg))} | ${f(mean(pos))} | ${f(mean(fmtPos))} |`);
}
