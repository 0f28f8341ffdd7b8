/**
 * Every distil loss on a service that only trains "weighted target log-probs" (Tinker's
 * cross_entropy with (N, m) targets), exactly, in two passes (docs/remote.md):
 *
 * 1. Columns. At each completion position the loss depends on the student's distribution only
 *    through the log-probs of a few ids (the teachers' top-k ids of every term, the sampled
 *    token) and, for a 'tail' support, the mass of everything else. `planColumns` lists those
 *    ids per position (m columns, padded with -1).
 * 2. Forward pass (remote): l[t, c] = log p(id[t, c]).
 * 3. `twoPassLoss` builds a pseudo-logits block of width m + 1 whose last column is the exact
 *    log-mass outside the listed ids, log(1 - sum_c exp l[t, c]), so its softmax is the student's
 *    distribution coarsened to (listed ids, everything else). Every LossTerm evaluated by the
 *    pure functions of src/losses on that block gives the same loss as on the full vocabulary:
 *    renorm needs only the K log-probs, tail the K log-probs and the mass outside K (= the
 *    other listed columns plus the last one), the policy-gradient terms the sampled token's.
 *    Its gradient g' with respect to the pseudo-logits becomes dL/dl by the chain rule through
 *    the last column:  dL/dl[t, c] = g'[t, c] - g'[t, tail] * p[t, c] / P_rest[t].
 * 4. Backward pass (remote): weighted target log-probs with weights w = -dL/dl. The surrogate
 *    -sum w l has gradient sum (dL/dl)(dl/dtheta) = dL/dtheta, the exact parameter gradient,
 *    because nothing changes the weights between the two passes.
 * The reported loss and metrics are distil's own (step 3), never the surrogate's value.
 */
import type { LossSpec, LossTerm, PerToken, TrainBatch } from '../types.ts';
import { termLoss } from '../../losses/terms.ts';

export interface ColumnPlan {
  /** Columns per completion position. */
  m: number;
  /** Per sequence, [T_i * m] ids; -1 pads a position that needs fewer than m. */
  ids: Int32Array[];
}

export interface TwoPassResult {
  loss: number;
  metrics: Record<string, number>;
  /** Per sequence, [T_i * m]: the backward pass's weights (-dL/dl; 0 on padding columns). */
  weights: Float32Array[];
  /** Completion positions whose mass outside the columns rounded to <= 0 and was clamped. */
  tailClamps: number;
}

/** Smallest mass outside the listed columns that is taken at face value (float32 log-probs). */
const MIN_REST = 1e-7;

/** Throws for what the two-pass path cannot express exactly. */
export function checkRemoteSpec(spec: LossSpec, vocabSize: number): void {
  if (!spec?.terms?.length) throw new Error('remote loss: the LossSpec has no terms');
  spec.terms.forEach((t, i) => {
    if ((t.kind === 'softCrossEntropy' || t.kind === 'divergence') && (t.support === 'full' || t.k >= vocabSize)) {
      throw new Error(`remote loss: term ${i} (${t.kind}) uses support '${t.support}' with k = ${t.k} over a vocabulary of ${vocabSize}; a remote service returns only listed log-probs, so use support 'tail' or 'renorm' with k < vocabulary`);
    }
  });
}

/** The ids each completion position needs: every term's target ids, then the sampled token. */
export function planColumns(batch: TrainBatch, spec: LossSpec): ColumnPlan {
  const seqs = batch.sequences;
  const lists: number[][][] = seqs.map((s) => s.completion.map(() => []));
  const add = (i: number, t: number, id: number) => {
    const l = lists[i][t];
    if (!l.includes(id)) l.push(id);
  };
  for (const term of spec.terms) {
    const rows = targetRows(term);
    if (!rows) continue;
    const { ids, m } = rows;
    seqs.forEach((s, i) => {
      for (let t = 0; t < s.completion.length; t++) for (let c = 0; c < m; c++) if (ids[i][t * m + c] >= 0) add(i, t, ids[i][t * m + c]);
    });
  }
  seqs.forEach((s, i) => s.completion.forEach((y, t) => add(i, t, y)));
  const m = Math.max(1, ...lists.flatMap((l) => l.map((x) => x.length)));
  const ids = lists.map((l) => {
    const out = new Int32Array(l.length * m).fill(-1);
    l.forEach((row, t) => out.set(row, t * m));
    return out;
  });
  return { m, ids };
}

function targetRows(term: LossTerm): { ids: PerToken<Int32Array>; m: number } | null {
  if (term.kind === 'softCrossEntropy' || term.kind === 'divergence') return { ids: term.targetIds, m: term.k };
  if (term.kind === 'targetLogprobs') return { ids: term.targetIds, m: term.m };
  return null;
}

