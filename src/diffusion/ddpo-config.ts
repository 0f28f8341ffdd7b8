/** DDPO run settings, their defaults (sized for a 2-core machine) and their validation. */
import type { DdpoVariant } from './ddpo-loss.ts';

export interface DdpoConfig {
  /** Diffusion checkpoint folder to start from. */
  checkpoint: string;
  /** compressibility | brightness | alignment | module:<path>. */
  reward: string;
  /** Other rewards logged every epoch (reward against reward). */
  queries: string[];
  variant: DdpoVariant;
  seed: number;
  epochs: number;
  /** Images sampled per epoch. */
  samplesPerEpoch: number;
  /** Images per optimiser step: samplesPerEpoch / trainBatch updates per inner epoch. */
  trainBatch: number;
  innerEpochs: number;
  sampleSteps: number;
  eta: number;
  /** Clamp x0_hat to [-1, 1] in each DDIM step (sampling and log-probs alike). */
  clipSample: boolean;
  lr: number;
  weightDecay: number;
  maxGradNorm: number;
  clipRange: number;
  advClip: number;
  /** Share of each trajectory's timesteps trained on (chosen at random per image). */
  timestepFraction: number;
  perPromptTracking: boolean;
  trackerBuffer: number;
  trackerMinCount: number;
  /** The digits to prompt with. */
  prompts: number[];
  checkpointEvery: number;
}

export const DDPO_DEFAULTS: Omit<DdpoConfig, 'checkpoint'> = {
  reward: 'compressibility', queries: ['compressibility', 'brightness', 'alignment'], variant: 'is', seed: 1, epochs: 30,
  samplesPerEpoch: 64, trainBatch: 16, innerEpochs: 1, sampleSteps: 20, eta: 1, clipSample: true, lr: 1e-4, weightDecay: 1e-4, maxGradNorm: 1,
  clipRange: 1e-4, advClip: 5, timestepFraction: 1, perPromptTracking: true, trackerBuffer: 32, trackerMinCount: 16,
  prompts: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], checkpointEvery: 5,
};

function posInt(c: DdpoConfig, k: keyof DdpoConfig): void {
  const v = c[k] as number;
  if (!(Number.isInteger(v) && v >= 1)) throw new Error(`ddpo config: ${k} must be a positive integer, got ${v}`);
}

export function validateDdpoConfig(c: DdpoConfig): DdpoConfig {
  if (c.variant !== 'is' && c.variant !== 'sf') throw new Error(`ddpo config: variant must be 'is' (importance-sampled, clipped) or 'sf' (REINFORCE), got '${c.variant}'`);
  for (const k of ['epochs', 'samplesPerEpoch', 'trainBatch', 'innerEpochs', 'sampleSteps', 'trackerBuffer', 'trackerMinCount', 'checkpointEvery'] as const) posInt(c, k);
  if (c.samplesPerEpoch % c.trainBatch !== 0) throw new Error(`ddpo config: samplesPerEpoch ${c.samplesPerEpoch} must be a multiple of trainBatch ${c.trainBatch}`);
  if (!(c.eta > 0)) throw new Error(`ddpo config: eta must be > 0 (eta = 0 is deterministic and has no log-probability), got ${c.eta}`);
  if (!(c.timestepFraction > 0 && c.timestepFraction <= 1)) throw new Error(`ddpo config: timestepFraction must be in (0, 1], got ${c.timestepFraction}`);
  for (const k of ['lr', 'clipRange', 'advClip', 'maxGradNorm'] as const) if (!(c[k] > 0)) throw new Error(`ddpo config: ${k} must be > 0, got ${c[k]}`);
  if (!Array.isArray(c.prompts) || c.prompts.length === 0) throw new Error('ddpo config: prompts must be a non-empty list of digits');
  for (const p of c.prompts) if (!(Number.isInteger(p) && p >= 0 && p <= 9)) throw new Error(`ddpo config: prompt ${p} is not a digit class: use integers 0..9`);
  return c;
}
