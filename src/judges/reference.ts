/**
 * Programmatic judges: the env's own checker compares the work with the task's hidden
 * reference, so no model is needed and the scores are exact.
 *
 * 'steps' (partial progress along the reference): a correct completion with no flagged step
 *   scores 5; otherwise
 *   s = min(4, 1 + round(4 k / N)), k = the correct steps before the first one the env's
 *   feedback flags (FeedbackItem.where.step), N = the reference's steps (its lines before the
 *   answer line). With no step flagged, k / N is the env's 'work' channel
 *   when it has one (math: 1 when every step so far is right), else the reward (the code env:
 *   the share of tests passed). A prefix is judged as a completion cut short, so its score
 *   grows with the correct steps it holds. A segment alone is judged in the reference's
 *   context: the reference's first `segment` lines followed by the segment, 5 when the env
 *   flags nothing before the step after it, else 1.
 * 'answer' (final answer only): 5 when the env says the work is correct, else 1. As an ExpRL
 *   outcome reward, (s - 1) / 4 is then the env's 0/1 correctness, and ExpRL is GRPO.
 */
import type { Env, Outcome, Task } from '../envs/types.ts';
import { completionLines } from '../envs/math/lines.ts';
import type { Judge, JudgeRequest, Verdict } from './types.ts';

/** Steps of the reference solution: its non-empty lines before the last (the answer line). */
export function referenceSteps(task: Task): number {
  if (task.reference === undefined) throw new Error(`step judge: task ${task.id} has no reference solution to judge against; use an env whose tasks carry one, or judge=model with your own references`);
  return Math.max(completionLines(task.reference).length - 1, 1);
}

/** The index of the first step the feedback flags (undefined when it flags none). */
function firstFlaggedStep(o: Outcome): number | undefined {
  return o.feedback.items.find((it) => it.where?.step !== undefined)?.where?.step;
}

/** 1-5 from an outcome: 5 when correct, else the share of reference steps done right before the first flagged one. */
export function progressScore(task: Task, o: Outcome): number {
  const k = firstFlaggedStep(o);
  // A right answer reached through a flagged step is not the reference's path: partial credit.
  if (o.correct && k === undefined) return 5;
  // No step flagged: flawless work so far when the env says so (math's 'work' channel), else the reward.
  const progress = k === undefined ? (o.components?.work ?? o.reward) : k / referenceSteps(task);
  return Math.min(4, 1 + Math.round(4 * Math.min(Math.max(progress, 0), 1)));
}

export function stepJudge(env: Env): Judge {
  const one = async (r: JudgeRequest): Promise<Verdict> => {
    if (r.view !== 'segment') return { score: progressScore(r.task, await env.evaluate(r.task, r.text)) };
    const ref = completionLines(r.task.reference ?? '').map((l) => l.text);
    if (r.task.reference === undefined) referenceSteps(r.task); // throws the clear error
    if (r.segment >= ref.length || !r.text.trim()) return { score: 1 };
    const o = await env.evaluate(r.task, [...ref.slice(0, r.segment), r.text.trim()].join('\n'));
    const k = firstFlaggedStep(o);
    return { score: (o.correct && k === undefined) || (k !== undefined && k > r.segment) ? 5 : 1 };
  };
  return { name: `steps(${env.name})`, judge: (reqs) => Promise.all(reqs.map(one)) };
}

export function answerJudge(env: Env): Judge {
  return {
    name: `answer(${env.name})`,
    judge: (reqs) => Promise.all(reqs.map(async (r) => ({ score: (await env.evaluate(r.task, r.text)).correct ? 5 : 1 }))),
  };
}