/**
 * distil's loss on the forward pass's log-probs (`logprobs`: per sequence [T_i * m], aligned
 * with `plan.ids`), and the backward pass's weights. `vocabSize` tells when the columns cover
 * the whole vocabulary (then nothing lies outside them).
 */
export function twoPassLoss(batch: TrainBatch, spec: LossSpec, plan: ColumnPlan, logprobs: Float32Array[], vocabSize: number): TwoPassResult {
  checkRemoteSpec(spec, vocabSize);
  const seqs = batch.sequences;
  const { m } = plan;
  const W = m + 1;
  const N = seqs.reduce((a, s) => a + s.completion.length, 0);
  const z = new Float32Array(N * W);
  const pRest = new Float64Array(N);
  const colOf: Map<number, number>[] = [];
  let tailClamps = 0;
  let r = 0;
  seqs.forEach((s, i) => {
    if (logprobs[i].length !== s.completion.length * m) throw new Error(`remote loss: sequence ${i} has ${logprobs[i].length} forward log-probs, expected ${s.completion.length * m}`);
    for (let t = 0; t < s.completion.length; t++, r++) {
      const map = new Map<number, number>();
      let mass = 0, listed = 0;
      for (let c = 0; c < m; c++) {
        const id = plan.ids[i][t * m + c];
        if (id < 0) {
          z[r * W + c] = -Infinity;
          continue;
        }
        const lp = logprobs[i][t * m + c];
        if (!Number.isFinite(lp)) throw new Error(`remote loss: the forward pass returned log p = ${lp} for token ${id} (sequence ${i}, position ${t})`);
        map.set(id, c);
        z[r * W + c] = lp;
        mass += Math.exp(lp);
        listed++;
      }
      colOf.push(map);
      let rest = 1 - mass;
      if (listed >= vocabSize) rest = 0;
      else if (!(rest > MIN_REST)) {
        rest = MIN_REST;
        tailClamps++;
      }
      pRest[r] = rest;
      z[r * W + m] = rest > 0 ? Math.log(rest) : -Infinity;
    }
  });
  const block = { logits: z, N, V: W };
  const col = (row: number, id: number) => {
    const c = colOf[row].get(id);
    if (c === undefined) throw new Error(`remote loss: token ${id} at row ${row} is not among the planned columns`);
    return c;
  };
  // The batch in column space: sampled tokens and target ids become column indices.
  const bases: number[] = [];
  seqs.reduce((b, s) => (bases.push(b), b + s.completion.length), 0);
  const completions = seqs.map((s, i) => s.completion.map((y, t) => col(bases[i] + t, y)));
  const remapIds = (ids: PerToken<Int32Array>, k: number): Int32Array[] =>
    ids.map((a, i) => Int32Array.from(a, (id, j) => (id < 0 ? -1 : col(bases[i] + Math.floor(j / k), id))));
  const grad = new Float64Array(N * W);
  const metrics: Record<string, number> = {};
  let loss = 0;
  spec.terms.forEach((term, j) => {
    let t2: LossTerm = term;
    if (term.kind === 'softCrossEntropy' || term.kind === 'divergence') t2 = { ...term, targetIds: remapIds(term.targetIds, term.k) };
    else if (term.kind === 'targetLogprobs') t2 = { ...term, targetIds: remapIds(term.targetIds, term.m) };
    const res = termLoss(t2, block, completions);
    loss += res.loss;
    metrics[`loss/${j}:${term.kind}`] = (metrics[`loss/${j}:${term.kind}`] ?? 0) + res.loss;
    for (const [k, v] of Object.entries(res.metrics)) if (Number.isFinite(v)) metrics[`${term.kind}/${k}`] = (metrics[`${term.kind}/${k}`] ?? 0) + v;
    for (let x = 0; x < grad.length; x++) grad[x] += res.grad[x];
  });
  // Chain rule through the last column, then w = -dL/dl.
  const weights: Float32Array[] = [];
  r = 0;
  seqs.forEach((s, i) => {
    const w = new Float32Array(s.completion.length * m);
    for (let t = 0; t < s.completion.length; t++, r++) {
      const gTail = grad[r * W + m];
      for (let c = 0; c < m; c++) {
        if (plan.ids[i][t * m + c] < 0) continue;
        const p = Math.exp(z[r * W + c]);
        const d = grad[r * W + c] - (pRest[r] > 0 ? (gTail * p) / pRest[r] : 0);
        w[t * m + c] = -d;
      }
    }
    weights.push(w);
  });
  return { loss, metrics, weights, tailClamps };
}

