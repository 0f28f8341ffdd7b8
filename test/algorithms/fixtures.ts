/**
 * A hand-made step for the algorithm tests: 2 prompts x 2 samples with rewards, sampler
 * log-probs and confidences, teacher top-2 distributions, reference log-probs and feedback
 * locations. Every number is chosen so that the expected LossSpec can be written by hand.
 */
import assert from 'node:assert/strict';
import type { LossSpec, LossTerm, TrainBatch } from '../../src/backends/types.ts';
import type { Rollout, StepData } from '../../src/algorithms/types.ts';
import type { Task } from '../../src/envs/types.ts';
import { lossSpecLoss } from '../../src/losses/terms.ts';
import { Rng } from '../../src/util/rng.ts';

export const V = 32;
export const K = 2;
const EOS = 2;

function task(i: number): Task {
  return { id: `toy/train/${i}`, env: 'toy', prompt: `Q${i}`, reference: 'A', level: 1, meta: {} };
}

interface Spec {
  group: number;
  tokens: number[];
  logprobs: number[];
  /** The sampler's top probability at each position (stored as its log). */
  maxProbs: number[];
  reward: number;
  /** Teacher: top-1 probability at each position (top-2 gets half the rest). */
  teacherTop: number[];
  /** Teacher log-prob of each sampled token. */
  teacherLogprobs: number[];
  ref: number[];
  feedbackStart: number;
}

export const SPECS: Spec[] = [
  { group: 0, tokens: [20, 21, EOS], logprobs: [-0.5, -1.0, -0.1], maxProbs: [0.7, 0.4, 0.95], reward: 1, teacherTop: [0.9, 0.3, 0.99], teacherLogprobs: [-0.1, -1.2, -0.01], ref: [-0.6, -0.9, -0.2], feedbackStart: Infinity },
  { group: 0, tokens: [22, EOS], logprobs: [-2.0, -0.3], maxProbs: [0.5, 0.8], reward: 0, teacherTop: [0.6, 0.7], teacherLogprobs: [-3.0, -0.4], ref: [-1.8, -0.5], feedbackStart: 0 },
  { group: 1, tokens: [20, EOS], logprobs: [-0.7, -0.2], maxProbs: [0.6, 0.9], reward: 0.5, teacherTop: [0.5, 0.95], teacherLogprobs: [-0.69, -0.05], ref: [-0.7, -0.3], feedbackStart: 1 },
  { group: 1, tokens: [23, 24, EOS], logprobs: [-1.5, -2.5, -0.05], maxProbs: [0.3, 0.2, 0.97], reward: 0, teacherTop: [0.8, 0.1, 0.96], teacherLogprobs: [-2.0, -2.3, -0.04], ref: [-1.4, -2.0, -0.1], feedbackStart: 2 },
];

export const LENGTHS = SPECS.map((s) => s.tokens.length);
export const TOTAL = LENGTHS.reduce((a, b) => a + b, 0);

/** Teacher top-2 ids at position t of rollout i: distinct per position. */
function teacherIds(i: number, t: number): [number, number] {
  return [(3 + 5 * i + t) % V, (4 + 5 * i + t) % V];
}

export function makeStep(over: { rewards?: number[]; maxLogprobs?: boolean; k?: number } = {}): StepData {
  const k = over.k ?? K;
  const rollouts: Rollout[] = SPECS.map((s, i) => {
    const reward = over.rewards?.[i] ?? s.reward;
    return {
      task: task(s.group), group: s.group, prompt: [10 + 2 * s.group, 11 + 2 * s.group], tokens: [...s.tokens], text: `sample ${i}`,
      logprobs: Float32Array.from(s.logprobs),
      maxLogprobs: over.maxLogprobs === false ? undefined : Float32Array.from(s.maxProbs.map(Math.log)),
      outcome: { reward, correct: reward === 1, feedback: { summary: reward === 1 ? 'correct' : 'wrong', items: [] } },
    };
  });
  const teacher = SPECS.map((s, i) => {
    const T = s.tokens.length;
    const topIds = new Int32Array(T * k), topProbs = new Float32Array(T * k);
    for (let t = 0; t < T; t++) {
      const ids = teacherIds(i, t);
      for (let j = 0; j < k; j++) {
        topIds[t * k + j] = j < 2 ? ids[j] : (20 + j + t) % V;
        topProbs[t * k + j] = j === 0 ? s.teacherTop[t] : j === 1 ? (1 - s.teacherTop[t]) / 2 : 0;
      }
    }
    return { context: `context ${i}`, contextTokens: [30, 31], scored: { logprobs: Float32Array.from(s.teacherLogprobs), topIds, topProbs, k } };
  });
  return {
    rollouts,
    teacher,
    refLogprobs: SPECS.map((s) => Float32Array.from(s.ref)),
    feedbackStarts: SPECS.map((s) => s.feedbackStart),
  };
}

export function termOf<Kind extends LossTerm['kind']>(spec: LossSpec, i: number, kind: Kind): Extract<LossTerm, { kind: Kind }> {
  const t = spec.terms[i];
  assert.ok(t, `the spec has no term ${i}`);
  assert.equal(t.kind, kind);
  return t as Extract<LossTerm, { kind: Kind }>;
}

/** Float32 per-token arrays as plain numbers (for deepEqual against hand values, rounded to float32). */
export function plain(arrs: ArrayLike<number>[] | undefined): number[][] | undefined {
  return arrs?.map((a) => Array.from(a));
}

export function f32(xs: number[][]): number[][] {
  return xs.map((x) => Array.from(Float32Array.from(x)));
}

export function assertClose(actual: ArrayLike<number>[], expected: number[][], tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: ${actual.length} sequences, expected ${expected.length}`);
  expected.forEach((row, i) => {
    assert.equal(actual[i].length, row.length, `${what}[${i}]: length`);
    row.forEach((v, t) => assert.ok(Math.abs(actual[i][t] - v) <= tol, `${what}[${i}][${t}] = ${actual[i][t]}, expected ${v}`));
  });
}

/** The batch the algorithm trains on is the given rollouts' prompts and completions. */
export function assertBatchOf(batch: TrainBatch, step: StepData, indices: number[]): void {
  assert.deepEqual(batch.sequences, indices.map((i) => ({ prompt: step.rollouts[i].prompt, completion: step.rollouts[i].tokens })));
}

/** The loss adapter accepts the spec (shapes agree) and gives a finite loss on random logits. */
export function assertComputable(spec: LossSpec, batch: TrainBatch): number {
  const completions = batch.sequences.map((s) => s.completion);
  const N = completions.reduce((a, c) => a + c.length, 0);
  const rng = new Rng(5);
  const logits = Float32Array.from({ length: N * V }, () => 2 * rng.next() - 1);
  const r = lossSpecLoss(spec, { logits, N, V }, completions);
  assert.ok(Number.isFinite(r.loss), `loss ${r.loss}`);
  assert.equal(r.grad.length, N * V);
  return r.loss;
}
