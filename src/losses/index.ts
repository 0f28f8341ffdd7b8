/** Pure loss functions over a logits block; see docs/losses.md for every formula and convention. */
export type { LogitsBlock, LossResult, Support, TopKTargets } from './types.ts';
export { softCrossEntropy, rowCrossEntropies } from './soft-cross-entropy.ts';
export { generalizedJsd, type JsdOptions, type ImportanceWeight } from './divergence.ts';
export { clippedPolicyGradient, type PolicyGradientOptions } from './policy-gradient.ts';
export { tokenCrossEntropy } from './cross-entropy.ts';
export { aggregationWeights, flattenPerToken, type Aggregation } from './aggregation.ts';
export { grpoAdvantages, expandToTokens, opdAdvantages, rftSelect, type AdvantageScaling, type Groups, type RftOptions } from './advantages.ts';
export {
  futureCredit,
  distilSurrogate,
  type CreditBaseline,
  type FutureCreditOptions,
  type FutureCreditResult,
  type SurrogateOptions,
} from './future-credit.ts';
export { likertReward, processAdvantages, segmentAdvantagesToTokens } from './exprl.ts';
export { termLoss, termRowWeights, lossSpecLoss } from './terms.ts';
export type { LossSpec, LossTerm, FutureCreditSpec, PerToken } from './spec.ts';
export { checkTargets } from './support.ts';
export { logprobsAt, weightedTargetLogprobs } from './target-logprobs.ts';
