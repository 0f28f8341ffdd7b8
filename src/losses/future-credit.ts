/**
 * DistIL's future credit (docs/losses.md). The objective E_{y ~ pi}[sum_t H_t] has, besides the
 * local term sum_t grad H_t, a REINFORCE term sum_t grad log p_t(y_t) * C_t with
 *
 *   C_t = sum_{i > t} gamma^(i - t - 1) H_i        (C_{T-1} = 0;  C_t = H_{t+1} + gamma C_{t+1})
 *
 * the (discounted) disagreement still to come after token t. Variance is cut by a baseline b_t:
 *   'none'           b_t = 0
 *   'group_position' b_t = mean of C_t over the sequences of the same group that have a
 *                    position t (a lone sequence at that position gets 0 credit)
 *   'batch'          b_t = mean of C over all tokens of the batch
 * then d_t = C_t - b_t is optionally standardised over all tokens of the batch,
 * d_t <- (d_t - mean d) / (std d + 1e-8) (population std), because the raw sum grows with the
 * remaining length and made a prototype's gradient norms 20x GRPO's.
 *
 * SIGN CONVENTION. The term is minimised, so tokens whose future has MORE disagreement than the
 * baseline (d_t > 0) are pushed DOWN. As a policy-gradient advantage (which pushes tokens with
 * A > 0 up): A_t = -lambdaFc * d_t. `futureCredit` returns both d (`centered`) and A
 * (`advantages`); `distilSurrogate` takes d directly.
 */
import type { LogitsBlock, LossResult, Support, TopKTargets } from './types.ts';
import { addLogpGrad, checkBlock, checkIds, checkLength, checkWeights, fail, MetricMeans, tokenLogp, type Weights } from './common.ts';
import { groupLabels, type Groups } from './advantages.ts';
import { clippedPolicyGradient } from './policy-gradient.ts';
import { rowCrossEntropies, softCrossEntropy } from './soft-cross-entropy.ts';

export type CreditBaseline = 'none' | 'group_position' | 'batch';

export interface FutureCreditOptions {
  /** Discount (default 1: the plain sum). */
  gamma?: number;
  /** Default 'group_position' when groups are given, else 'batch'. */
  baseline?: CreditBaseline;
  /** Group of each sequence: a group size (contiguous) or a label per sequence. Needed by 'group_position'. */
  groups?: Groups;
  /** Standardise C - b over the batch (default false). */
  standardize?: boolean;
  /** Coefficient in the advantage A = -lambdaFc * d (default 1). */
  lambdaFc?: number;
}

export interface FutureCreditResult {
  /** C_t per sequence. */
  credits: Float64Array[];
  /** d_t = C_t - b_t, standardised if asked (no lambdaFc): the sg(C_t - b_t) of the surrogate. */
  centered: Float64Array[];
  /** A_t = -lambdaFc * d_t, ready for the clipped policy gradient. */
  advantages: Float32Array[];
  metrics: Record<string, number>;
}

const FN = 'futureCredit';

