/**
 * The engine's fused softCrossEntropy kernels (TS reference and, when built, native) must agree
 * with the loss function here, which is the spec's reference. Cases avoid the one convention
 * the kernels do not share: tail with k = V and a teacher summing to < 1 (here: no tail outcome).
 */
import { test } from 'node:test';
import { jsKernels, tryNativeKernels } from '../../src/engine/kernels/index.ts';
import type { Kernels } from '../../src/engine/kernels/types.ts';
import { softCrossEntropy } from '../../src/losses/soft-cross-entropy.ts';
import type { Support, TopKTargets } from '../../src/losses/types.ts';
import { nearArray, randomLogits } from './helpers.ts';

function viaKernel(K: Kernels, logits: Float32Array, N: number, V: number, t: TopKTargets, w: Float32Array, support: Support) {
  const lossOut = new Float32Array(N), dLogits = new Float32Array(N * V);
  K.softCrossEntropy({ logits, N, V, ids: t.ids, probs: t.probs, k: t.k, support, rowWeights: w, lossOut, dLogits });
  return { lossOut, dLogits };
}

test('soft cross-entropy agrees with the engine kernels (per-row loss and dLogits)', () => {
  const N = 4, V = 7, k = 3;
  const logits = randomLogits(N * V, 5, 4);
  const t: TopKTargets = {
    k,
    ids: Int32Array.from([6, 0, 3, 1, 2, 4, 5, 6, 0, 3, 2, 1]),
    probs: Float32Array.from([0.5, 0.2, 0.1, 0.9, 0.05, 0.05, 0.3, 0.3, 0.3, 1, 0, 0]),
  };
  const w = Float32Array.from([1, 0.5, 2, 0.25]);
  const full: TopKTargets = { k: V, ids: Int32Array.from({ length: N * V }, (_, i) => (i * 3) % V), probs: new Float32Array(N * V) };
  for (let r = 0; r < N; r++) for (let j = 0; j < V; j++) full.probs[r * V + j] = j === 0 ? 0.4 : 0.1;
  const cases: [TopKTargets, Support][] = [[t, 'tail'], [t, 'renorm'], [full, 'full']];
  const sets = [jsKernels, tryNativeKernels()].filter((K): K is Kernels => K !== null);
  for (const K of sets) {
    for (const [tt, s] of cases) {
      const mine = softCrossEntropy({ logits, N, V }, tt, w, s);
      const theirs = viaKernel(K, logits, N, V, tt, w, s);
      nearArray(theirs.lossOut, mine.perRow!, 1e-5, `${K.name} ${s} loss`);
      nearArray(theirs.dLogits, mine.grad, 1e-5, `${K.name} ${s} grad`);
    }
  }
});
