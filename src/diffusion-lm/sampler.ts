/**
 * Semi-autoregressive masked-diffusion sampling (LLaDA's `generate` with low-confidence
 * remasking). The completion starts as genLength [MASK]s and is filled block by block, left to
 * right; inside a block, each step predicts every masked position at once and commits only the
 * `perStep` most confident ones:
 *
 *   x0_i  = argmax_v (logit_iv + temperature * g_iv),  g ~ Gumbel(0, 1)   (temperature 0: argmax)
 *   c_i   = softmax(logit_i)[x0_i]                                        (confidence, no noise)
 *   commit the perStep masked positions of the current block with the highest c_i.
 *
 * Positions outside the current block are never touched in that block's steps. Every state
 * x_s (before each step) is kept: d-OPSD trains on them. A state counts as trainable when, as in
 * the authors' code, it is not in the last block and still has a [MASK] before its first <eos>
 * (once the answer is closed the rest is padding).
 *
 * Deterministic given the Rng: the uniforms are drawn in a fixed order.
 */
import { noGrad } from '../engine/index.ts';
import type { Transformer } from '../nn/transformer.ts';
import type { Rng } from '../util/rng.ts';

/** ids [B*T] -> logits [rows.length, V] of the given rows (indices into the B*T tokens). */
export type Denoiser = (ids: Int32Array, B: number, T: number, rows: Int32Array) => Float32Array;

export function transformerDenoiser(model: Transformer): Denoiser {
  return (ids, B, T, rows) => noGrad(() => Float32Array.from(model.forward(ids, B, T, { causal: false, outputRows: rows }).data));
}

export interface SampleShape {
  genLength: number;
  blockSize: number;
  /** Denoising steps over the whole completion; genLength / steps tokens are committed per step. */
  steps: number;
}

export interface SampleOptions extends SampleShape {
  maskId: number;
  eosId: number;
  /** Gumbel noise scale on the logits when choosing x0 (0: greedy). */
  temperature: number;
  /** Keep the trajectory's states (default true). */
  keepStates?: boolean;
}

export interface Trajectory {
  promptLength: number;
  /** Prompt + completion after the last step. */
  final: Int32Array;
  /** x_0 .. x_{S-1}: the sequence before each step (prompt + completion). */
  states: Int32Array[];
  /** Block each state's step works on. */
  stateBlock: number[];
  /** Whether each state is used for training (see the file comment). */
  trainable: boolean[];
}

/** Blocks, steps per block and tokens per step; one clear error when the shape does not divide. */
export function sampleGrid(s: SampleShape): { blocks: number; stepsPerBlock: number; perStep: number } {
  const { genLength, blockSize, steps } = s;
  for (const [k, v] of Object.entries({ genLength, blockSize, steps }))
    if (!(Number.isInteger(v) && v >= 1)) throw new Error(`diffusion-lm sampler: ${k} must be a positive integer, got ${v}`);
  if (genLength % blockSize !== 0) throw new Error(`diffusion-lm sampler: generation length ${genLength} is not divisible by the block size ${blockSize}; choose genLength as a multiple of blockSize`);
  const blocks = genLength / blockSize;
  if (steps % blocks !== 0) throw new Error(`diffusion-lm sampler: steps ${steps} is not a multiple of the number of blocks ${blocks} (genLength ${genLength} / blockSize ${blockSize})`);
  const stepsPerBlock = steps / blocks;
  if (blockSize % stepsPerBlock !== 0) throw new Error(`diffusion-lm sampler: block size ${blockSize} is not divisible by the ${stepsPerBlock} steps per block; every step must commit the same number of tokens`);
  return { blocks, stepsPerBlock, perStep: blockSize / stepsPerBlock };
}

function gumbel(rng: Rng): number {
  return -Math.log(-Math.log(1 - rng.next() * (1 - 1e-12)));
}

/** Sample completions for B prompts of equal length. */
export function sampleDlm(denoise: Denoiser, prompts: Int32Array[], o: SampleOptions, rng: Rng): Trajectory[] {
  const { blocks, stepsPerBlock, perStep } = sampleGrid(o);
  const B = prompts.length;
  if (!B) return [];
  const P = prompts[0].length;
  for (const p of prompts) if (p.length !== P) throw new Error(`diffusion-lm sampler: prompts of one call must have equal lengths (got ${P} and ${p.length}); group them by length`);
  const T = P + o.genLength, bs = o.blockSize;
  const x = new Int32Array(B * T).fill(o.maskId);
  prompts.forEach((p, b) => x.set(p, b * T));
  const out: Trajectory[] = prompts.map(() => ({ promptLength: P, final: new Int32Array(T), states: [], stateBlock: [], trainable: [] }));
  const rows = new Int32Array(B * bs);
  for (let n = 0; n < blocks; n++) {
    const start = P + n * bs;
    for (let b = 0; b < B; b++) for (let j = 0; j < bs; j++) rows[b * bs + j] = b * T + start + j;
    for (let s = 0; s < stepsPerBlock; s++) {
      if (o.keepStates ?? true)
        for (let b = 0; b < B; b++) {
          const row = x.slice(b * T, (b + 1) * T);
          out[b].states.push(row);
          out[b].stateBlock.push(n);
          out[b].trainable.push(n < blocks - 1 && maskBeforeEos(row, P, o.maskId, o.eosId));
        }
      const logits = denoise(x, B, T, rows);
      const V = logits.length / rows.length;
      for (let b = 0; b < B; b++) {
        const cand: { pos: number; tok: number; conf: number }[] = [];
        for (let j = 0; j < bs; j++) {
          const pos = b * T + start + j;
          if (x[pos] !== o.maskId) continue;
          const l = logits.subarray((b * bs + j) * V, (b * bs + j + 1) * V);
          let best = 0, bestScore = -Infinity, max = -Infinity;
          for (let v = 0; v < V; v++) {
            const score = o.temperature > 0 ? l[v] + o.temperature * gumbel(rng) : l[v];
            if (score > bestScore) [bestScore, best] = [score, v];
            if (l[v] > max) max = l[v];
          }
          let z = 0;
          for (let v = 0; v < V; v++) z += Math.exp(l[v] - max);
          cand.push({ pos, tok: best, conf: Math.exp(l[best] - max) / z });
        }
        // Most confident first; ties go to the leftmost position (a stable sort keeps that order).
        cand.sort((a, c) => c.conf - a.conf);
        for (const c of cand.slice(0, perStep)) x[c.pos] = c.tok;
      }
    }
  }
  prompts.forEach((_, b) => out[b].final.set(x.subarray(b * T, (b + 1) * T)));
  return out;
}

function maskBeforeEos(row: Int32Array, P: number, maskId: number, eosId: number): boolean {
  for (let i = P; i < row.length; i++) {
    if (row[i] === eosId) return false;
    if (row[i] === maskId) return true;
  }
  return false;
}
