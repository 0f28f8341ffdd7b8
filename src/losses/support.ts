/**
 * Closing a teacher's top-k distribution into a proper distribution (docs/losses.md, "Closing
 * a top-k support"), and the matching student distribution, for one logits row.
 *
 * - renorm: outcomes are the k ids; q~_j = q_j / sum_K q, p~_j = p_j / sum_K p. The student
 *   side only depends on the k logits in K, so the gradient is zero outside K.
 * - tail: outcomes are the k ids plus one "everything else"; teacher tail mass
 *   max(0, 1 - sum_K q), student tail log-mass = LSE_{v not in K} z_v - LSE_v z_v, computed
 *   by a log-sum-exp over the non-K logits (never log(1 - sum p) of a rounded sum, which is
 *   -Inf or garbage when the student puts almost all its mass on K). When K is the whole
 *   vocabulary there is no "everything else" (its student mass is exactly 0), so the tail
 *   outcome is dropped and tail = full.
 * - full: outcomes are the whole vocabulary; requires k == V (the ids are a permutation).
 *
 * A divergence over the closed support is a function of the closed student log-probs
 * logp~_j; `backward` turns g_j = dL/dlogp~_j into dL/dlogits with the Jacobian of the
 * closing (a softmax over the closed outcomes):
 *   tail/full: dz_u = [u in K] g_j(u) + [u not in K] g_tail p_u / P_tail - p_u sum_j g_j
 *   renorm:    dz_u = [u in K] (g_j(u) - p~_j(u) sum_j g_j), 0 elsewhere.
 */
import type { LogitsBlock, Support, TopKTargets } from './types.ts';
import { checkIds, checkLength, fail, rowLse } from './common.ts';

const SUPPORTS: readonly Support[] = ['renorm', 'tail', 'full'];

/** Teacher rows may overshoot 1 by float32 rounding; anything beyond this is a caller bug. */
const MASS_TOLERANCE = 1e-3;

/** Validates a TopKTargets against the logits block and the support (every row, weighted or not). */
export function checkTargets(fn: string, block: LogitsBlock, targets: TopKTargets, support: Support): void {
  if (!SUPPORTS.includes(support)) fail(fn, `support must be one of ${SUPPORTS.join(', ')}, got ${String(support)}`);
  if (!targets) fail(fn, 'targets is required');
  const { N, V } = block;
  const { k, ids, probs } = targets;
  if (!Number.isInteger(k) || k < 1) fail(fn, `targets.k must be a positive integer, got ${k}`);
  if (k > V) fail(fn, `targets.k = ${k} exceeds the vocabulary size V = ${V}`);
  if (support === 'full' && k !== V) {
    fail(fn, `support 'full' needs the whole teacher distribution (targets.k = V = ${V}), got k = ${k}; use 'tail' or 'renorm' for a top-k teacher`);
  }
  checkLength(fn, 'targets.ids', ids, N, k);
  checkLength(fn, 'targets.probs', probs, N, k);
  checkIds(fn, 'targets.ids', ids, V);
  const seen = new Int32Array(V).fill(-1);
  for (let r = 0; r < N; r++) {
    let sum = 0;
    for (let j = 0; j < k; j++) {
      const q = probs[r * k + j];
      if (!(q >= 0 && q <= 1 + MASS_TOLERANCE)) fail(fn, `targets.probs[${r * k + j}] = ${q} is not a probability`);
      sum += q;
      const id = ids[r * k + j];
      if (seen[id] === r) fail(fn, `targets.ids row ${r} lists token ${id} twice; top-k ids must be distinct`);
      seen[id] = r;
    }
    if (sum > 1 + MASS_TOLERANCE) fail(fn, `targets.probs row ${r} sums to ${sum} > 1`);
  }
}

/**
 * Scratch state for one closed row, reused across rows (no per-row allocation).
 * After `close(r)`: outcomes 0..m-1 with teacher probs `q[j]` and student log-probs `logp[j]`;
 * outcome k (when `hasTail`) is "everything else".
 */
export class ClosedRow {
  readonly q: Float64Array;
  readonly logp: Float64Array;
  m = 0;
  hasTail = false;
  /** Log-sum-exp of the whole row, and of the logits outside K (tail only). */
  lse = 0;
  lseNotK = -Infinity;
  lseK = 0;
  /** Raw (unclosed) masses on K: teacher sum_K q, student sum_K p, and sum_K min(p, q). */
  teacherMassK = 0;
  studentMassK = 0;
  overlapK = 0;
  private readonly mark: Uint8Array;

  constructor(
    private readonly block: LogitsBlock,
    private readonly targets: TopKTargets,
    readonly support: Support,
    /** Name of the calling loss, for error messages. */
    private readonly fn = 'closeSupport',
  ) {
    this.q = new Float64Array(targets.k + 1);
    this.logp = new Float64Array(targets.k + 1);
    this.mark = new Uint8Array(block.V);
  }