/** H: per sequence, the per-token cross-entropies H_t of the states the student visited. */
export function futureCredit(H: ArrayLike<ArrayLike<number>>, opts: FutureCreditOptions = {}): FutureCreditResult {
  const gamma = opts.gamma ?? 1;
  if (!(gamma >= 0 && gamma <= 1)) fail(FN, `gamma must be in [0, 1], got ${gamma}`);
  const baseline: CreditBaseline = opts.baseline ?? (opts.groups !== undefined ? 'group_position' : 'batch');
  if (!['none', 'group_position', 'batch'].includes(baseline)) fail(FN, `baseline must be none, group_position or batch, got ${String(baseline)}`);
  const lambda = opts.lambdaFc ?? 1;
  if (!Number.isFinite(lambda)) fail(FN, `lambdaFc must be finite, got ${lambda}`);
  const B = H.length;
  for (let s = 0; s < B; s++) {
    for (let t = 0; t < H[s].length; t++) if (!Number.isFinite(H[s][t])) fail(FN, `H[${s}][${t}] = ${H[s][t]} is not finite`);
  }

  const credits = Array.from({ length: B }, (_, s) => {
    const T = H[s].length, C = new Float64Array(T);
    for (let t = T - 2; t >= 0; t--) C[t] = H[s][t + 1] + gamma * C[t + 1];
    return C;
  });

  const centered = credits.map((C) => Float64Array.from(C));
  let nTok = 0, sumC = 0;
  for (const C of credits) for (const c of C) { sumC += c; nTok++; }
  if (baseline === 'batch') {
    const b = nTok > 0 ? sumC / nTok : 0;
    for (const d of centered) for (let t = 0; t < d.length; t++) d[t] -= b;
  } else if (baseline === 'group_position') {
    if (opts.groups === undefined) fail(FN, "baseline 'group_position' needs groups (a group size or a label per sequence)");
    const labels = groupLabels(FN, B, opts.groups);
    const members = new Map<number, number[]>();
    for (let s = 0; s < B; s++) {
      if (!members.has(labels[s])) members.set(labels[s], []);
      members.get(labels[s])!.push(s);
    }
    for (const idx of members.values()) {
      const maxT = Math.max(0, ...idx.map((s) => credits[s].length));
      for (let t = 0; t < maxT; t++) {
        let sum = 0, n = 0;
        for (const s of idx) if (t < credits[s].length) { sum += credits[s][t]; n++; }
        const b = sum / n;
        for (const s of idx) if (t < credits[s].length) centered[s][t] -= b;
      }
    }
  }
  if (opts.standardize && nTok > 0) {
    let mean = 0;
    for (const d of centered) for (const x of d) mean += x;
    mean /= nTok;
    let ss = 0;
    for (const d of centered) for (const x of d) ss += (x - mean) ** 2;
    const std = Math.sqrt(ss / nTok);
    for (const d of centered) for (let t = 0; t < d.length; t++) d[t] = (d[t] - mean) / (std + 1e-8);
  }
  const advantages = centered.map((d) => Float32Array.from(d, (x) => (x === 0 ? 0 : -lambda * x)));

  let absD = 0, maxC = 0;
  for (const d of centered) for (const x of d) absD += Math.abs(x);
  for (const C of credits) for (const c of C) maxC = Math.max(maxC, c);
  return {
    credits,
    centered,
    advantages,
    metrics: { creditMean: nTok ? sumC / nTok : 0, creditMax: maxC, centeredAbsMean: nTok ? absD / nTok : 0, tokens: nTok },
  };
}

export interface SurrogateOptions {
  support?: Support;
  /** Weight of the future-credit term (default 1; 0 is the "CE only" ablation). */
  lambdaFc?: number;
  /**
   * d_t = sg(C_t - b_t) per row (e.g. futureCredit(...).centered, flattened). Or leave it out and
   * give `credit` to compute it from this block's own per-row cross-entropies.
   */
  credits?: ArrayLike<number>;
  credit?: FutureCreditOptions & { lengths: ArrayLike<number> };
  /** Sampler log-probs of the sampled tokens [N]: use the importance ratio rho = p / p_old. */
  logpOld?: ArrayLike<number>;
  /** With logpOld: PPO-clip the ratio in the credit term (the clipped policy gradient with A = -lambdaFc d). */
  clip?: { epsLow: number; epsHigh: number };
}

/**
 * The DistIL surrogate, summed with row weights:
 *   L = sum_r w_r [ H_r + lambdaFc * f_r ],
 *   f_r = log p_r(y_r) * d_r          (on-policy; gradient d_r grad log p)
 *   f_r = rho_r * d_r, rho = p/p_old  (with logpOld; same gradient at rho = 1)
 *   f_r = -min(rho A, clip(rho) A) / lambdaFc with A = -lambdaFc d_r   (with logpOld and clip)
 * d_r is a constant (stop-gradient). With `credit`, d is computed here by futureCredit from the
 * block's own H_t (rows laid out sequence after sequence per credit.lengths), under stop-gradient,
 * over EVERY row: a token-selection mask (a zero row weight) removes a token's own terms, not
 * its disagreement from the credit of the tokens before it.
 * Metrics: ce_* (softCrossEntropy's), fc (mean f over weighted rows), and the credit metrics.
 */
