/**
 * d-OPSD's divergence, as the authors' code computes it (beta = 1 of TRL's generalised JSD):
 * at each supervised position, restrict both distributions to the teacher's top-k ids and
 * renormalise them there (student q, teacher p), take the reverse-KL terms
 *   e_j = q_j (log q_j - log p_j),  j in top-k,
 * clip each term at `clip` (a pointwise clamp: a clipped term contributes `clip` and no
 * gradient), sum, and multiply by `scale` (1 / number of states, times 0 for an incorrect
 * trajectory). Returns the value, dLoss/dStudentLogits (teacher logits are constants) and the
 * share of clipped terms.
 *
 *   d/dz_i sum_j min(e_j, c) = q_i (a_i - sum_j a_j q_j),  a_j = (log q_j - log p_j + 1) [e_j <= c]
 */
export interface ClippedKlResult {
  loss: number;
  /** [N, V]: zero outside each row's top-k ids. */
  dStudent: Float32Array;
  clipFrac: number;
}

/** Ids of the k largest entries of a row, largest first (ties: lower id). */
export function topKIds(row: ArrayLike<number>, k: number): number[] {
  const ids = Array.from({ length: row.length }, (_, i) => i);
  ids.sort((a, b) => row[b] - row[a] || a - b);
  return ids.slice(0, Math.min(k, row.length));
}

function logSoftmaxOver(row: ArrayLike<number>, ids: number[]): number[] {
  let max = -Infinity;
  for (const j of ids) if (row[j] > max) max = row[j];
  let z = 0;
  for (const j of ids) z += Math.exp(row[j] - max);
  const lz = max + Math.log(z);
  return ids.map((j) => row[j] - lz);
}

export function clippedTopKReverseKl(student: Float32Array, teacher: Float32Array, N: number, V: number, k: number, clip: number | null, scale: number): ClippedKlResult {
  if (student.length !== N * V || teacher.length !== N * V) throw new Error(`clippedTopKReverseKl: logits must be [${N}, ${V}]`);
  const dStudent = new Float32Array(N * V);
  let loss = 0, clipped = 0, terms = 0;
  for (let n = 0; n < N; n++) {
    const s = student.subarray(n * V, (n + 1) * V), t = teacher.subarray(n * V, (n + 1) * V);
    const ids = topKIds(t, k);
    const lq = logSoftmaxOver(s, ids), lp = logSoftmaxOver(t, ids);
    const q = lq.map(Math.exp);
    const a = new Array<number>(ids.length);
    let aq = 0;
    for (let j = 0; j < ids.length; j++) {
      const e = q[j] * (lq[j] - lp[j]);
      const isClipped = clip !== null && e > clip;
      loss += isClipped ? clip! : e;
      if (isClipped) clipped++;
      terms++;
      a[j] = isClipped ? 0 : lq[j] - lp[j] + 1;
      aq += a[j] * q[j];
    }
    for (let j = 0; j < ids.length; j++) dStudent[n * V + ids[j]] = scale * q[j] * (a[j] - aq);
  }
  return { loss: scale * loss, dStudent, clipFrac: terms ? clipped / terms : 0 };
}
