/** A tiny random diffusion checkpoint for tests (untrained: tests check mechanics, not quality). */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saveDiffusion } from '../../src/diffusion/checkpoint.ts';
import { makeClassifier } from '../../src/diffusion/classifier.ts';
import { Denoiser } from '../../src/diffusion/denoiser.ts';
import { NoiseSchedule } from '../../src/diffusion/schedule.ts';
import { Rng } from '../../src/util/rng.ts';

export function tinyDenoiser(seed = 1, imageSize = 16): Denoiser {
  const m = new Denoiser({ imageSize, hidden: 16, depth: 1 }, new Rng(seed));
  // zeroLast leaves the output layer at 0; give it weights so eps depends on the parameters.
  const rng = new Rng(seed + 1);
  for (const t of m.params.values()) for (let i = 0; i < t.size; i++) t.data[i] = rng.normal() * 0.1;
  return m;
}

export function tinyCheckpoint(seed = 1): string {
  const dir = mkdtempSync(join(tmpdir(), 'distil-ddpo-ck-'));
  saveDiffusion(dir, tinyDenoiser(seed), new NoiseSchedule(), makeClassifier(new Rng(seed + 2), 8), { test: true });
  return dir;
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'distil-ddpo-run-'));
}