export function distilSurrogate(
  block: LogitsBlock,
  targets: TopKTargets,
  tokens: ArrayLike<number>,
  rowWeights: Weights,
  opts: SurrogateOptions = {},
): LossResult {
  const S = 'distilSurrogate';
  checkBlock(S, block);
  const { N, V, logits } = block;
  checkLength(S, 'tokens', tokens, N);
  checkIds(S, 'tokens', tokens, V);
  checkWeights(S, 'rowWeights', rowWeights, N);
  const support = opts.support ?? 'tail';
  const lambda = opts.lambdaFc ?? 1;
  if (!Number.isFinite(lambda)) fail(S, `lambdaFc must be finite, got ${lambda}`);

  const ce = softCrossEntropy(block, targets, rowWeights, support);
  const metrics: Record<string, number> = {};
  for (const [k, v] of Object.entries(ce.metrics)) metrics[`ce_${k}`] = v;
  if (lambda === 0) return { loss: ce.loss, grad: ce.grad, perRow: ce.perRow, metrics: { ...metrics, fc: 0 } };

  let d: ArrayLike<number>;
  if (opts.credits) {
    checkLength(S, 'credits', opts.credits, N);
    d = opts.credits;
  } else if (opts.credit) {
    const { lengths, ...fcOpts } = opts.credit;
    let total = 0;
    for (let i = 0; i < lengths.length; i++) total += lengths[i];
    if (total !== N) fail(S, `credit.lengths sum to ${total}, the block has N = ${N} rows`);
    const { ce: H } = rowCrossEntropies(block, targets, support);
    const per: Float64Array[] = [];
    let o = 0;
    for (let i = 0; i < lengths.length; i++) { per.push(H.subarray(o, o + lengths[i])); o += lengths[i]; }
    const fc = futureCredit(per, fcOpts);
    const flat = new Float64Array(N);
    o = 0;
    for (const c of fc.centered) { flat.set(c, o); o += c.length; }
    d = flat;
    for (const [k, v] of Object.entries(fc.metrics)) metrics[`fc_${k}`] = v;
  } else {
    fail(S, 'give credits (d = C - b per row) or credit (options to compute them), or set lambdaFc 0');
  }
  for (let r = 0; r < N; r++) if (!Number.isFinite(d[r])) fail(S, `credits[${r}] = ${d[r]} is not finite`);

  let loss = ce.loss;
  const grad = ce.grad;
  if (opts.logpOld) checkLength(S, 'logpOld', opts.logpOld, N);
  if (opts.clip) {
    if (!opts.logpOld) fail(S, 'clip needs logpOld');
    const A = Float64Array.from({ length: N }, (_, r) => -lambda * d[r]);
    const pg = clippedPolicyGradient(block, tokens, A, opts.logpOld, rowWeights, opts.clip);
    loss += pg.loss;
    for (let i = 0; i < grad.length; i++) grad[i] += pg.grad[i];
    for (const [k, v] of Object.entries(pg.metrics)) metrics[`pg_${k}`] = v;
    metrics.fc = lambda !== 0 && pg.metrics.rows > 0 ? pg.metrics.pgLoss / lambda : 0;
    return { loss, grad, perRow: ce.perRow, metrics };
  }
  const mm = new MetricMeans();
  for (let r = 0; r < N; r++) {
    const w = rowWeights[r];
    if (w === 0) continue;
    mm.rows++;
    const { logp, lse } = tokenLogp(logits, r, V, tokens[r]);
    const rho = opts.logpOld ? Math.exp(logp - opts.logpOld[r]) : 1;
    const f = (opts.logpOld ? rho : logp) * d[r];
    loss += w * lambda * f;
    mm.add('fc', f);
    if (opts.logpOld) mm.add('ratio', rho);
    if (d[r] !== 0) addLogpGrad(logits, r, V, tokens[r], lse, w * lambda * d[r] * rho, grad);
  }
  return { loss, grad, perRow: ce.perRow, metrics: { ...metrics, ...mm.means() } };
}
