/**
 * How good is the teacher on the student's mistakes, now? The student (e.g. a run's final
 * checkpoint) samples once at T=1 and decodes once greedily on N test prompts; the teacher
 * (e.g. the frozen start checkpoint) is shown each T=1 sample with its env feedback in a
 * teacher context and decodes greedily. Its accuracy there is what a self-distillation
 * method's target can teach at that point of training; the fix rate (its accuracy on the
 * prompts whose sample was wrong) says whether the feedback still carries something the
 * student lacks. Beside evaluate.ts because it samples and grades like it. The gate (recipes/gate.ts) measures the same with student = teacher before
 * RL; this measures it for any pair, e.g. at the end of a run.
 */
import type { Env, Outcome, Task } from '../envs/types.ts';
import { buildTeacherContext } from '../feedback/contexts.ts';
import type { SampleRequest, TextSampler } from '../inference/types.ts';
import type { Tokenizer } from '../models/tokenizer.ts';

export interface TeacherProbeOptions {
  prompts: number;
  /** Teacher context kinds to try (e.g. ['feedback', 'critique']). */
  contexts: string[];
  levels?: number[];
  split?: 'test' | 'val';
  /** Seed of the prompts and of every sample (one per prompt and role). */
  seed?: number;
  maxTokens: number;
  /** Stop strings of every sample (default none besides end of sequence). */
  stop?: (task: Task) => string[] | undefined;
  /** Requests per sampler call. */
  batch?: number;
}

export interface ContextProbe {
  /** Teacher, greedy, after the student's sample + feedback: fraction correct over all prompts. */
  teacherGreedy: number;
  /** The same over the prompts whose student sample was wrong. */
  fixRate: number;
  /** The same over the prompts whose student sample was right (does it keep them). */
  keepRate: number;
}

export interface TeacherProbeResult {
  n: number;
  studentGreedy: number;
  studentSampled: number;
  /** Prompts whose student sample was wrong (the fix rate's denominator). */
  nWrong: number;
  contexts: Record<string, ContextProbe>;
}

const mean = (xs: boolean[]) => (xs.length ? xs.filter(Boolean).length / xs.length : 0);

/** Per-prompt sample seeds, distinct per role so the student's and teacher's draws never coincide. */
const seedOf = (base: number, i: number, role: number) => (Math.imul(base + 1, 0x9e3779b1) ^ Math.imul(i + 1, 0x85ebca6b) ^ Math.imul(role + 1, 0xc2b2ae35)) >>> 0;

export async function probeTeacher(student: TextSampler, teacher: TextSampler, tok: Tokenizer, env: Env, o: TeacherProbeOptions): Promise<TeacherProbeResult> {
  const seed = o.seed ?? 0;
  const batch = o.batch ?? 64;
  const tasks = env.tasks(o.split ?? 'test', o.prompts, seed, o.levels ? { levels: o.levels } : undefined);
  if (tasks.length === 0) throw new Error(`teacher probe: the ${env.name} env gave no ${o.split ?? 'test'} prompts`);
  const run = async (m: TextSampler, reqs: { context: string; task: Task; temperature: number; seed: number }[]) => {
    const texts: string[] = [];
    for (let i = 0; i < reqs.length; i += batch) {
      const chunk: SampleRequest[] = reqs.slice(i, i + batch).map((r) => ({
        prompt: tok.encode(r.context), maxTokens: o.maxTokens, temperature: r.temperature, seed: r.seed, stop: o.stop?.(r.task),
      }));
      texts.push(...(await m.sample(chunk)).map((c) => c.text));
    }
    return texts;
  };
  const own = await run(student, [
    ...tasks.map((t, i) => ({ context: t.prompt, task: t, temperature: 1, seed: seedOf(seed, i, 0) })),
    ...tasks.map((t, i) => ({ context: t.prompt, task: t, temperature: 0, seed: seedOf(seed, i, 1) })),
  ]);
  const sampled: Outcome[] = await Promise.all(tasks.map((t, i) => env.evaluate(t, own[i])));
  const greedy = await Promise.all(tasks.map(async (t, i) => (await env.evaluate(t, own[tasks.length + i])).correct));
  const contexts: Record<string, ContextProbe> = {};
  for (const [k, kind] of o.contexts.entries()) {
    const texts = await run(teacher, tasks.map((t, i) => ({
      context: buildTeacherContext(kind, { task: t, completion: own[i], outcome: sampled[i], group: [{ completion: own[i], outcome: sampled[i] }] }),
      task: t, temperature: 0, seed: seedOf(seed, i, 10 + k),
    })));
    const ok = await Promise.all(tasks.map(async (t, i) => (await env.evaluate(t, texts[i])).correct));
    contexts[kind] = {
      teacherGreedy: mean(ok),
      fixRate: mean(ok.filter((_, i) => !sampled[i].correct)),
      keepRate: mean(ok.filter((_, i) => sampled[i].correct)),
    };
  }
  return {
    n: tasks.length, studentGreedy: mean(greedy), studentSampled: mean(sampled.map((s) => s.correct)),
    nWrong: sampled.filter((s) => !s.correct).length, contexts,
  };
}
