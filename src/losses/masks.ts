/**
 * Token-selection masks for DistIL's stability (METHODS.md; TINY_SETTING.md): training on
 * every token, or only where teacher and student disagree, slowly harmed a model that was
 * already right, because the disagreeing tokens were mostly ones where the teacher was LESS
 * sure than the student. Each mask is a row-aligned 0/1 Float32Array, so masks compose with
 * each other and with aggregation weights by elementwise product (aggregation.ts,
 * combineWeights), or can be passed as the `masks` of aggregationWeights.
 */
import type { LogitsBlock, Support, TopKTargets } from './types.ts';
import { checkBlock, fail } from './common.ts';
import { checkTargets } from './support.ts';
import { rowArgmax, rowMaxProb } from './metrics.ts';
import { rowCrossEntropies } from './soft-cross-entropy.ts';

/** Teacher's most likely listed token and its probability per row (ties: first listed). */
function teacherTop(targets: TopKTargets, N: number): { id: Int32Array; prob: Float64Array } {
  const id = new Int32Array(N), prob = new Float64Array(N);
  const { k, ids, probs } = targets;
  for (let r = 0; r < N; r++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (probs[r * k + j] > probs[r * k + best]) best = j;
    id[r] = ids[r * k + best];
    prob[r] = probs[r * k + best];
  }
  return { id, prob };
}

/** 1 where the teacher is more confident than the student: max q > max p + margin. */
export function confidenceMask(block: LogitsBlock, targets: TopKTargets, margin = 0): Float32Array {
  checkBlock('confidenceMask', block);
  checkTargets('confidenceMask', block, targets, 'tail');
  if (!Number.isFinite(margin)) fail('confidenceMask', `margin must be finite, got ${margin}`);
  const pMax = rowMaxProb(block);
  const t = teacherTop(targets, block.N);
  return Float32Array.from(pMax, (p, r) => (t.prob[r] > p + margin ? 1 : 0));
}

/** 1 where the teacher's top token differs from the student's argmax. */
export function disagreementMask(block: LogitsBlock, targets: TopKTargets): Float32Array {
  checkBlock('disagreementMask', block);
  checkTargets('disagreementMask', block, targets, 'tail');
  const a = rowArgmax(block);
  const t = teacherTop(targets, block.N);
  return Float32Array.from(a, (s, r) => (s !== t.id[r] ? 1 : 0));
}

/** 1 where KL(q~ || p~) over the closed support exceeds minKl (skip tokens already matched). */
export function klMask(block: LogitsBlock, targets: TopKTargets, minKl: number, support: Support = 'tail'): Float32Array {
  if (!(minKl >= 0)) fail('klMask', `minKl must be >= 0, got ${minKl}`);
  const { kl } = rowCrossEntropies(block, targets, support);
  return Float32Array.from(kl, (x) => (x > minKl ? 1 : 0));
}

/**
 * Where the feedback applies: 1 at positions t >= starts[i] of sequence i (the flagged step
 * and everything after it), flattened sequence after sequence. starts[i] <= 0 keeps the whole
 * sequence; starts[i] >= lengths[i] (or Infinity, "the feedback locates nothing here") keeps none.
 */
export function feedbackMask(lengths: ArrayLike<number>, starts: ArrayLike<number>): Float32Array {
  if (starts.length !== lengths.length) fail('feedbackMask', `starts has ${starts.length} entries, lengths has ${lengths.length}`);
  let total = 0;
  for (let i = 0; i < lengths.length; i++) {
    if (!Number.isInteger(lengths[i]) || lengths[i] < 0) fail('feedbackMask', `lengths[${i}] = ${lengths[i]} is not a non-negative integer`);
    if (Number.isNaN(starts[i])) fail('feedbackMask', `starts[${i}] is NaN`);
    total += lengths[i];
  }
  const out = new Float32Array(total);
  let o = 0;
  for (let i = 0; i < lengths.length; i++) for (let t = 0; t < lengths[i]; t++) out[o++] = t >= starts[i] ? 1 : 0;
  return out;
}
