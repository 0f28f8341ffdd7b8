/**
 * The intrinsic-reward option of the policy-gradient algorithms (grpo, setpg): `intrinsic: 'rnd'`
 * adds an exploration advantage from random network distillation (losses/rnd.ts) to the
 * algorithm's own. Each completion is a one-step episode, so there is no critic: the intrinsic
 * advantage is the normalised bonus centred on its group's mean, and the two combine as the
 * source's 2 A_ext + 1 A_int, written A_ext + intrinsicCoef * A_int (default 0.5 = the same
 * direction at half the scale), so that intrinsicCoef 0 leaves the algorithm's advantages as they were.
 */
import { grpoAdvantages } from '../losses/advantages.ts';
import { ngramFeatures } from '../losses/ngram-features.ts';
import { Rnd, type RndState } from '../losses/rnd.ts';
import type { Schema } from '../util/schema.ts';
import type { Rollout } from './types.ts';

export const INTRINSIC_OPTIONS = {
  intrinsic: { type: 'enum', values: ['none', 'rnd'], default: 'none', help: "exploration bonus: 'rnd' (random network distillation over hashed n-grams of prompt and completion)" },
  intrinsicCoef: { type: 'number', default: 0.5, min: 0, help: 'A = A_ext + coef * A_int (0.5: the source 2:1; 0: no effect)' },
  rndLr: { type: 'number', default: 1e-3, min: 0, help: 'RND predictor learning rate (Adam)' },
  rndUpdates: { type: 'number', default: 4, min: 0, integer: true, help: 'RND predictor updates per step (full batch)' },
  rndHidden: { type: 'number', default: 64, min: 1, integer: true, help: 'RND hidden width (target 2 layers, predictor 3)' },
  rndGamma: { type: 'number', default: 0, min: 0, max: 1, help: 'discount of the intrinsic return whose running std normalises the bonus (0: one-step episodes)' },
  rndSeed: { type: 'number', default: 0, integer: true, help: 'seed of the fixed target and the predictor init' },
} as const satisfies Schema;

export interface IntrinsicSettings {
  intrinsic: 'none' | 'rnd';
  intrinsicCoef: number;
  rndLr: number;
  rndUpdates: number;
  rndHidden: number;
  rndGamma: number;
  rndSeed: number;
}

export interface Intrinsic {
  /** The combined advantages and the bonus's metrics; trains the predictor on the batch. */
  apply(rollouts: Rollout[], extrinsic: Float32Array, groups: number[]): { adv: Float32Array; metrics: Record<string, number> };
  state(): RndState;
  load(state: unknown): void;
}

const BUCKETS = 512;

export function makeIntrinsic(o: IntrinsicSettings): Intrinsic | null {
  if (o.intrinsic === 'none') return null;
  const rnd = new Rnd({ inputDim: BUCKETS, hidden: o.rndHidden, outputDim: 32, lr: o.rndLr, updates: o.rndUpdates, gamma: o.rndGamma, seed: o.rndSeed });
  return {
    apply(rollouts, extrinsic, groups) {
      const r = rnd.step(rollouts.map((x) => ngramFeatures(x.task.prompt, x.text, BUCKETS)));
      const aInt = grpoAdvantages(r.bonus, groups, 'none');
      const adv = o.intrinsicCoef === 0 ? extrinsic : Float32Array.from(extrinsic, (a, i) => a + o.intrinsicCoef * aInt[i]);
      const mean = (xs: ArrayLike<number>) => Array.from(xs).reduce((a, b) => a + b, 0) / Math.max(xs.length, 1);
      return { adv, metrics: { 'rnd/bonus': mean(r.bonus), 'rnd/raw': mean(r.raw), 'rnd/predictor_loss': r.loss } };
    },
    state: () => rnd.state(),
    load: (s) => rnd.load(s as RndState),
  };
}
