/**
 * DelTA's per-token coefficients (discriminative token credit assignment for RLVR): which
 * tokens of a rewarded (punished) sequence look like the rewarded (punished) side of the
 * batch, measured on a cheap proxy of each token's last-layer gradient.
 *
 *   v_t     = (1 - p(y_t)) h_t            h_t: the LM head's input (final-norm hidden state)
 *   mu+     = sum_{A_i > 0} A_i v_t / sum A_i      mu- = sum_{A_i < 0} |A_i| v_t / sum |A_i|
 *             (over every token of the side's sequences)
 *   margin  = ||v - mu-||^2 - ||v - mu+||^2 on positive sequences, the opposite on negative ones
 *   gamma   = population std of that side's margins
 *   K times: alpha = sigmoid(margin / gamma); centroids re-estimated with weights alpha |A_i|;
 *            the next gammas come from the margins of the pass just made
 *   lambda  = lamMin + (lamMax - lamMin) sigmoid(margin / gamma) with the refined centroids;
 *             sequences with A_i = 0 get lamMin; then every lambda is divided by their mean
 *             over all tokens of the batch (mean 1).
 *
 * Distances are plain squared Euclidean (the method's diagonal scaling is fixed to ones).
 * A token shared by both sides sits at equal distance from both centroids only when it is
 * exactly between them; a token equal to a sequence of the other side gets margin 0.
 * lamMin = lamMax gives exactly 1 everywhere (the policy gradient is then GRPO's, bit for bit).
 * Everything here is computed in float64 and returned as float32.
 */
import { fail } from './common.ts';

const FN = 'deltaCoefficients';

export interface DeltaOptions {
  /** Refinement passes (the method's K; default 1). */
  refinements?: number;
  lamMin?: number;
  lamMax?: number;
  /** Floor of a side's weight sum and of the margin variance (default 1e-8). */
  eps?: number;
}

/** Token features v_t = (1 - p(y_t)) h_t, from hidden states [T * dim] and log-probs [T]. */
export function deltaFeatures(hidden: ArrayLike<number>, logprobs: ArrayLike<number>, dim: number): Float64Array {
  const T = logprobs.length;
  if (hidden.length !== T * dim) fail('deltaFeatures', `hidden has ${hidden.length} values, expected ${T} tokens x ${dim}`);
  const v = new Float64Array(T * dim);
  for (let t = 0; t < T; t++) {
    const g = 1 - Math.exp(logprobs[t]);
    for (let d = 0; d < dim; d++) v[t * dim + d] = g * hidden[t * dim + d];
  }
  return v;
}

/** lambda per token of each sequence (features[i]: [T_i * dim]; advantages: one per sequence). */
export function deltaCoefficients(features: ArrayLike<number>[], dim: number, advantages: ArrayLike<number>, opts: DeltaOptions = {}): Float32Array[] {
  const K = opts.refinements ?? 1, lo = opts.lamMin ?? 0.8, hi = opts.lamMax ?? 1.2, eps = opts.eps ?? 1e-8;
  const n = features.length;
  if (advantages.length !== n) fail(FN, `${advantages.length} advantages for ${n} sequences`);
  if (!Number.isInteger(dim) || dim < 1) fail(FN, `dim must be a positive integer, got ${dim}`);
  if (!Number.isInteger(K) || K < 0) fail(FN, `refinements must be a whole number >= 0, got ${K}`);
  if (!(lo > 0 && hi >= lo && Number.isFinite(hi))) fail(FN, `need 0 < lamMin <= lamMax, got [${lo}, ${hi}]`);
  const T = features.map((f, i) => {
    if (f.length % dim !== 0) fail(FN, `features[${i}] has ${f.length} values, not a multiple of dim ${dim}`);
    if (!Number.isFinite(advantages[i])) fail(FN, `advantages[${i}] = ${advantages[i]} is not finite`);
    return f.length / dim;
  });
  const side = (i: number) => Math.sign(advantages[i]);
  // Equal bounds: every lambda is lamMin before the rescaling to mean 1, so exactly 1 after it.
  if (lo === hi) return T.map((t) => new Float32Array(t).fill(1));

  const sqDist = (f: ArrayLike<number>, t: number, mu: Float64Array) => {
    let s = 0;
    for (let d = 0; d < dim; d++) s += (f[t * dim + d] - mu[d]) ** 2;
    return s;
  };
  /** Margins of every token (NaN on zero-advantage sequences) for the given centroids. */
  const margins = (muPos: Float64Array, muNeg: Float64Array) =>
    features.map((f, i) => {
      const m = new Float64Array(T[i]);
      for (let t = 0; t < T[i]; t++) {
        const dp = sqDist(f, t, muPos), dn = sqDist(f, t, muNeg);
        m[t] = side(i) > 0 ? dn - dp : side(i) < 0 ? dp - dn : NaN;
      }
      return m;
    });
  /** Population std of the margins of one side, floored at sqrt(eps). */
  const gammaOf = (ms: Float64Array[], s: number) => {
    let sum = 0, sq = 0, c = 0;
    ms.forEach((m, i) => {
      if (side(i) !== s) return;
      for (const x of m) {
        sum += x;
        sq += x * x;
        c++;
      }
    });
    c = Math.max(c, 1);
    const mean = sum / c;
    return Math.sqrt(Math.max(sq / c - mean * mean, eps));
  };
  /** Weighted centroid of one side: token weights w(i, t) times |A_i|. */
  const centroid = (s: number, w: (i: number, t: number) => number) => {
    const mu = new Float64Array(dim);
    let den = 0;
    features.forEach((f, i) => {
      if (side(i) !== s) return;
      const a = Math.abs(advantages[i]);
      for (let t = 0; t < T[i]; t++) {
        const wt = a * w(i, t);
        den += wt;
        for (let d = 0; d < dim; d++) mu[d] += wt * f[t * dim + d];
      }
    });
    den = Math.max(den, eps);
    for (let d = 0; d < dim; d++) mu[d] /= den;
    return mu;
  };
  const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

  let muPos = centroid(1, () => 1), muNeg = centroid(-1, () => 1);
  let m = margins(muPos, muNeg);
  let gPos = gammaOf(m, 1), gNeg = gammaOf(m, -1);
  for (let k = 0; k < K; k++) {
    const alpha = (i: number, t: number) => sigmoid(m[i][t] / (side(i) > 0 ? gPos : gNeg));
    [muPos, muNeg] = [centroid(1, alpha), centroid(-1, alpha)];
    // The margins of this pass set the next temperatures (before the centroids moved).
    [gPos, gNeg] = [gammaOf(m, 1), gammaOf(m, -1)];
    m = margins(muPos, muNeg);
  }
  let total = 0, count = 0;
  const lam = m.map((mi, i) =>
    Float64Array.from(mi, (x) => {
      const l = side(i) === 0 ? lo : lo + (hi - lo) * sigmoid(x / (side(i) > 0 ? gPos : gNeg));
      total += l;
      count++;
      return l;
    }),
  );
  const scale = count / Math.max(total, eps);
  return lam.map((l) => Float32Array.from(l, (x) => x * scale));
}
