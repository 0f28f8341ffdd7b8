/** Algorithms by name. Each factory validates its options (unknown keys are errors). */
import { delta, DELTA_OPTIONS } from './delta.ts';
import { distil, DISTIL_OPTIONS } from './distil.ts';
import { exprl, EXPRL_OPTIONS } from './exprl.ts';
import { grpo, GRPO_ALGORITHM_OPTIONS } from './grpo.ts';
import { opd, OPD_OPTIONS } from './opd.ts';
import { opsd, OPSD_OPTIONS } from './opsd.ts';
import { sdpo, SDPO_OPTIONS } from './sdpo.ts';
import { rft, RFT_OPTIONS, sft } from './sft.ts';
import { rlif, RLIF_OPTIONS } from './rlif.ts';
import { setpg, SETPG_OPTIONS } from './setpg.ts';
import { ConfigError, type Schema } from '../util/schema.ts';
import type { Algorithm } from './types.ts';

export interface AlgorithmEntry {
  summary: string;
  options: Schema;
  create(options?: Record<string, unknown>): Algorithm;
}

const registry = new Map<string, AlgorithmEntry>([
  ['distil', { summary: 'DistIL: forward CE toward a feedback-conditioned teacher + future credit', options: DISTIL_OPTIONS, create: distil }],
  ['grpo', { summary: 'GRPO / RLVR: group-relative advantages, clipped policy gradient', options: GRPO_ALGORITHM_OPTIONS, create: grpo }],
  ['delta', { summary: 'DelTA: GRPO with per-token coefficients from hidden-state centroids of rewarded vs punished tokens', options: DELTA_OPTIONS, create: delta }],
  ['rlif', { summary: 'RLIF: label-free GRPO on answer voting + self-certainty (GDPO), optional KL-Cov / Clip-Cov', options: RLIF_OPTIONS, create: rlif }],
  ['setpg', { summary: 'Set PG: expected best of k samples over a distribution of reward functions (PKPO with one)', options: SETPG_OPTIONS, create: setpg }],
  ['exprl', { summary: 'ExpRL: rewards from a judge comparing the work with the hidden reference (outcome: GRPO on its score; process: per-segment score differences)', options: EXPRL_OPTIONS, create: exprl }],
  ['opsd', { summary: 'OPSD: JSD(beta) toward a frozen self shown the reference', options: OPSD_OPTIONS, create: opsd }],
  ['sdpo', { summary: 'SDPO: divergence toward an EMA self shown a successful peer', options: SDPO_OPTIONS, create: sdpo }],
  ['opd', { summary: 'OPD: sampled-token reverse KL as a per-token advantage', options: OPD_OPTIONS, create: opd }],
  ['sft', { summary: 'SFT on the reference solutions', options: {}, create: sft }],
  ['rft', { summary: "RFT: SFT on the student's own correct samples", options: RFT_OPTIONS, create: rft }],
]);

export function algorithmNames(): string[] {
  return [...registry.keys()];
}

export function getAlgorithm(name: string): AlgorithmEntry {
  const e = registry.get(name);
  if (!e) throw new ConfigError(`unknown algorithm '${name}'; known: ${algorithmNames().join(', ')}`);
  return e;
}

export function createAlgorithm(name: string, options?: Record<string, unknown>): Algorithm {
  return getAlgorithm(name).create(options);
}

export function registerAlgorithm(name: string, entry: AlgorithmEntry): void {
  if (registry.has(name)) throw new Error(`algorithm '${name}' is already registered`);
  registry.set(name, entry);
}
