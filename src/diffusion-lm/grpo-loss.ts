/**
 * diffu-GRPO (d1, Zhao et al. 2025; checked against the authors' trainer, docs/diffusion-lm.md).
 * A masked-diffusion LM has no cheap exact sequence log-probability, so d1 estimates each
 * completion token's log-probability with one forward pass: the whole completion masked, each
 * prompt token masked with probability pMaskPrompt (a fresh mask per inner iteration, the same
 * mask for the old and new policy of that iteration). On those per-token log-probabilities:
 *
 *   A_g      = r_g - mean(r of the prompt's group)          (no division by the std)
 *   rho      = exp(logp - logp_old)
 *   loss_tok = -min(rho A, clip(rho, 1 - eps, 1 + eps) A) + beta * (exp(ref - logp) - (ref - logp) - 1)
 *   loss     = sum over completion tokens (up to and including the first <eos>) / their number
 */

/** r - mean(r) within each group of consecutive `groupSize` rewards. */
export function groupMeanAdvantages(rewards: number[], groupSize: number): number[] {
  if (rewards.length % groupSize !== 0) throw new Error(`diffu-grpo: ${rewards.length} rewards are not groups of ${groupSize}`);
  const out: number[] = [];
  for (let g = 0; g < rewards.length; g += groupSize) {
    const grp = rewards.slice(g, g + groupSize);
    const m = grp.reduce((a, b) => a + b, 0) / groupSize;
    for (const r of grp) out.push(r - m);
  }
  return out;
}

export interface GrpoTokenLoss {
  loss: number;
  /** dLoss/dLogits [N, V]. */
  dLogits: Float32Array;
  /** Current log-probabilities of the tokens [N]. */
  logp: Float32Array;
  clipFrac: number;
  kl: number;
}

/**
 * logits [N, V] at the N completion tokens, their ids, the old and reference log-probabilities
 * (ref null: beta ignored), each token's advantage, eps, beta and the normaliser (tokens counted).
 */
export function grpoTokenLoss(logits: Float32Array, N: number, V: number, tokens: Int32Array, oldLogp: Float32Array, refLogp: Float32Array | null, adv: Float32Array, eps: number, beta: number, count: number): GrpoTokenLoss {
  const dLogits = new Float32Array(N * V), logp = new Float32Array(N);
  let loss = 0, clipped = 0, kl = 0;
  for (let n = 0; n < N; n++) {
    const row = logits.subarray(n * V, (n + 1) * V);
    let max = -Infinity;
    for (let v = 0; v < V; v++) if (row[v] > max) max = row[v];
    let z = 0;
    for (let v = 0; v < V; v++) z += Math.exp(row[v] - max);
    const lz = max + Math.log(z);
    const lp = row[tokens[n]] - lz;
    logp[n] = lp;
    const rho = Math.exp(lp - oldLogp[n]), A = adv[n];
    const unclipped = rho * A, clippedVal = Math.min(Math.max(rho, 1 - eps), 1 + eps) * A;
    // The min picks the unclipped term (gradient -A rho) unless the clipped one is smaller (gradient 0).
    const useUnclipped = unclipped <= clippedVal;
    if (!useUnclipped) clipped++;
    let dlp = useUnclipped ? -A * rho : 0;
    loss += -Math.min(unclipped, clippedVal);
    if (refLogp && beta !== 0) {
      const d = refLogp[n] - lp;
      const k3 = Math.exp(d) - d - 1;
      loss += beta * k3;
      kl += k3;
      dlp += beta * (1 - Math.exp(d));
    }
    const g = dlp / count;
    for (let v = 0; v < V; v++) dLogits[n * V + v] = -g * Math.exp(row[v] - lz);
    dLogits[n * V + tokens[n]] += g;
  }
  return { loss: loss / count, dLogits, logp, clipFrac: N ? clipped / N : 0, kl: N ? kl / N : 0 };
}
