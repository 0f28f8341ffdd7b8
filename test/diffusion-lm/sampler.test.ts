import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sampleDlm, sampleGrid, type Denoiser } from '../../src/diffusion-lm/sampler.ts';
import { selfFutureTeacherInput, supervisedPositions } from '../../src/diffusion-lm/self-future.ts';
import { Rng } from '../../src/util/rng.ts';

const MASK = 3, EOS = 2, V = 6;

/** A denoiser from a table: at absolute position p it predicts token tok[p] with probability conf[p]. */
function tableDenoiser(tok: number[], conf: number[], calls: number[][]): Denoiser {
  return (_ids, _B, T, rows) => {
    calls.push([...rows]);
    const out = new Float32Array(rows.length * V);
    rows.forEach((r, n) => {
      const p = r % T;
      // Logits giving probability conf[p] to tok[p], the rest spread evenly.
      for (let v = 0; v < V; v++) out[n * V + v] = Math.log(v === tok[p] ? conf[p] : (1 - conf[p]) / (V - 1));
    });
    return out;
  };
}

test('sampler: 2 tokens per step, the most confident masked positions of the current block first; nothing outside the block', () => {
  // Prompt of 2, genLength 8, blocks of 4, 4 steps: 2 blocks, 2 steps each, 2 tokens per step.
  const tok = [0, 0, 4, 5, 4, 5, 5, 4, 4, 5];
  const conf = [0, 0, 0.3, 0.9, 0.5, 0.8, 0.99, 0.2, 0.4, 0.6];
  const calls: number[][] = [];
  const [tr] = sampleDlm(tableDenoiser(tok, conf, calls), [Int32Array.from([1, 1])], { genLength: 8, blockSize: 4, steps: 4, maskId: MASK, eosId: EOS, temperature: 0 }, new Rng(1));
  const M = MASK;
  // Block 1 (positions 2-5): confidences .3 .9 .5 .8 -> step 1 commits 3 and 5, step 2 commits 4 and 2.
  // Block 2 (positions 6-9): .99 .2 .4 .6 -> 6 and 9, then 8 and 7. Position 6's high confidence waits for its block.
  assert.deepEqual([...tr.states[0]], [1, 1, M, M, M, M, M, M, M, M]);
  assert.deepEqual([...tr.states[1]], [1, 1, M, 5, M, 5, M, M, M, M]);
  assert.deepEqual([...tr.states[2]], [1, 1, 4, 5, 4, 5, M, M, M, M]);
  assert.deepEqual([...tr.states[3]], [1, 1, 4, 5, 4, 5, 5, M, M, 5]);
  assert.deepEqual([...tr.final], [1, 1, 4, 5, 4, 5, 5, 4, 4, 5]);
  assert.deepEqual(tr.stateBlock, [0, 0, 1, 1]);
  // Logits are asked only for the current block's rows.
  assert.deepEqual(calls.map((c) => c.join(',')), ['2,3,4,5', '2,3,4,5', '6,7,8,9', '6,7,8,9']);
  // The last block's states are not trained on.
  assert.deepEqual(tr.trainable, [true, true, false, false]);
});

test('sampler: deterministic from the seed, and Gumbel noise changes the choice', () => {
  const tok = [0, 0, 4, 5, 4, 5, 5, 4, 4, 5], conf = [0, 0, 0.3, 0.4, 0.35, 0.3, 0.3, 0.3, 0.3, 0.3];
  const run = (seed: number) => sampleDlm(tableDenoiser(tok, conf, []), [Int32Array.from([1, 1]), Int32Array.from([0, 1])], { genLength: 8, blockSize: 4, steps: 4, maskId: MASK, eosId: EOS, temperature: 1 }, new Rng(seed)).map((t) => [...t.final].join(','));
  assert.deepEqual(run(5), run(5));
  assert.ok([6, 7, 8, 9].some((s) => run(s).join() !== run(5).join()));
});

test('sampler: a generation length not divisible by the block size is one clear error', () => {
  assert.throws(() => sampleGrid({ genLength: 10, blockSize: 4, steps: 5 }), /generation length 10 is not divisible by the block size 4/);
  assert.throws(() => sampleGrid({ genLength: 8, blockSize: 4, steps: 3 }), /steps 3 is not a multiple of the number of blocks 2/);
  assert.throws(() => sampleGrid({ genLength: 8, blockSize: 4, steps: 6 }), /block size 4 is not divisible by the 3 steps per block/);
  assert.deepEqual(sampleGrid({ genLength: 40, blockSize: 8, steps: 20 }), { blocks: 5, stepsPerBlock: 4, perStep: 2 });
});

test('self-future teacher: of 40 candidate positions exactly 10 (25%) take the final tokens, none inside or before the current block', () => {
  // Prompt 4, blocks of 8, genLength 56: block 1 spans 12..19, candidates are 20..59 (40 positions).
  const P = 4, T = 60;
  const state = new Int32Array(T).fill(MASK);
  for (let i = 0; i < 12; i++) state[i] = 1;
  const final = new Int32Array(T).fill(4);
  for (let seed = 1; seed <= 5; seed++) {
    const { input, replaced } = selfFutureTeacherInput(state, final, { promptLength: P, blockSize: 8, block: 1 }, 0.25, EOS, new Rng(seed));
    assert.equal(replaced.length, 10);
    assert.ok(replaced.every((p) => p >= 20 && p < 60));
    for (let p = 0; p < 20; p++) assert.equal(input[p], state[p]);
    assert.equal([...input].filter((x, p) => p >= 20 && x === 4).length, 10);
  }
  // No future past the answer's <eos>: the teacher sees the state itself.
  final[15] = EOS;
  assert.deepEqual(selfFutureTeacherInput(state, final, { promptLength: P, blockSize: 8, block: 1 }, 0.25, EOS, new Rng(1)).replaced, []);
});

test('supervised positions: the 2 masked positions of the block with the largest teacher logit', () => {
  const state = Int32Array.from([1, 1, MASK, 4, MASK, MASK, MASK, MASK]);
  const maxLogit = (p: number) => [0, 0, 1.5, 9, 0.2, 3, 2, 9][p];
  assert.deepEqual(supervisedPositions(state, { promptLength: 2, blockSize: 4, block: 0 }, MASK, maxLogit, 2), [5, 2]);
  assert.throws(() => supervisedPositions(Int32Array.from([1, 1, 4, 4, 4, MASK]), { promptLength: 2, blockSize: 4, block: 0 }, MASK, maxLogit, 2), /fewer than the 2/);
});
