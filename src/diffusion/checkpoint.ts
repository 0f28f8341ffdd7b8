/**
 * Diffusion checkpoints: a folder with the denoiser (model.safetensors), optionally the digit
 * classifier (classifier.safetensors), and config.json describing both.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Tensor } from '../engine/index.ts';
import { join } from 'node:path';
import { readSafetensors, writeSafetensors } from '../models/safetensors.ts';
import { writeJsonAtomic } from '../util/atomic.ts';
import { Rng } from '../util/rng.ts';
import { makeClassifier } from './classifier.ts';
import { Denoiser, type DenoiserConfig } from './denoiser.ts';
import type { Mlp } from './mlp.ts';
import type { SaveDtype } from '../models/types.ts';
import { DEFAULT_SCHEDULE, NoiseSchedule, type ScheduleConfig } from './schedule.ts';

export interface DiffusionCheckpointConfig {
  kind: 'ddpm-digits';
  denoiser: DenoiserConfig;
  schedule: ScheduleConfig;
  /** Hidden width of the classifier, when the folder has one. */
  classifierHidden?: number;
  /** Anything the writer wants to record (recipe, measured quality). */
  info?: Record<string, unknown>;
}

export interface LoadedDiffusion {
  config: DiffusionCheckpointConfig;
  model: Denoiser;
  schedule: NoiseSchedule;
  classifier?: Mlp;
}

function weights(m: { params: Map<string, Tensor> }) {
  return new Map([...m.params].map(([k, t]) => [k, { shape: [...t.shape], data: t.data }]));
}

/** F16 halves a shipped checkpoint; resume checkpoints stay F32 so a resumed run is exact. */
export function saveDiffusion(dir: string, model: Denoiser, schedule: NoiseSchedule, classifier?: Mlp, info?: Record<string, unknown>, dtype: SaveDtype = 'F32'): void {
  writeSafetensors(join(dir, 'model.safetensors'), weights(model), { dtype });
  if (classifier) writeSafetensors(join(dir, 'classifier.safetensors'), weights(classifier), { dtype });
  const config: DiffusionCheckpointConfig = { kind: 'ddpm-digits', denoiser: model.config, schedule: schedule.config, classifierHidden: classifier?.config.sizes[1], info };
  // config.json last: a folder with a config.json is complete.
  writeJsonAtomic(join(dir, 'config.json'), config);
}

export function loadDiffusion(dir: string): LoadedDiffusion {
  const cfgPath = join(dir, 'config.json');
  if (!existsSync(cfgPath)) throw new Error(`${dir} is not a diffusion checkpoint (no config.json); pass a folder written by 'distil diffusion pretrain' or src/diffusion/checkpoints/digits-ddpm`);
  const config = JSON.parse(readFileSync(cfgPath, 'utf8')) as DiffusionCheckpointConfig;
  if (config.kind !== 'ddpm-digits') throw new Error(`${cfgPath}: kind is ${String(config.kind)}, expected ddpm-digits`);
  const model = new Denoiser(config.denoiser, new Rng(0));
  model.load(readSafetensors(join(dir, 'model.safetensors')).tensors, join(dir, 'model.safetensors'));
  let classifier: Mlp | undefined;
  if (config.classifierHidden) {
    classifier = makeClassifier(new Rng(0), config.classifierHidden);
    classifier.load(readSafetensors(join(dir, 'classifier.safetensors')).tensors, join(dir, 'classifier.safetensors'));
  }
  return { config, model, schedule: new NoiseSchedule(config.schedule ?? DEFAULT_SCHEDULE), classifier };
}
