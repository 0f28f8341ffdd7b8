/**
 * From the loss spec (src/losses/spec.ts: plain per-sequence arrays, what a backend receives) to the
 * loss functions here, so that every backend computes the same numbers. Rows of the logits
 * block are the completion positions of the batch, sequence after sequence; the row for
 * completion token t of a sequence holds the logits that predict that token.
 *
 * Row weights:
 * - policyGradient: term.weight * aggregationWeights(lengths, term.aggregation, tokenWeights).
 * - softCrossEntropy, divergence, crossEntropy (no aggregation field): the tokenWeights-weighted
 *   mean over the batch, term.weight * m_t / sum m (docs/losses.md: losses are averaged over the
 *   completion tokens of the batch). Weights that already sum to 1 (e.g. seq_mean weights)
 *   pass through unchanged, so an algorithm can put any aggregation into tokenWeights.
 * A backend that splits a batch into micro-batches must compute `termRowWeights` over the whole
 * batch and pass each micro-batch its slice, or token_mean would be per micro-batch.
 */
import type { LossSpec, LossTerm } from './spec.ts';
import type { LogitsBlock, LossResult, TopKTargets } from './types.ts';
import { aggregationWeights, flattenPerToken } from './aggregation.ts';
import { fail } from './common.ts';
import { tokenCrossEntropy } from './cross-entropy.ts';
import { generalizedJsd } from './divergence.ts';
import { clippedPolicyGradient } from './policy-gradient.ts';
import { softCrossEntropy } from './soft-cross-entropy.ts';
import { distilSurrogate } from './future-credit.ts';
import { weightedTargetLogprobs } from './target-logprobs.ts';

function lengthsOf(completions: ArrayLike<ArrayLike<number>>): number[] {
  return Array.from({ length: completions.length }, (_, i) => completions[i].length);
}

function checkPerToken(kind: string, name: string, arrs: ArrayLike<ArrayLike<number>> | undefined, lengths: number[], per = 1): void {
  if (!arrs) fail(`term ${kind}`, `${name} is required`);
  if (arrs.length !== lengths.length) fail(`term ${kind}`, `${name} has ${arrs.length} sequences, the batch has ${lengths.length}`);
  for (let i = 0; i < lengths.length; i++) {
    if (arrs[i].length !== lengths[i] * per) {
      fail(`term ${kind}`, `${name}[${i}] has length ${arrs[i].length}, expected ${lengths[i] * per} (${lengths[i]} completion tokens${per > 1 ? ` x ${per}` : ''})`);
    }
  }
}

/** Per-row weights of a term over a batch with these completion lengths (see the file comment). */
export function termRowWeights(term: LossTerm, lengths: number[]): Float32Array {
  if (!(term.weight >= 0) || !Number.isFinite(term.weight)) fail(`term ${term.kind}`, `weight must be finite and >= 0, got ${term.weight}`);
  // A summed term: its weights already hold any aggregation.
  if (term.kind === 'targetLogprobs') return new Float32Array(lengths.reduce((a, b) => a + b, 0)).fill(term.weight);
  if (term.tokenWeights) checkPerToken(term.kind, 'tokenWeights', term.tokenWeights, lengths);
  const mode = term.kind === 'policyGradient' ? term.aggregation : 'token_mean';
  const w = aggregationWeights(lengths, mode, term.tokenWeights);
  for (let i = 0; i < w.length; i++) w[i] *= term.weight;
  return w;
}

