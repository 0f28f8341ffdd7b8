/**
 * ExpRL's rewards from judge scores (docs/exprl.md): pure functions, no judge here.
 *
 * A 1-5 score s~ becomes s = (s~ - 1) / 4 in [0, 1].
 * Outcome mode: s of the whole completion is the reward, normalised within the group (GRPO).
 * Process mode: with s_1..s_T the scores of the completion's T segments, segment t's tokens
 *   carry A_t = s_t - s_{t-1} for t > 1 (the last segment included) and A_1 = s_1 - s_T, so
 *   the advantages of a completion sum to 0. This is how the authors' trainer credits them:
 *   it subtracts each score from the next and, at the last segment, takes its score off the
 *   first. With one segment their bookkeeping leaves A_1 = s_1 (it writes the first segment
 *   after the subtraction), which we keep. No group normalisation in process mode.
 * Over-length: a completion cut by the length limit gets 0 everywhere, in both modes.
 */

export function likertReward(score: number): number {
  if (!(score >= 1 && score <= 5)) throw new Error(`judge score ${score} is outside 1-5`);
  return (score - 1) / 4;
}

/** Per-segment advantages from per-segment rewards (in [0, 1]). */
export function processAdvantages(s: readonly number[]): Float64Array {
  const T = s.length;
  if (T === 0) throw new Error('processAdvantages: a completion has at least one segment');
  const a = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    if (!Number.isFinite(s[t])) throw new Error(`processAdvantages: segment ${t} reward ${s[t]} is not finite`);
    a[t] = t === 0 ? s[0] : s[t] - s[t - 1];
  }
  if (T > 1) a[0] -= s[T - 1];
  return a;
}

/** Each token gets its segment's advantage. */
export function segmentAdvantagesToTokens(segmentOfToken: ArrayLike<number>, perSegment: ArrayLike<number>): Float32Array {
  const out = new Float32Array(segmentOfToken.length);
  for (let t = 0; t < out.length; t++) {
    const j = segmentOfToken[t];
    if (!(j >= 0 && j < perSegment.length)) throw new Error(`segmentAdvantagesToTokens: token ${t} is in segment ${j}, but there are ${perSegment.length}`);
    out[t] = perSegment[j];
  }
  return out;
}
