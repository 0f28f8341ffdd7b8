/**
 * DDIM sampling with eta > 0, keeping the whole trajectory and each step's log-probability:
 * what DDPO trains on. Runs without a tape; each step's op outputs are released at once.
 */
import { noGrad, tidy } from '../engine/index.ts';
import type { Rng } from '../util/rng.ts';
import { ddimCoefficients, ddimLogProb, ddimMean } from './ddim.ts';
import type { Denoiser } from './denoiser.ts';
import type { NoiseSchedule } from './schedule.ts';

export interface SampleOptions {
  steps: number;
  eta: number;
  /** Clamp x0_hat to [-1, 1] in each step (default true: the pixels live in [-1, 1]). */
  clipSample?: boolean;
}

export interface Trajectory {
  labels: number[];
  /** Training timestep and alpha-bars of each DDIM step, noisiest first. */
  steps: { t: number; abar: number; abarPrev: number }[];
  /** latents[k] is x before step k (n*P values); latents[steps] is the final image. */
  latents: Float32Array[];
  /** logps[k][i]: log pi of image i's step k under the sampling model. */
  logps: Float64Array[];
}

export function sampleDdim(model: Denoiser, schedule: NoiseSchedule, labels: number[], rng: Rng, opts: SampleOptions): Trajectory {
  const P = model.P, n = labels.length;
  const steps = schedule.ddimSteps(opts.steps);
  let x: Float32Array = new Float32Array(n * P);
  for (let i = 0; i < x.length; i++) x[i] = rng.normal();
  const latents: Float32Array[] = [x], logps: Float64Array[] = [];
  for (const s of steps) {
    const c = ddimCoefficients(s.abar, s.abarPrev, opts.eta, opts.clipSample ?? true);
    const eps = noGrad(() => tidy(() => Float32Array.from(model.predict(x, new Array(n).fill(s.t), labels).data)));
    const next: Float32Array = ddimMean(c, x, eps, new Float32Array(n * P));
    for (let i = 0; i < next.length; i++) next[i] += c.sigma * rng.normal();
    logps.push(c.sigma > 0 ? ddimLogProb(c, x, eps, next, P) : new Float64Array(n));
    latents.push(next);
    x = next;
  }
  return { labels, steps, latents, logps };
}

/** The final images, clamped to [-1, 1]. */
export function finalImages(tr: Trajectory): Float32Array {
  return tr.latents[tr.latents.length - 1].map((v) => Math.max(-1, Math.min(1, v)));
}
