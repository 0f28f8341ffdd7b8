/**
 * A toy env for the learning tests: prompt `Q:3`, answer `e`, the letter of the next digit
 * (a..j for 0..9), then end-of-sequence. The answer is the completion's first character (what
 * follows is ignored): the `expert` teacher (the reference, then end-of-sequence) has no advice
 * after a wrong answer and returns the uniform distribution there, and with an exact-match
 * reward the divergence algorithms, trained toward that uniform target after every wrong
 * answer, unlearn end-of-sequence and collapse (measured while writing the test). The answer
 * is a letter so that the state after the answer (ending in a letter) differs from the state
 * before it (ending in a digit).
 */
import { registerEnv, envNames } from '../../src/envs/registry.ts';
import type { Env, Task } from '../../src/envs/types.ts';
import { Rng } from '../../src/util/rng.ts';

export const NEXT_DIGIT = 'learning-next-digit';
const LETTERS = 'abcdefghij';

function task(split: 'train' | 'test', i: number, d: number): Task {
  return { id: `${NEXT_DIGIT}/${split}/${i}`, env: NEXT_DIGIT, prompt: `Q:${d}`, reference: LETTERS[(d + 1) % 10], level: 1, meta: { d } };
}

export function nextDigitEnv(): Env {
  return {
    name: NEXT_DIGIT,
    description: 'answer the letter of the next digit (mod 10)',
    levels: [1],
    tasks(split, n, seed) {
      // The test split covers the ten questions in turn; the train split draws them from the seed.
      if (split === 'test') return Array.from({ length: n }, (_, i) => task('test', i, i % 10));
      const rng = new Rng(seed);
      return Array.from({ length: n }, (_, i) => task('train', i, rng.int(10)));
    },
    async evaluate(t, completion) {
      const correct = completion.charAt(0) === t.reference;
      return {
        reward: correct ? 1 : 0, correct,
        feedback: correct
          ? { summary: 'correct', items: [] }
          : { summary: 'wrong', items: [{ kind: 'wrong_answer', text: `the answer is ${t.reference}`, where: { span: [0, Math.max(1, completion.length)] }, expected: t.reference, actual: completion }] },
      };
    },
  };
}

if (!envNames().includes(NEXT_DIGIT)) registerEnv(NEXT_DIGIT, () => nextDigitEnv());