/** One term's loss and dLogits for a block whose rows are the batch's completion tokens. */
export function termLoss(
  term: LossTerm,
  block: LogitsBlock,
  completions: ArrayLike<ArrayLike<number>>,
  rowWeights?: ArrayLike<number>,
): LossResult {
  const lengths = lengthsOf(completions);
  const N = lengths.reduce((a, b) => a + b, 0);
  if (block.N !== N) fail(`term ${term.kind}`, `logits block has N = ${block.N} rows, the completions have ${N} tokens`);
  const w = rowWeights ?? termRowWeights(term, lengths);
  const tokens = flattenPerToken(completions);
  const targetsOf = (t: { k: number; targetIds: ArrayLike<number>[]; targetProbs: ArrayLike<number>[] }): TopKTargets => {
    checkPerToken(term.kind, 'targetIds', t.targetIds, lengths, t.k);
    checkPerToken(term.kind, 'targetProbs', t.targetProbs, lengths, t.k);
    return { k: t.k, ids: Int32Array.from(flattenPerToken(t.targetIds)), probs: flattenPerToken(t.targetProbs) };
  };
  switch (term.kind) {
    case 'softCrossEntropy': {
      const fc = term.futureCredit;
      if (!fc) return softCrossEntropy(block, targetsOf(term), w, term.support);
      if (fc.logpOld) checkPerToken(term.kind, 'futureCredit.logpOld', fc.logpOld, lengths);
      if (fc.credits) checkPerToken(term.kind, 'futureCredit.credits', fc.credits, lengths);
      if (fc.groups.length !== lengths.length) fail(`term ${term.kind}`, `futureCredit.groups has ${fc.groups.length} labels, the batch has ${lengths.length} sequences`);
      return distilSurrogate(block, targetsOf(term), tokens, w, {
        support: term.support,
        lambdaFc: fc.lambdaFc,
        credits: fc.credits ? flattenPerToken(fc.credits) : undefined,
        credit: fc.credits ? undefined : { lengths, gamma: fc.gamma, baseline: fc.baseline, groups: fc.groups, standardize: fc.standardize },
        logpOld: fc.logpOld ? flattenPerToken(fc.logpOld) : undefined,
        clip: fc.clip,
      });
    }
    case 'divergence': {
      let importance;
      if (term.isClip !== undefined) {
        checkPerToken(term.kind, 'logpOld', term.logpOld, lengths);
        importance = { tokens, logpOld: flattenPerToken(term.logpOld!), clip: term.isClip };
      }
      return generalizedJsd(block, targetsOf(term), w, term.beta, { support: term.support, importance });
    }
    case 'policyGradient': {
      checkPerToken(term.kind, 'advantages', term.advantages, lengths);
      checkPerToken(term.kind, 'logpOld', term.logpOld, lengths);
      if (term.logpRef) checkPerToken(term.kind, 'logpRef', term.logpRef, lengths);
      return clippedPolicyGradient(block, tokens, flattenPerToken(term.advantages), flattenPerToken(term.logpOld), w, {
        epsLow: term.clipLow,
        epsHigh: term.clipHigh,
        betaKl: term.klBeta,
        logpRef: term.logpRef ? flattenPerToken(term.logpRef) : undefined,
        klCov: term.klCov,
        clipCov: term.clipCov,
      });
    }
    case 'crossEntropy':
      return tokenCrossEntropy(block, tokens, w);
    case 'targetLogprobs': {
      checkPerToken(term.kind, 'targetIds', term.targetIds, lengths, term.m);
      checkPerToken(term.kind, 'targetWeights', term.targetWeights, lengths, term.m);
      const ids = flattenPerToken(term.targetIds);
      const tw = Float32Array.from(flattenPerToken(term.targetWeights));
      for (let r = 0; r < N; r++) for (let c = 0; c < term.m; c++) tw[r * term.m + c] *= w[r];
      return weightedTargetLogprobs(block, ids, tw, term.m);
    }
    default:
      return fail('termLoss', `unknown term kind ${String((term as { kind: unknown }).kind)}`);
  }
}

/**
 * The whole LossSpec on one block: the sum of its terms' losses and gradients. `rowWeights`
 * (one array per term) replaces each term's own weights, as a backend that splits a batch passes
 * its slice of the whole batch's weights. Metrics: `loss/<index>:<kind>` per term, and each
 * term's metrics as `<kind>/<name>` (summed over terms of one kind); non-finite values are left out.
 */
export function lossSpecLoss(spec: LossSpec, block: LogitsBlock, completions: ArrayLike<ArrayLike<number>>, rowWeights?: ArrayLike<number>[]): LossResult {
  if (!spec?.terms?.length) fail('lossSpecLoss', 'spec.terms is empty');
  if (rowWeights && rowWeights.length !== spec.terms.length) fail('lossSpecLoss', `rowWeights has ${rowWeights.length} arrays for ${spec.terms.length} terms`);
  const grad = new Float32Array(block.N * block.V);
  const metrics: Record<string, number> = {};
  const add = (k: string, v: number) => {
    if (Number.isFinite(v)) metrics[k] = (metrics[k] ?? 0) + v;
  };
  let loss = 0;
  spec.terms.forEach((term, i) => {
    const r = termLoss(term, block, completions, rowWeights?.[i]);
    loss += r.loss;
    for (let j = 0; j < grad.length; j++) grad[j] += r.grad[j];
    add(`loss/${i}:${term.kind}`, r.loss);
    for (const [k, v] of Object.entries(r.metrics)) add(`${term.kind}/${k}`, v);
  });
  return { loss, grad, metrics };
}
