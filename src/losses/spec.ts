/**
 * The loss spec: what an algorithm asks a backend to minimise, as plain per-sequence arrays
 * (no tensors), so that every backend (local or remote) can compute the same terms.
 * src/losses/terms.ts turns a spec into the loss functions of this folder.
 */
import type { Support } from '../engine/kernels/types.ts';
import type { Aggregation } from './aggregation.ts';
export type { Aggregation };

/** Per-sequence arrays, each aligned with that sequence's completion tokens. */
export type PerToken<T = Float32Array> = T[];

export type LossTerm =
  | {
      /** Forward cross-entropy toward teacher top-k targets (DistIL's local term, SFT on soft labels). */
      kind: 'softCrossEntropy';
      weight: number;
      support: Support;
      k: number;
      targetIds: PerToken<Int32Array>; // [T_i * k]
      targetProbs: PerToken<Float32Array>; // [T_i * k]
      tokenWeights: PerToken; // [T_i]; 0 masks a token
      /** DistIL's future-credit term, computed from this term's own per-token cross-entropies. */
      futureCredit?: FutureCreditSpec;
    }
  | {
      /** Clipped importance-sampled policy gradient with optional k3 KL penalty (GRPO, OPD, future credit). */
      kind: 'policyGradient';
      weight: number;
      advantages: PerToken;
      logpOld: PerToken;
      clipLow: number; // eps_low, e.g. 0.2
      clipHigh: number; // eps_high, e.g. 0.28
      aggregation: Aggregation;
      klBeta?: number;
      logpRef?: PerToken;
      tokenWeights?: PerToken;
      /** KL-Cov (no clipping; |logp - logp_old| penalty on the highest-covariance tokens). */
      klCov?: { ratio: number; coef: number };
      /** Clip-Cov (no gradient on tokens drawn among those of covariance in (lb, ub)). */
      clipCov?: { ratio: number; lb: number; ub: number; seed: number };
    }
  | {
      /** Generalised JSD(beta) toward teacher top-k (beta 0 = forward KL, 1 = reverse KL): OPSD, SDPO. */
      kind: 'divergence';
      weight: number;
      beta: number;
      support: Support;
      k: number;
      targetIds: PerToken<Int32Array>;
      targetProbs: PerToken<Float32Array>;
      tokenWeights: PerToken;
      /** SDPO: per-token importance weight p/p_old clipped at this value (omit: no weighting). */
      isClip?: number;
      logpOld?: PerToken;
    }
  | {
      /** Hard-target token cross-entropy on the completion (SFT, RFT). */
      kind: 'crossEntropy';
      weight: number;
      tokenWeights: PerToken;
    }
  | {
      /**
       * - sum over positions and columns of weight * w_tc * log p(id_tc), summed, not averaged:
       * what a Tinker-style service trains ("cross_entropy" with (N, m) targets and weights),
       * and the second pass of the remote two-pass path (weights = minus a gradient, any sign).
       */
      kind: 'targetLogprobs';
      weight: number;
      m: number;
      targetIds: PerToken<Int32Array>; // [T_i * m]; an id < 0 is a padding column
      targetWeights: PerToken<Float32Array>; // [T_i * m]
    };

/**
 * DistIL's future credit (docs/losses.md): C_t = sum_{i>t} gamma^(i-t-1) H_i from the current
 * student's cross-entropies toward the teacher, minus a baseline, optionally standardised,
 * trained as lambdaFc * log p(y_t) * sg(C_t - b_t) (with ratio/clip when logpOld is given).
 */
export interface FutureCreditSpec {
  lambdaFc: number;
  gamma: number;
  baseline: 'none' | 'group_position' | 'batch';
  standardize: boolean;
  /** Group label of each sequence (the G samples of one prompt share a label). */
  groups: number[];
  logpOld?: PerToken;
  clip?: { epsLow: number; epsHigh: number };
  /** Precomputed d_t = C_t - b_t per token (backends fill this when they split a batch). */
  credits?: PerToken;
}

export interface LossSpec {
  terms: LossTerm[];
}
