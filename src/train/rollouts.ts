/**
 * One step's data: sample G completions per task, let the env check them, and (when the
 * algorithm wants a teacher) build each teacher context and have the teacher score the
 * student's tokens after it.
 */
import type { PolicyBackend } from '../backends/types.ts';
import type { Rollout, TeacherScores } from '../algorithms/types.ts';
import type { Env, Task } from '../envs/types.ts';
import { buildTeacherContext } from '../feedback/contexts.ts';
import type { Tokenizer } from '../models/tokenizer.ts';
import type { Teacher } from '../teachers/types.ts';

export interface SamplingSettings {
  groupSize: number;
  maxTokens: number;
  temperature: number;
  topP: number;
  /** Stop strings besides end-of-sequence. */
  stop?: string[];
  /** Request i gets seed seedBase + i, so results do not depend on batching. */
  seedBase: number;
  /** Rows per sampling call (bounds the KV cache). */
  maxBatch?: number;
  /** DAgger roll-in from a local teacher shown each task's context. */
  rollIn?: { teacher: PolicyBackend; context: (task: Task) => string; beta: number };
}

export async function collectRollouts(policy: PolicyBackend, env: Env, tokenizer: Tokenizer, tasks: Task[], s: SamplingSettings): Promise<Rollout[]> {
  const prompts = tasks.map((t) => tokenizer.encode(t.prompt));
  const reqs = tasks.flatMap((_, g) =>
    Array.from({ length: s.groupSize }, (_, j) => ({
      prompt: prompts[g], maxTokens: s.maxTokens, temperature: s.temperature, topP: s.topP, seed: s.seedBase + g * s.groupSize + j,
      stop: s.stop?.length ? s.stop : undefined,
    })),
  );
  const completions = [];
  const chunk = s.maxBatch ?? 256;
  const teacherPrompts = s.rollIn ? tasks.flatMap((t) => Array.from({ length: s.groupSize }, () => tokenizer.encode(s.rollIn!.context(t)))) : null;
  for (let i = 0; i < reqs.length; i += chunk) {
    const part = reqs.slice(i, i + chunk);
    if (s.rollIn && teacherPrompts) {
      if (!policy.sampleWithRollIn) throw new Error('roll-in needs a student that samples token by token with its teacher (a local model); this backend cannot');
      completions.push(...(await policy.sampleWithRollIn(part, s.rollIn.teacher, teacherPrompts.slice(i, i + chunk), s.rollIn.beta)));
    } else completions.push(...(await policy.sample(part)));
  }
  const outcomes = await Promise.all(completions.map((c, i) => env.evaluate(tasks[Math.floor(i / s.groupSize)], c.text)));
  return completions.map((c, i) => {
    const g = Math.floor(i / s.groupSize);
    return {
      task: tasks[g], group: g, prompt: prompts[g], tokens: c.tokens, text: c.text,
      logprobs: c.logprobs, maxLogprobs: c.maxLogprobs, selfCertainty: c.selfCertainty, outcome: outcomes[i],
      ...(c.stopReason === 'length' ? { truncated: true } : {}),
      ...stopTailOf(c, tokenizer),
    };
  });
}

/**
 * Where the rest of a stop string starts in a completion's tokens (Rollout.stopTail): after the
 * first token whose decoding reaches past the text. None when the completion ended at an
 * end-of-sequence token or at the length limit, or when the stop string is one token.
 */
export function stopTailOf(c: { tokens: number[]; text: string; stopReason: string }, tokenizer: Pick<Tokenizer, 'decode' | 'vocabSize'>): { stopTail?: number } {
  if (c.stopReason !== 'stop' || c.tokens.length === 0) return {};
  const T = c.tokens.length;
  if (decodeKnown(tokenizer, c.tokens).length <= c.text.length) return {}; // ended at an end-of-sequence token
  // The first prefix that decodes past the text (decoded length grows with the prefix).
  let lo = 1, hi = T;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (decodeKnown(tokenizer, c.tokens.slice(0, mid)).length > c.text.length) hi = mid;
    else lo = mid + 1;
  }
  return lo < T ? { stopTail: lo } : {};
}

/** Ids past the tokenizer (a model's padded vocabulary) have no text, as in the sampled text. */
function decodeKnown(tokenizer: Pick<Tokenizer, 'decode' | 'vocabSize'>, ids: number[]): string {
  return tokenizer.decode(ids.filter((id) => id < tokenizer.vocabSize));
}

/** Rollouts made from the tasks' reference solutions (offline algorithms such as SFT). */
export function referenceRollouts(env: Env, tokenizer: Tokenizer, tasks: Task[]): Rollout[] {
  return tasks.map((task, g) => {
    if (task.reference === undefined) throw new Error(`env ${env.name}: task ${task.id} has no reference solution, so it cannot be used for SFT`);
    const tokens = [...tokenizer.encode(task.reference), tokenizer.eosId];
    return {
      task, group: g, prompt: tokenizer.encode(task.prompt), tokens, text: task.reference,
      logprobs: new Float32Array(tokens.length), outcome: { reward: 1, correct: true, feedback: { summary: 'reference', items: [] } },
    };
  });
}

export async function teacherScores(teacher: Teacher, tokenizer: Tokenizer, rollouts: Rollout[], context: string, topK: number): Promise<TeacherScores[]> {
  const groups = new Map<number, Rollout[]>();
  for (const r of rollouts) groups.set(r.group, [...(groups.get(r.group) ?? []), r]);
  const contexts = rollouts.map((r) =>
    buildTeacherContext(context, {
      task: r.task, completion: r.text, outcome: r.outcome,
      group: groups.get(r.group)!.map((x) => ({ completion: x.text, outcome: x.outcome })),
    }),
  );
  const contextTokens = contexts.map((c) => tokenizer.encode(c));
  const scored = await teacher.score(rollouts.map((r, i) => ({ task: r.task, context: contexts[i], contextTokens: contextTokens[i], completion: r.tokens, topK })));
  return scored.map((s, i) => ({ context: contexts[i], contextTokens: contextTokens[i], scored: s }));
}

/**
 * Token index at which the first located feedback item starts (Infinity when nothing is
 * located): what the 'feedback' token selection trains from.
 */
export function feedbackStart(r: Rollout, tokenizer: Tokenizer): number {
  const span = r.outcome.feedback.items.find((it) => it.where?.span)?.where?.span;
  if (!span) return r.outcome.correct ? Infinity : 0;
  const at = span[0];
  for (let t = 0; t < r.tokens.length; t++) {
    if (decodeKnown(tokenizer, r.tokens.slice(0, t + 1)).length > at) return t;
  }
  return r.tokens.length;
}
