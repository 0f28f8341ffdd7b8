/**
 * Accuracy of a diffusion LM on a fixed list of tasks: each task sampled `samples` times with
 * Gumbel temperature `temperature` (and once greedily), checked by the env. Rows match the
 * eval.jsonl rows of autoregressive runs (docs/run-folder.md), so `distil report` reads them.
 */
import type { Env, Task } from '../envs/types.ts';
import type { Tokenizer } from '../models/tokenizer.ts';
import { Rng } from '../util/rng.ts';
import { completionText, encodePrompt } from './encode.ts';
import { sampleDlm, type Denoiser, type SampleShape } from './sampler.ts';

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
  for (let i = 0; i < rep.length; i++) {
    const ok = (await env.evaluate(rep[i], completionText(tok, sampled[i].final.subarray(s.promptLength)))).correct;
    const l = (lv[rep[i].level] ??= { n: 0, correct: 0, samples: 0, greedy: 0 });
    l.samples++;
    if (ok) (correct++, l.correct++);
  }
  for (let i = 0; i < tasks.length; i++) {
    const ok = (await env.evaluate(tasks[i], completionText(tok, greedy[i].final.subarray(s.promptLength)))).correct;
    lv[tasks[i].level].n++;
    if (ok) (greedyCorrect++, lv[tasks[i].level].greedy++);
  }
  const by_level = Object.fromEntries(Object.entries(lv).map(([k, l]) => [k, { n: l.n, accuracy: l.correct / l.samples, greedy: l.greedy / l.n }]));
  return { n: tasks.length, samples: s.samples, accuracy: correct / Math.max(1, rep.length), greedy: greedyCorrect / Math.max(1, tasks.length), by_level };
}