  close(r: number): void {
    const { logits: z, V } = this.block;
    const { k, ids, probs } = this.targets;
    const off = r * V, kOff = r * k;
    const withTail = this.support === 'tail' && k < V;
    // Log-sum-exps. With a tail, one max pass and one exp pass give both LSE over the row and
    // LSE over the complement of K: each non-K logit is exponentiated once, relative to the
    // complement's own max (so its sum never underflows), and rescaled into the row's sum.
    let lse: number;
    if (withTail) {
      for (let j = 0; j < k; j++) this.mark[ids[kOff + j]] = 1;
      let mx = -Infinity, mxN = -Infinity;
      for (let v = 0; v < V; v++) {
        const x = z[off + v];
        if (x > mx) mx = x;
        if (!this.mark[v] && x > mxN) mxN = x;
      }
      if (!Number.isFinite(mx)) {
        lse = mx === -Infinity ? -Infinity : mx; // all -Inf, or +Inf/NaN: let the loss show it
        this.lseNotK = mxN;
      } else {
        let sK = 0, sN = 0;
        for (let j = 0; j < k; j++) sK += Math.exp(z[off + ids[kOff + j]] - mx);
        if (mxN !== -Infinity) for (let v = 0; v < V; v++) if (!this.mark[v]) sN += Math.exp(z[off + v] - mxN);
        this.lseNotK = mxN === -Infinity ? -Infinity : mxN + Math.log(sN);
        lse = mx + Math.log(sK + (mxN === -Infinity ? 0 : sN * Math.exp(mxN - mx)));
      }
      for (let j = 0; j < k; j++) this.mark[ids[kOff + j]] = 0;
    } else {
      lse = rowLse(z, off, V);
      this.lseNotK = -Infinity;
    }
    this.lse = lse;
    let tMass = 0, sMass = 0, overlap = 0, mxK = -Infinity;
    for (let j = 0; j < k; j++) {
      const id = ids[kOff + j];
      const q = probs[kOff + j];
      const lp = z[off + id] - lse;
      const p = Math.exp(lp);
      tMass += q;
      sMass += p;
      overlap += Math.min(p, q);
      this.q[j] = q;
      this.logp[j] = lp;
      if (z[off + id] > mxK) mxK = z[off + id];
    }
    this.teacherMassK = tMass;
    this.studentMassK = sMass;
    this.overlapK = overlap;
    this.m = k;
    this.hasTail = false;

    if (this.support === 'renorm') {
      if (!(tMass > 0)) fail(this.fn, `targets.probs row ${r} has zero mass; support 'renorm' cannot renormalise it`);
      // Student renormalised over K: log p~_j = z_j - LSE_K z (exact, not log(p_j / sum p)).
      let s = 0;
      for (let j = 0; j < k; j++) s += Math.exp(z[off + ids[kOff + j]] - mxK);
      const lseK = mxK + Math.log(s);
      this.lseK = lseK;
      for (let j = 0; j < k; j++) {
        this.q[j] /= tMass;
        this.logp[j] = z[off + ids[kOff + j]] - lseK;
      }
      return;
    }
    if (withTail) {
      this.q[k] = Math.max(0, 1 - tMass);
      this.logp[k] = this.lseNotK - lse;
      this.m = k + 1;
      this.hasTail = true;
    }
  }

  /**
   * grad[row r] += scale * dL/dlogits, given g[j] = dL/dlogp~_j for the outcomes of the row
   * last closed (call right after `close(r)`).
   */
  backward(r: number, g: Float64Array, scale: number, grad: Float32Array): void {
    const { logits: z, V } = this.block;
    const { k, ids } = this.targets;
    const off = r * V, kOff = r * k;
    let G = 0;
    for (let j = 0; j < this.m; j++) G += g[j];
    if (this.support === 'renorm') {
      for (let j = 0; j < k; j++) {
        grad[off + ids[kOff + j]] += scale * (g[j] - Math.exp(this.logp[j]) * G);
      }
      return;
    }
    const lse = this.lse;
    for (let j = 0; j < k; j++) this.mark[ids[kOff + j]] = 1;
    const gTail = this.hasTail ? g[k] : 0;
    const lseNotK = this.lseNotK;
    // d log P_tail / dz_v = p_v / P_tail = exp(z_v - LSE_notK). While 1/P_tail < e^300 it is
    // p_v * (1/P_tail) (one exp per logit, and any p_v / P_tail above float32's range has
    // p_v > e^-390, far from underflow); beyond that, exponentiate directly.
    const logInvTail = lse - lseNotK;
    const useProduct = gTail !== 0 && logInvTail < 300;
    const invTail = useProduct ? Math.exp(logInvTail) : 0;
    for (let v = 0; v < V; v++) {
      if (this.mark[v]) continue;
      const zv = z[off + v];
      const pv = Math.exp(zv - lse);
      let d = -pv * G;
      if (useProduct) d += gTail * pv * invTail;
      else if (gTail !== 0) d += gTail * Math.exp(zv - lseNotK);
      grad[off + v] += scale * d;
    }
    for (let j = 0; j < k; j++) {
      const id = ids[kOff + j];
      this.mark[id] = 0;
      grad[off + id] += scale * (g[j] - Math.exp(this.logp[j]) * G);
    }
  }
}
