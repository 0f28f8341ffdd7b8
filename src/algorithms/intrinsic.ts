/**
 * The intrinsic-reward option of the policy-gradient algorithms (grpo, setpg): `intrinsic: 'rnd'`
 * adds an exploration advantage from random network distillation (losses/rnd.ts) to the
 * algorithm's own. Each completion is a one-step episode, so there is no critic: the intrinsic
 * advantage is the normalised bonus centred on its group's mean, and the two combine as the
 * source's 2 A_ext + 1 A_int, written A_ext + intrinsicCoef * A_int (default 0.5 = the same
 * direction at half the scale), so that intrinsicCoef 0 leaves the algorithm's advantages as they were.
 * `intrinsicCoefAfterSuccess`: the coefficient from the first step that holds a correct sample on
 * (that step included): once the extrinsic reward has been found, a smaller bonus lets it hold the
 * policy (docs/rnd.md: at the full coefficient the bonus pushed the policy off the codes it had
 * found). Whether that step has come is part of the checkpointed state.
 */
import { grpoAdvantages } from '../losses/advantages.ts';
import { ngramFeatures } from '../losses/ngram-features.ts';
import { Rnd, type RndState } from '../losses/rnd.ts';
import type { Schema } from '../util/schema.ts';
import type { Rollout } from './types.ts';

export const INTRINSIC_OPTIONS = {
  intrinsic: { type: 'enum', values: ['none', 'rnd'], default: 'none', help: "exploration bonus: 'rnd' (random network distillation over hashed n-grams of prompt and completion)" },
  intrinsicCoef: { type: 'number', default: 0.5, min: 0, help: 'A = A_ext + coef * A_int (0.5: the source 2:1; 0: no effect)' },
  intrinsicCoefAfterSuccess: { type: 'number', default: -1, min: -1, help: 'the coefficient from the first step with a correct sample on (-1: keep intrinsicCoef)' },
  rndLr: { type: 'number', default: 1e-3, min: 0, help: 'RND predictor learning rate (Adam)' },
  rndUpdates: { type: 'number', default: 4, min: 0, integer: true, help: 'RND predictor updates per step (full batch)' },
  rndHidden: { type: 'number', default: 64, min: 1, integer: true, help: 'RND hidden width (target 2 layers, predictor 3)' },
  rndGamma: { type: 'number', default: 0, min: 0, max: 1, help: 'discount of the intrinsic return whose running std normalises the bonus (0: one-step episodes)' },
  rndSeed: { type: 'number', default: 0, integer: true, help: 'seed of the fixed target and the predictor init' },
} as const satisfies Schema;

export interface IntrinsicSettings {
  intrinsic: 'none' | 'rnd';
  intrinsicCoef: number;
  intrinsicCoefAfterSuccess: number;
  rndLr: number;
  rndUpdates: number;
  rndHidden: number;
  rndGamma: number;
  rndSeed: number;
}

export interface Intrinsic {
  /** The combined advantages and the bonus's metrics; trains the predictor on the batch. */
  apply(rollouts: Rollout[], extrinsic: Float32Array, groups: number[]): { adv: Float32Array; metrics: Record<string, number> };
  state(): IntrinsicState;
  load(state: unknown): void;
}

/** RND's state, plus (only once it happened) that a correct sample has been seen. */
export type IntrinsicState = RndState & { succeeded?: true };

const BUCKETS = 512;

export function makeIntrinsic(o: IntrinsicSettings): Intrinsic | null {
  if (o.intrinsic === 'none') return null;
  const rnd = new Rnd({ inputDim: BUCKETS, hidden: o.rndHidden, outputDim: 32, lr: o.rndLr, updates: o.rndUpdates, gamma: o.rndGamma, seed: o.rndSeed });
  let succeeded = false;
  return {
    apply(rollouts, extrinsic, groups) {
      const r = rnd.step(rollouts.map((x) => ngramFeatures(x.task.prompt, x.text, BUCKETS)));
      const aInt = grpoAdvantages(r.bonus, groups, 'none');
      if (o.intrinsicCoefAfterSuccess >= 0 && rollouts.some((x) => x.outcome.correct)) succeeded = true;
      const coef = succeeded ? o.intrinsicCoefAfterSuccess : o.intrinsicCoef;
      const adv = coef === 0 ? extrinsic : Float32Array.from(extrinsic, (a, i) => a + coef * aInt[i]);
      const mean = (xs: ArrayLike<number>) => Array.from(xs).reduce((a, b) => a + b, 0) / Math.max(xs.length, 1);
      return { adv, metrics: { 'rnd/bonus': mean(r.bonus), 'rnd/raw': mean(r.raw), 'rnd/predictor_loss': r.loss, 'rnd/coef': coef } };
    },
    state: () => ({ ...rnd.state(), ...(succeeded && { succeeded: true as const }) }),
    load: (s) => {
      rnd.load(s as RndState);
      succeeded = (s as IntrinsicState).succeeded === true;
    },
  };
}
