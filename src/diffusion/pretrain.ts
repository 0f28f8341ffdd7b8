/**
 * The pretraining recipe: a class-conditional DDPM on procedural digits plus the classifier that
 * measures it. Writes a checkpoint folder with a sample grid and the measured quality.
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic.ts';
import { Rng } from '../util/rng.ts';
import { accuracy, classify, makeClassifier, trainClassifier } from './classifier.ts';
import { loadDiffusion, saveDiffusion } from './checkpoint.ts';
import { trainDdpm } from './ddpm.ts';
import { Denoiser } from './denoiser.ts';
import { IMAGE_SIZE, NUM_CLASSES } from './digits.ts';
import { gridPng } from './grid.ts';
import { finalImages, sampleDdim } from './sampler.ts';
import { NoiseSchedule } from './schedule.ts';
import type { Mlp } from './mlp.ts';

export interface PretrainDigitsOptions {
  out: string;
  steps: number;
  batch: number;
  hidden: number;
  depth: number;
  lr: number;
  seed: number;
  classifierSteps: number;
  /** DDIM steps used to measure the samples. */
  sampleSteps: number;
  log: (s: string) => void;
}

export const PRETRAIN_DEFAULTS: Omit<PretrainDigitsOptions, 'out' | 'log'> = {
  steps: 8000, batch: 128, hidden: 384, depth: 3, lr: 1e-3, seed: 1, classifierSteps: 1500, sampleSteps: 20,
};

/** Share of `perClass` samples per digit that the classifier reads as the prompted digit. */
export function sampleAccuracy(model: Denoiser, schedule: NoiseSchedule, clf: Mlp, perClass: number, steps: number, seed: number): { accuracy: number; images: Float32Array; labels: number[] } {
  const labels = Array.from({ length: perClass * NUM_CLASSES }, (_, i) => i % NUM_CLASSES);
  const images = finalImages(sampleDdim(model, schedule, labels, new Rng(seed), { steps, eta: 1 }));
  return { accuracy: accuracy(classify(clf, images), labels), images, labels };
}

export function pretrainDigits(o: PretrainDigitsOptions): { sampleAccuracy: number; classifierAccuracy: number } {
  const t0 = Date.now();
  const clf = makeClassifier(new Rng(o.seed + 1));
  const classifierAccuracy = trainClassifier(clf, { steps: o.classifierSteps, batch: 64, lr: 3e-3, seed: o.seed + 2 });
  o.log(`classifier: held-out accuracy ${(100 * classifierAccuracy).toFixed(1)}% on fresh digits`);
  const schedule = new NoiseSchedule();
  const model = new Denoiser({ imageSize: IMAGE_SIZE, hidden: o.hidden, depth: o.depth }, new Rng(o.seed));
  trainDdpm(model, schedule, { steps: o.steps, batch: o.batch, lr: o.lr, seed: o.seed + 3, logEvery: 500, log: (s, l) => o.log(`ddpm step ${s}/${o.steps} loss ${l.toFixed(4)} (${((Date.now() - t0) / 1000).toFixed(0)} s)`) });
  const recipe = { ...o, log: undefined, out: undefined };
  saveDiffusion(o.out, model, schedule, clf, { recipe }, 'F16');
  // Measure what was shipped: the F16 weights read back.
  const shipped = loadDiffusion(o.out);
  const m = sampleAccuracy(shipped.model, schedule, shipped.classifier!, 20, o.sampleSteps, o.seed + 4);
  o.log(`samples: classifier reads ${(100 * m.accuracy).toFixed(1)}% as the prompted digit (${o.sampleSteps} DDIM steps, eta 1)`);
  saveDiffusion(o.out, shipped.model, schedule, shipped.classifier, { recipe, classifierAccuracy, sampleAccuracy: m.accuracy, sampleSteps: o.sampleSteps, seconds: Math.round((Date.now() - t0) / 1000) }, 'F16');
  writeFileAtomic(join(o.out, 'samples.png'), gridPng(m.images.subarray(0, 100 * IMAGE_SIZE * IMAGE_SIZE), IMAGE_SIZE, 10));
  return { sampleAccuracy: m.accuracy, classifierAccuracy };
}
