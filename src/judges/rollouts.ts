/**
 * Judging a step's rollouts: one request per completion (outcome), or one per segment
 * (process: each prefix, or each segment alone), and the token-to-segment map the process
 * advantages are spread with. Unreadable verdicts are scored lowest and counted.
 */
import type { Task } from '../envs/types.ts';
import type { Tokenizer } from '../models/tokenizer.ts';
import { lineSegmentEnds, tokenSegments } from './segments.ts';
import { LOWEST_SCORE, type Judge, type JudgedRollout, type JudgeRequest, type JudgeView, type StepJudgements } from './types.ts';

/** What judging needs of a rollout. */
export interface JudgedText {
  task: Task;
  text: string;
  tokens: readonly number[];
}

export async function judgeRollouts(judge: Judge, rollouts: readonly JudgedText[], view: JudgeView, tokenizer: Tokenizer): Promise<StepJudgements> {
  const reqs: JudgeRequest[] = [];
  const owner: number[] = [];
  const segmentMaps: (Int32Array | undefined)[] = [];
  rollouts.forEach((r, i) => {
    if (view === 'completion') {
      reqs.push({ task: r.task, text: r.text, view, segment: 0, segments: 1 });
      owner.push(i);
      segmentMaps.push(undefined);
      return;
    }
    const ends = lineSegmentEnds(r.text);
    ends.forEach((end, j) => {
      const text = view === 'prefix' ? r.text.slice(0, end) : r.text.slice(j ? ends[j - 1] : 0, end);
      reqs.push({ task: r.task, text, view, segment: j, segments: ends.length });
      owner.push(i);
    });
    segmentMaps.push(tokenSegments(r.tokens, ends, tokenizer));
  });
  const verdicts = await judge.judge(reqs);
  if (verdicts.length !== reqs.length) throw new Error(`judge ${judge.name} returned ${verdicts.length} verdicts for ${reqs.length} requests`);
  const out: JudgedRollout[] = rollouts.map((_, i) => ({ scores: [], segmentOfToken: segmentMaps[i] }));
  let unreadable = 0;
  let example: string | undefined;
  verdicts.forEach((v, k) => {
    const ok = v.score !== null && Number.isInteger(v.score) && v.score >= 1 && v.score <= 5;
    if (!ok) {
      unreadable++;
      example ??= v.raw ?? String(v.score);
    }
    out[owner[k]].scores.push(ok ? v.score! : LOWEST_SCORE);
  });
  return { view, rollouts: out, requests: reqs.length, unreadable, example };
}
