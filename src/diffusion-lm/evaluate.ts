/**
 * Accuracy of a diffusion LM on a fixed list of tasks: each task sampled `samples` times with
 * Gumbel temperature `temperature` (and once greedily), checked by the env. Rows match the
 * eval.jsonl rows of autoregressive runs (docs/run-folder.md), so `distil report` reads them.
 */
import { createMathEnv } from '../envs/math/index.ts';
import type { Env, Task } from '../envs/types.ts';
import type { Tokenizer } from '../models/tokenizer.ts';
import { stderr } from '../report/stats.ts';
import { Rng } from '../util/rng.ts';
import { completionText, encodePrompt } from './encode.ts';
import { loadDlm } from './model.ts';
import { sampleDlm, transformerDenoiser, type Denoiser, type SampleShape } from './sampler.ts';

export interface DlmEvalSettings extends SampleShape {
  promptLength: number;
  maskId: number;
  samples: number;
  temperature: number;
  /** Sequences per sampler call. */
  batch: number;
  seed: number;
}

export interface DlmEval {
  n: number;
  samples: number;
  accuracy: number;
  greedy: number;
  /** Standard errors over prompts (a prompt's sampled score is its share of correct samples). */
  accuracy_se: number;
  greedy_se: number;
  /** Of the correct sampled completions, the share whose work has a mistake (right answer by luck; envs that grade the work only). */
  correct_flawed_work: number;
  by_level: Record<string, { n: number; accuracy: number; greedy: number }>;
}

/** Sample completions for tasks (any levels: prompts share one padded width), in batches. */
export function sampleTasks(denoise: Denoiser, tok: Tokenizer, tasks: Task[], s: DlmEvalSettings, temperature: number, rng: Rng, keepStates = false) {
  const prompts = tasks.map((t) => encodePrompt(tok, t.prompt, s.promptLength));
  const out = [];
  for (let i = 0; i < prompts.length; i += s.batch)
    out.push(...sampleDlm(denoise, prompts.slice(i, i + s.batch), { ...s, eosId: tok.eosId!, temperature, keepStates }, rng));
  return out;
}

export async function evaluateDlm(denoise: Denoiser, tok: Tokenizer, env: Env, tasks: Task[], s: DlmEvalSettings): Promise<DlmEval> {
  const rng = new Rng(s.seed);
  const rep = tasks.flatMap((t) => Array.from({ length: s.samples }, () => t));
  const sampled = sampleTasks(denoise, tok, rep, s, s.temperature, rng);
  const greedy = sampleTasks(denoise, tok, tasks, s, 0, rng);
  const lv: Record<string, { n: number; correct: number; samples: number; greedy: number }> = {};
  let correct = 0, greedyCorrect = 0;
  const perPrompt = new Float64Array(tasks.length), greedyPerPrompt = new Float64Array(tasks.length);
  let flawed = 0;
  for (let i = 0; i < rep.length; i++) {
    const out = await env.evaluate(rep[i], completionText(tok, sampled[i].final.subarray(s.promptLength)));
    const l = (lv[rep[i].level] ??= { n: 0, correct: 0, samples: 0, greedy: 0 });
    l.samples++;
    if (out.correct) (correct++, l.correct++, (perPrompt[Math.floor(i / s.samples)] += 1 / s.samples));
    if (out.correct && out.components?.work === 0) flawed++;
  }
  for (let i = 0; i < tasks.length; i++) {
    const ok = (await env.evaluate(tasks[i], completionText(tok, greedy[i].final.subarray(s.promptLength)))).correct;
    (lv[tasks[i].level] ??= { n: 0, correct: 0, samples: 0, greedy: 0 }).n++;
    if (ok) (greedyCorrect++, lv[tasks[i].level].greedy++, (greedyPerPrompt[i] = 1));
  }
  const by_level = Object.fromEntries(Object.entries(lv).map(([k, l]) => [k, { n: l.n, accuracy: l.correct / Math.max(1, l.samples), greedy: l.greedy / l.n }]));
  return {
    n: tasks.length, samples: s.samples, accuracy: correct / Math.max(1, rep.length), greedy: greedyCorrect / Math.max(1, tasks.length),
    accuracy_se: standardError(perPrompt), greedy_se: standardError(greedyPerPrompt), correct_flawed_work: flawed / Math.max(1, correct), by_level,
  };
}

/** The report's standard error of the mean (report/stats.ts), but 0 below two values: an eval row stays plain JSON. */
export function standardError(xs: ArrayLike<number>): number {
  return xs.length < 2 ? 0 : stderr(Array.from(xs));
}

/** The RL trainer's eval prompts: perLevel prompts of each level from split, drawn with one fixed seed. */
export function dlmEvalTasks(env: Env, split: 'test' | 'val', levels: number[], perLevel: number): Task[] {
  return levels.flatMap((level) => env.tasks(split, perLevel, 11, { levels: [level] }));
}

/** Seed of the sampled completions of the RL trainer's eval. */
export const DLM_EVAL_SEED = 20261205;

/** `distil dlm eval`: a model folder's accuracy on the trainer's eval prompts with the trainer's sampling seed. */
export async function evaluateDlmCheckpoint(dir: string, o: { levels: number[]; perLevel: number; samples: number; temperature: number; split: 'test' | 'val' }) {
  const l = loadDlm(dir), env = createMathEnv();
  const settings: DlmEvalSettings = { ...l.dlm, maskId: l.maskId, samples: o.samples, temperature: o.temperature, batch: 64, seed: DLM_EVAL_SEED };
  const ev = await evaluateDlm(transformerDenoiser(l.model), l.tokenizer, env, dlmEvalTasks(env, o.split, o.levels, o.perLevel), settings);
  return { checkpoint: dir, split: o.split, levels: o.levels, temperature: o.temperature, ...ev };
}
