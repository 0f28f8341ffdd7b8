/**
 * DDPM pretraining: predict the noise added to a clean digit at a random timestep, MSE loss.
 */
import { mean, mul, sub, Tensor } from '../engine/index.ts';
import { clipGradNorm } from '../nn/params.ts';
import { AdamW } from '../nn/optim.ts';
import { Rng } from '../util/rng.ts';
import type { Denoiser } from './denoiser.ts';
import { digitBatch } from './digits.ts';
import type { NoiseSchedule } from './schedule.ts';

/** mean over pixels and images of (eps_pred - eps)^2 at x_t = sqrt(abar) x0 + sqrt(1 - abar) eps. */
export function ddpmLoss(model: Denoiser, schedule: NoiseSchedule, x0: Float32Array, labels: number[], ts: number[], noise: Float32Array): Tensor {
  const P = model.P;
  const xt = new Float32Array(x0.length);
  labels.forEach((_, r) => {
    const a = Math.sqrt(schedule.alphaBar[ts[r]]), b = Math.sqrt(1 - schedule.alphaBar[ts[r]]);
    for (let i = r * P; i < (r + 1) * P; i++) xt[i] = a * x0[i] + b * noise[i];
  });
  const d = sub(model.predict(xt, ts, labels), Tensor.from(noise, [labels.length, P]));
  return mean(mul(d, d));
}

export interface DdpmTrainOptions {
  steps: number;
  batch: number;
  lr: number;
  seed: number;
  /** Called every `logEvery` steps with the mean loss since the last call. */
  log?: (step: number, loss: number) => void;
  logEvery?: number;
}

/** Train on fresh procedural digits; cosine learning-rate decay to 10%, gradient clip 1. */
export function trainDdpm(model: Denoiser, schedule: NoiseSchedule, o: DdpmTrainOptions): void {
  const rng = new Rng(o.seed);
  const opt = new AdamW(model.params, { lr: o.lr, weightDecay: 0 });
  let acc = 0, count = 0;
  const every = o.logEvery ?? 100;
  for (let step = 1; step <= o.steps; step++) {
    const { images, labels } = digitBatch(o.batch, rng);
    const ts = labels.map(() => rng.int(schedule.T));
    const noise = new Float32Array(images.length);
    for (let i = 0; i < noise.length; i++) noise[i] = rng.normal();
    opt.zeroGrad();
    const loss = ddpmLoss(model, schedule, images, labels, ts, noise);
    loss.backward();
    clipGradNorm(model.params.values(), 1);
    const lr = o.lr * (0.1 + 0.9 * 0.5 * (1 + Math.cos((Math.PI * step) / o.steps)));
    opt.step(lr);
    acc += loss.item();
    count++;
    if (o.log && step % every === 0) {
      o.log(step, acc / count);
      acc = 0;
      count = 0;
    }
  }
}
