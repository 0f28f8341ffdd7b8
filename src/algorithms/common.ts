/** Small pieces every algorithm uses to turn rollouts into per-token arrays. */
import type { PerToken, TrainBatch } from '../backends/types.ts';
import type { Aggregation, LossTerm } from '../losses/spec.ts';
import type { BuiltLoss, Rollout, StepData, TeacherKind } from './types.ts';
import { teacherContextKinds } from '../feedback/contexts.ts';
import type { OptionSpec } from '../util/schema.ts';

export function batchOf(rollouts: Rollout[]): TrainBatch {
  return { sequences: rollouts.map((r) => ({ prompt: r.prompt, completion: r.tokens })) };
}

export function perToken(rollouts: Rollout[], value: number): PerToken {
  return rollouts.map((r) => new Float32Array(r.tokens.length).fill(value));
}

/**
 * The clipped policy-gradient term of the GRPO family (grpo, delta, setpg, exprl, rlif, opd): the given per-token
 * advantages against the sampler's log-probs. Callers add what is theirs (a KL anchor, KL-Cov).
 */
export function clippedPolicyGradient(
  rollouts: Rollout[], advantages: PerToken, o: { clipLow: number; clipHigh: number; aggregation: Aggregation },
): Extract<LossTerm, { kind: 'policyGradient' }> {
  return { kind: 'policyGradient', weight: 1, advantages, logpOld: rollouts.map((r) => r.logprobs), clipLow: o.clipLow, clipHigh: o.clipHigh, aggregation: o.aggregation };
}

/** 1 on the tokens a loss toward a teacher's distribution trains, 0 on the rest of a stop string (Rollout.stopTail). */
export function teacherTokenWeights(r: Rollout): Float32Array {
  const w = new Float32Array(r.tokens.length).fill(1);
  if (r.stopTail !== undefined) w.fill(0, r.stopTail);
  return w;
}

/**
 * The whole update of the GRPO family (grpo, delta, setpg, exprl): the clipped policy gradient on
 * the given per-token advantages plus, when klBeta > 0, the k3 KL anchor to the initial policy.
 * Null when every advantage is 0 and there is no anchor: such a batch carries no signal.
 */
export function anchoredPolicyGradient(
  step: StepData, advantages: PerToken, o: { clipLow: number; clipHigh: number; aggregation: Aggregation; klBeta: number }, metrics: Record<string, number>,
): BuiltLoss | null {
  if (o.klBeta === 0 && advantages.every((a) => a.every((x) => x === 0))) return null;
  const rs = step.rollouts;
  return {
    batch: batchOf(rs),
    loss: {
      terms: [{
        ...clippedPolicyGradient(rs, advantages, o),
        klBeta: o.klBeta || undefined,
        logpRef: o.klBeta > 0 ? step.refLogprobs : undefined,
      }],
    },
    metrics,
  };
}

export function groupsOf(rollouts: Rollout[]): number[] {
  return rollouts.map((r) => r.group);
}

export function rewardsOf(rollouts: Rollout[]): number[] {
  return rollouts.map((r) => r.outcome.reward);
}

/** The teacher's top-k ids and probabilities per rollout, checked against the completions. */
export function teacherTargets(step: StepData, k: number, algo: string): { targetIds: Int32Array[]; targetProbs: Float32Array[] } {
  if (!step.teacher || step.teacher.length !== step.rollouts.length) {
    throw new Error(`${algo}: the trainer gave no teacher scores for this step (the algorithm declares a teacher; this is a bug in the caller)`);
  }
  const targetIds: Int32Array[] = [], targetProbs: Float32Array[] = [];
  step.teacher.forEach((t, i) => {
    const T = step.rollouts[i].tokens.length;
    const s = t.scored;
    if (s.k !== k || !s.topIds || !s.topProbs || s.topIds.length !== T * k) {
      throw new Error(`${algo}: teacher scores of rollout ${i} have k=${s.k} and ${s.topIds?.length ?? 0} ids; expected k=${k} over ${T} tokens`);
    }
    targetIds.push(s.topIds);
    targetProbs.push(s.topProbs);
  });
  return { targetIds, targetProbs };
}

export type TokenSelection = 'all' | 'confident' | 'feedback' | 'confident_feedback';
export const TOKEN_SELECTIONS: readonly TokenSelection[] = ['all', 'confident', 'feedback', 'confident_feedback'];

/**
 * Which completion tokens distillation trains on (1) or skips (0) — the stability
 * options. 'confident': the teacher's top probability beats the student's (at sampling time)
 * by `margin` (with `against` 'token': beats the student's probability of the teacher's top
 * token, so a confidently wrong student does not hide a confident teacher); 'feedback':
 * positions from the feedback's first flagged location on (a correct completion, with nothing
 * flagged, is kept whole only under 'all' or 'confident'). The rest of a stop string is never
 * kept (teacherTokenWeights).
 */
export function selectTokens(step: StepData, mode: TokenSelection, margin: number, k: number, against: 'top' | 'token' = 'top'): { weights: PerToken; kept: number; total: number } {
  let kept = 0, total = 0;
  const weights = step.rollouts.map((r, i) => {
    const T = r.tokens.length;
    const w = teacherTokenWeights(r);
    if (mode === 'confident' || mode === 'confident_feedback') {
      const probs = step.teacher?.[i]?.scored.topProbs;
      if (!probs) throw new Error(`token selection '${mode}' needs teacher scores`);
      if (!r.maxLogprobs) throw new Error(`token selection '${mode}' needs the sampler's confidence (maxLogprobs); this backend does not report it`);
      const ids = step.teacher![i].scored.topIds!;
      for (let t = 0; t < T; t++) {
        // 'token': the student's probability of the teacher's top token, known exactly when it
        // is the sampled token, else bounded by min(student's top, 1 - sampled token's).
        const pSampled = Math.exp(r.logprobs[t]), pTop = Math.exp(r.maxLogprobs[t]);
        const student = against === 'top' ? pTop : ids[t * k] === r.tokens[t] ? pSampled : Math.min(pTop, 1 - pSampled);
        if (!(probs[t * k] > student + margin)) w[t] = 0;
      }
    }
    if (mode === 'feedback' || mode === 'confident_feedback') {
      const start = step.feedbackStarts?.[i] ?? Infinity;
      for (let t = 0; t < T && t < start; t++) w[t] = 0;
    }
    for (let t = 0; t < T; t++) kept += w[t];
    total += T;
    return w;
  });
  return { weights, kept, total };
}

/** Option specs shared by the algorithms that learn from a teacher's distribution. */
export function teacherOptions(defaults: { teacher: TeacherKind; context: string }) {
  return {
    topK: { type: 'number', default: 64, min: 1, integer: true, help: 'teacher top-k kept per position' },
    support: { type: 'enum', values: ['tail', 'renorm', 'full'], default: 'tail', help: 'how the top-k support is closed' },
    teacher: { type: 'enum', values: ['ema', 'frozen', 'live', 'external', 'expert'], default: defaults.teacher, help: 'which model teaches' },
    emaRate: { type: 'number', default: 0.05, min: 0, max: 1, help: 'EMA teacher rate' },
    context: { type: 'string', default: defaults.context, oneOf: teacherContextKinds, help: 'teacher context: binary | reference | feedback | critique | peer' },
  } as const satisfies Record<string, OptionSpec>;
}
