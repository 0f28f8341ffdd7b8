/**
 * The per-token analysis of the step-aligned critique study without training (docs/results.md,
 * "Seed methods"): on the student's own samples from a checkpoint, the teacher (the same weights,
 * as SDPO's EMA teacher is at step 0) is shown each context in turn, and on wrong attempts whose
 * first flagged token is past the first token we measure the share of sum_t |log q - log p| at
 * and after that token (report/feedback-mass.ts), beside the share of tokens there (what a
 * context that ignored the mistake's place would give).
 *   npx tsx scripts/critique-diag.ts <model dir> <env> <levels> [prompts=32] [G=4] [batches=0,1,2] [contexts=reference,critique]
 * e.g. npx tsx scripts/critique-diag.ts src/recipes/checkpoints/tiny-science-hidden science 6,7 32 4 0,1,2
 */
import { LocalBackend } from '../src/backends/local.ts';
import { getEnv } from '../src/envs/registry.ts';
import { loadTransformer } from '../src/models/transformer-io.ts';
import { massAfter } from '../src/report/feedback-mass.ts';
import { frozenTeacher } from '../src/teachers/backend-teachers.ts';
import { collectRollouts, feedbackStart, teacherScores } from '../src/train/rollouts.ts';

const [dir, envName, levelsArg, pArg = '32', gArg = '4', batchesArg = '0,1,2', ctxArg = 'reference,critique'] = process.argv.slice(2);
if (!dir || !envName || !levelsArg) throw new Error('usage: npx tsx scripts/critique-diag.ts <model dir> <env> <levels> [prompts] [G] [batches] [contexts]');
const levels = levelsArg.split(',').map(Number);
const { model, folder } = loadTransformer(dir);
const tok = folder.tokenizer!;
const policy = new LocalBackend(model, { tokenizer: tok });
const env = await getEnv(envName);
const teacher = await frozenTeacher(policy);
const mean = (a: number[]) => (a.length ? a.reduce((x, y) => x + y, 0) / a.length : NaN);
const f = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : '–');

console.log('| batch | context | wrong attempts with a located mistake | share of abs(log q - log p) from the first flagged token | share of tokens from it | correct attempts | mean abs(log q - log p) on correct |');
console.log('|---|---|---:|---:|---:|---:|---:|');
for (const b of batchesArg.split(',').map(Number)) {
  const tasks = env.tasks('train', Number(pArg), 1000 + b, { levels });
  const rs = await collectRollouts(policy, env, tok, tasks, {
    groupSize: Number(gArg), maxTokens: 64, temperature: 1, topP: 1, seedBase: 7919 * (b + 1), stop: ['\nFeedback:', '\nCritique:', '\nReward:', '\nQ: '],
  });
  for (const ctx of ctxArg.split(',')) {
    const scores = await teacherScores(teacher, tok, rs, ctx, 0);
    const shares: number[] = [], tokenShares: number[] = [], correctAbs: number[] = [];
    let correct = 0;
    rs.forEach((r, i) => {
      const d = Array.from(r.logprobs, (lp, t) => scores[i].scored.logprobs[t] - lp);
      if (r.outcome.correct) {
        correct++;
        for (const x of d) correctAbs.push(Math.abs(x));
        return;
      }
      const fs = feedbackStart(r, tok);
      if (!(fs > 0 && fs < d.length)) return;
      const m = massAfter(d, fs);
      if (!Number.isFinite(m)) return;
      shares.push(m);
      tokenShares.push((d.length - fs) / d.length);
    });
    console.log(`| ${b} | ${ctx} | ${shares.length} | ${f(mean(shares))} | ${f(mean(tokenShares))} | ${correct} | ${f(mean(correctAbs))} |`);
  }
}
