/**
 * A tiny digit classifier trained on the same procedural digits: it measures whether the
 * diffusion model draws recognisable digits, and is the "prompt alignment" reward.
 */
import { crossEntropy, noGrad, softmax, Tensor, tidy } from '../engine/index.ts';
import { AdamW } from '../nn/optim.ts';
import { Rng } from '../util/rng.ts';
import { digitBatch, IMAGE_SIZE, NUM_CLASSES } from './digits.ts';
import { Mlp } from './mlp.ts';

export function makeClassifier(rng: Rng, hidden = 128): Mlp {
  return new Mlp({ sizes: [IMAGE_SIZE * IMAGE_SIZE, hidden, NUM_CLASSES] }, rng);
}

/** Class probabilities [n, 10] for n images in [-1, 1]. */
export function classify(clf: Mlp, images: Float32Array): Float32Array {
  const P = clf.inputSize;
  if (images.length % P !== 0) throw new Error(`classifier: ${images.length} values are not whole ${Math.sqrt(P)}x${Math.sqrt(P)} images`);
  return noGrad(() => tidy(() => Float32Array.from(softmax(clf.forward(Tensor.from(Float32Array.from(images), [images.length / P, P]))).data)));
}

/** Train on fresh procedural batches; returns held-out accuracy. */
export function trainClassifier(clf: Mlp, opts: { steps: number; batch: number; lr: number; seed: number; log?: (s: string) => void }): number {
  const rng = new Rng(opts.seed);
  const opt = new AdamW(clf.params, { lr: opts.lr, weightDecay: 0 });
  const P = clf.inputSize;
  for (let step = 1; step <= opts.steps; step++) {
    const { images, labels } = digitBatch(opts.batch, rng);
    opt.zeroGrad();
    const loss = crossEntropy(clf.forward(Tensor.from(images, [opts.batch, P])), Int32Array.from(labels));
    loss.backward();
    opt.step(opts.lr * (1 - step / (opts.steps + 1)));
    if (opts.log && step % 200 === 0) opts.log(`classifier step ${step} loss ${loss.item().toFixed(4)}`);
  }
  const test = digitBatch(1000, new Rng(opts.seed + 7777));
  return accuracy(classify(clf, test.images), test.labels);
}

export function accuracy(probs: Float32Array, labels: number[]): number {
  let right = 0;
  labels.forEach((l, i) => {
    let best = 0;
    for (let c = 1; c < NUM_CLASSES; c++) if (probs[i * NUM_CLASSES + c] > probs[i * NUM_CLASSES + best]) best = c;
    if (best === l) right++;
  });
  return right / labels.length;
}
