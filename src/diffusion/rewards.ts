/**
 * Rewards on final images (pixels in [-1, 1]). One interface for the built-in rewards and a
 * user's: a function of (image, prompt, size) returning a finite number. A reward that throws
 * or returns a non-finite value does not stop training: the sample is skipped and counted.
 */
import { deflateSync } from 'node:zlib';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { classify } from './classifier.ts';
import type { Mlp } from './mlp.ts';

export type ImageRewardFn = (image: Float32Array, prompt: number, size: number) => number;

export interface ImageReward {
  name: string;
  fn: ImageRewardFn;
}

/** The 8-bit grey image (0 = black). */
export function toBytes(image: Float32Array): Uint8Array {
  return Uint8Array.from(image, (v) => Math.round(((Math.max(-1, Math.min(1, v)) + 1) / 2) * 255));
}

/**
 * -(deflate size in bytes of the image at `bits` bits per pixel): the analogue of the paper's
 * JPEG size. At 8 bits a 16x16 image with any speckle does not compress at all (deflate stores
 * it: 267 bytes for every sample of the shipped model), so the reward is flat; dropping the low
 * bits first, as JPEG's quantisation drops fine detail, gives a reward that varies between samples.
 */
export function compressibilityAt(bits: number): ImageReward {
  if (!(Number.isInteger(bits) && bits >= 1 && bits <= 8)) throw new Error(`compressibility bits must be an integer 1..8, got ${bits}`);
  const shift = 8 - bits;
  return { name: bits === 8 ? 'compressibility' : `compressibility${bits}`, fn: (img) => -deflateSync(toBytes(img).map((b) => b >> shift), { level: 9 }).length };
}

export const compressibility: ImageReward = compressibilityAt(8);

/** Mean pixel value in [0, 1]. */
export const brightness: ImageReward = { name: 'brightness', fn: (img) => img.reduce((a, v) => a + (Math.max(-1, Math.min(1, v)) + 1) / 2, 0) / img.length };

/** The classifier's probability of the prompted digit. */
export function alignment(clf: Mlp): ImageReward {
  return { name: 'alignment', fn: (img, prompt) => classify(clf, img)[prompt] };
}

export interface ScoredBatch {
  /** NaN where the reward failed. */
  rewards: number[];
  failures: { index: number; error: string }[];
}

export function scoreImages(reward: ImageReward, images: Float32Array, prompts: number[], size: number): ScoredBatch {
  const P = size * size;
  const rewards: number[] = [], failures: ScoredBatch['failures'] = [];
  prompts.forEach((p, i) => {
    let r: number;
    try {
      r = reward.fn(images.slice(i * P, (i + 1) * P), p, size);
      if (typeof r !== 'number' || !Number.isFinite(r)) throw new Error(`returned ${String(r)}, not a finite number`);
    } catch (e) {
      failures.push({ index: i, error: (e as Error).message });
      r = NaN;
    }
    rewards.push(r);
  });
  return { rewards, failures };
}

/**
 * A built-in reward by name, or `module:<path>` for a user's ES module whose default export is
 * an ImageRewardFn.
 */
export async function resolveReward(spec: string, clf?: Mlp): Promise<ImageReward> {
  if (spec === 'compressibility') return compressibility;
  const m = /^compressibility([1-7])$/.exec(spec);
  if (m) return compressibilityAt(Number(m[1]));
  if (spec === 'brightness') return brightness;
  if (spec === 'alignment') {
    if (!clf) throw new Error('reward alignment needs a checkpoint with a classifier (classifier.safetensors)');
    return alignment(clf);
  }
  if (spec.startsWith('module:')) {
    const path = resolve(spec.slice('module:'.length));
    let mod: { default?: unknown };
    try {
      mod = await import(pathToFileURL(path).href);
    } catch (e) {
      throw new Error(`reward module ${path} could not be loaded: ${(e as Error).message}`);
    }
    if (typeof mod.default !== 'function') throw new Error(`reward module ${path} must default-export a function (image: Float32Array, prompt: number, size: number) => number`);
    return { name: spec, fn: mod.default as ImageRewardFn };
  }
  throw new Error(`unknown reward '${spec}': use compressibility (8-bit), compressibility1..7 (quantised to that many bits first), brightness, alignment or module:<path to an ES module>`);
}
