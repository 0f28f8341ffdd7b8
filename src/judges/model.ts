/**
 * A model as judge: any TextSampler (a local model folder, or an OpenAI-compatible server)
 * is shown a rubric, the problem, the hidden reference and the student's work, and answers
 * with a line `Score: N`. It decodes greedily, so a step's judgements are reproducible. What
 * it writes is read by parseJudgeScore; an answer without a readable 1-5 score gives
 * score null, which the caller counts, logs and scores lowest.
 */
import type { SampleRequest, TextSampler } from '../inference/types.ts';
import type { Judge, JudgeRequest, JudgeView, Verdict } from './types.ts';

const VIEW_TEXT: Record<JudgeView, string> = {
  completion: 'the complete attempt',
  prefix: 'the beginning of an attempt (it may stop before the answer)',
  segment: 'one step of an attempt, without the steps before it',
};

/**
 * The rubric (in this project's words): verify against the reference, do not solve. Slots:
 * {problem} {reference} {attempt} {view}.
 */
export const DEFAULT_JUDGE_TEMPLATE = `You grade a student's work against a reference solution. Do not solve the problem yourself: check the work against the reference.
Below is {view}.
Score 5: it follows a correct path to the reference's answer, with no mistake so far.
Score 4: correct so far and useful, with small gaps.
Score 3: plausible but vague or only loosely connected to the reference.
Score 2: mostly irrelevant, or depends on claims that are not shown.
Score 1: it contradicts the reference or heads the wrong way.

Problem:
{problem}

Reference solution:
{reference}

Student's work:
{attempt}

End with one line "Score: N" (N from 1 to 5).
`;

export interface ModelJudgeOptions {
  template?: string;
  /** Tokens the judge may write (default 256). */
  maxTokens?: number;
  /** Stop strings for the judge's answer. */
  stop?: string[];
}

/**
 * The last `Score: N` (N in 1-5; "Score", "score =", bold markers and brackets allowed) in
 * the judge's answer; else an answer that is only the digit; else null.
 */
export function parseJudgeScore(text: string): number | null {
  const re = /score\s*[*_]*\s*[:=]?\s*[*_]*\s*\[?\s*([1-5])(?![\d]|\.\d)/gi;
  let last: number | null = null;
  for (const m of text.matchAll(re)) last = Number(m[1]);
  if (last !== null) return last;
  const bare = /^\s*\[?([1-5])\]?\.?\s*$/.exec(text);
  return bare ? Number(bare[1]) : null;
}

export function fillJudgeTemplate(template: string, r: JudgeRequest): string {
  const slots: Record<string, string> = { problem: r.task.prompt.trim(), reference: r.task.reference ?? '', attempt: r.text, view: VIEW_TEXT[r.view] };
  return template.replace(/\{(problem|reference|attempt|view)\}/g, (_, k: string) => slots[k]);
}

export function modelJudge(sampler: TextSampler, tokenizer: { encode(s: string): number[] }, o: ModelJudgeOptions = {}, name = 'model'): Judge {
  const template = o.template || DEFAULT_JUDGE_TEMPLATE;
  for (const slot of ['{reference}', '{attempt}']) {
    if (!template.includes(slot)) throw new Error(`judge template: it has no ${slot} slot; a judge must see the reference and the work (slots: {problem} {reference} {attempt} {view})`);
  }
  return {
    name,
    async judge(reqs: JudgeRequest[]): Promise<Verdict[]> {
      if (reqs.length === 0) return [];
      for (const r of reqs) {
        if (r.task.reference === undefined) throw new Error(`model judge: task ${r.task.id} has no reference solution; the judge compares the work with it`);
      }
      const sampleReqs: SampleRequest[] = reqs.map((r) => ({
        prompt: tokenizer.encode(fillJudgeTemplate(template, r)), maxTokens: o.maxTokens ?? 256, temperature: 0, stop: o.stop?.length ? o.stop : undefined,
      }));
      const out = await sampler.sample(sampleReqs);
      return out.map((c) => ({ score: parseJudgeScore(c.text), raw: c.text }));
    },
  };
}
