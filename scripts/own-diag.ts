/**
 * What the teacher does with the student's OWN wrong samples (docs/experiments.md, "On-policy
 * attempts in the corpus"): per checkpoint, the student samples n test prompts at level 1 (T=1),
 * and on each wrong sample the same model, shown it and its env feedback (contexts feedback and
 * critique), samples again (T=1): fixed (correct), copied the wrong attempt (same text), or
 * another wrong answer. Seeds 1000+i (student) and 5000+i (teacher); test tasks from seed 1234.
 *   npx tsx scripts/own-diag.ts <env> <n> <model dir>...
 * e.g. npx tsx scripts/own-diag.ts code 300 src/recipes/checkpoints/tiny-code runs/m6-code-own/checkpoints/step-200
 */
import { LocalBackend } from '../src/backends/local.ts';
import type { Task } from '../src/envs/types.ts';
import { getEnv } from '../src/envs/registry.ts';
import { buildTeacherContext } from '../src/feedback/contexts.ts';
import { loadModelFolder } from '../src/models/folder.ts';
import { transformerFromWeights } from '../src/models/transformer-io.ts';
import { attemptBudget, tinyStopStrings, tinyTokenizer } from '../src/recipes/tiny.ts';

const [envName, nArg, ...dirs] = process.argv.slice(2);
if (!envName || !nArg || !dirs.length) throw new Error('usage: npx tsx scripts/own-diag.ts <env> <n> <model dir>...');
const env = await getEnv(envName);
const tok = tinyTokenizer();
const tasks = env.tasks('test', Number(nArg), 1234, { levels: [1] });
const req = (context: string, t: Task, seed: number) => ({ prompt: tok.encode(context), maxTokens: attemptBudget(tok, t), temperature: 1, seed, stop: tinyStopStrings(t.prompt) });
try {
  for (const dir of dirs) {
    const f = loadModelFolder(dir);
    const backend = new LocalBackend(transformerFromWeights(f.config, f.weights, dir), { tokenizer: tok });
    const student = (await backend.sample(tasks.map((t, i) => req(t.prompt, t, 1000 + i)))).map((c) => c.text);
    const outcomes = await Promise.all(tasks.map((t, i) => env.evaluate(t, student[i])));
    const refOutcomes = await Promise.all(tasks.map((t) => env.evaluate(t, t.reference!)));
    const wrong = tasks.map((_, i) => i).filter((i) => !outcomes[i].correct);
    for (const kind of ['feedback', 'critique']) {
      const contexts = wrong.map((i) => buildTeacherContext(kind, { task: tasks[i], completion: student[i], outcome: outcomes[i], group: [{ completion: tasks[i].reference!, outcome: refOutcomes[i] }] }));
      const teacher = (await backend.sample(wrong.map((i, j) => req(contexts[j], tasks[i], 5000 + i)))).map((c) => c.text);
      let fixed = 0, copied = 0, other = 0;
      for (const [j, i] of wrong.entries()) {
        if ((await env.evaluate(tasks[i], teacher[j])).correct) fixed++;
        else if (teacher[j].trim() === student[i].trim()) copied++;
        else other++;
      }
      const pc = (x: number) => `${((100 * x) / Math.max(1, wrong.length)).toFixed(0)}%`;
      console.log(`${dir} ${kind}: student ${((100 * (tasks.length - wrong.length)) / tasks.length).toFixed(0)}%; on its ${wrong.length} wrong samples the teacher fixed ${pc(fixed)}, copied the wrong attempt ${pc(copied)}, wrote another wrong one ${pc(other)}`);
    }
  }
} finally {
  await env.close?.();
}
