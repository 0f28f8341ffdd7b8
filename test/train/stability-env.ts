/**
 * Helpers for the stability experiments and test (docs/stability.md).
 *
 * The RL env is the learning tests' toy task (test/train/learning-env.ts: `Q:3` -> `e`). A
 * self-teacher (live, frozen, EMA) is the student shown `{prompt}{attempt}\nFeedback:
 * {feedback}\n{prompt}`; a model warmed up on plain prompts only has never seen such a context
 * and is a confidently wrong teacher there (learning.test.ts measured 0.79 on a wrong letter).
 * So the warm-up env here mixes, like the built-in setting's pretraining corpus, plain prompts
 * (half) with the very contexts the DistIL teacher will be shown: an attempt with
 * `Feedback: correct` (a quarter), and a wrong attempt with `Feedback: the answer is <x>` (a
 * quarter), each followed by the re-stated prompt and the answer the context gives. In these
 * contexts the letter is random (not the task's answer), so the teacher learns to follow the
 * feedback, not to recompute the answer: early in the warm-up it is a much better teacher
 * than the student (as a teacher shown feedback should be). Its test split is the plain task.
 */
import { registerEnv, envNames } from '../../src/envs/registry.ts';
import type { Env, Task } from '../../src/envs/types.ts';
import { LocalBackend } from '../../src/backends/local.ts';
import { loadModelFolder } from '../../src/models/folder.ts';
import { transformerFromWeights } from '../../src/models/transformer-io.ts';
import { collectRollouts } from '../../src/train/rollouts.ts';
import { Rng } from '../../src/util/rng.ts';
import { nextDigitEnv } from './learning-env.ts';

export const WARM_ENV = 'stability-warm';
const LETTERS = 'abcdefghij';

/** Plain prompt, or the feedback context after an attempt `x` marked correct / a wrong attempt `y` with the answer `x`. */
export function warmPrompt(d: number, kind: 'plain' | 'correct' | 'wrong', x = (d + 1) % 10, y = (x + 5) % 10): string {
  if (kind === 'plain') return `Q:${d}`;
  if (kind === 'correct') return `Q:${d}${LETTERS[x]}\nFeedback: correct\nQ:${d}`;
  return `Q:${d}${LETTERS[y]}\nFeedback: the answer is ${LETTERS[x]}\nQ:${d}`;
}

/**
 * `plainDigits`: the digits d whose plain prompt `Q:d` appears in the corpus (default all ten).
 * With fewer, the model learns to follow feedback for every digit but to answer alone only for
 * those: a weak student with a good teacher, to check that a stable setting still learns.
 */
function warmEnv(plainDigits = 10): Env {
  const base = nextDigitEnv();
  return {
    name: WARM_ENV,
    description: 'next-digit letters, half of the prompts inside DistIL teacher contexts (warm-up corpus)',
    levels: [1],
    tasks(split, n, seed) {
      if (split === 'test') return base.tasks('test', n, seed);
      const rng = new Rng(seed);
      return Array.from({ length: n }, (_, i) => {
        const u = rng.next();
        const d = u < 0.5 ? rng.int(plainDigits) : rng.int(10);
        // Inside a context the answer is a random letter, said by the feedback (after a
        // different wrong attempt) or by the attempt marked correct: the contexts teach the
        // teacher to follow what it is shown, and only the plain prompts teach the task.
        const x = rng.int(10);
        let y = rng.int(9);
        if (y >= x) y++;
        const prompt = u < 0.5 ? `Q:${d}` : u < 0.75 ? `Q:${d}${LETTERS[x]}\nFeedback: correct\nQ:${d}` : `Q:${d}${LETTERS[y]}\nFeedback: the answer is ${LETTERS[x]}\nQ:${d}`;
        const reference = u < 0.5 ? LETTERS[(d + 1) % 10] : LETTERS[x];
        return { id: `${WARM_ENV}/train/${i}`, env: WARM_ENV, prompt, reference, level: 1, meta: { d } };
      });
    },
    evaluate: (t, c) => base.evaluate(t, c),
  };
}

if (!envNames().includes(WARM_ENV)) registerEnv(WARM_ENV, (o) => warmEnv((o?.plainDigits as number | undefined) ?? 10));

/**
 * Accuracy (first character right) of a model folder at temperature 1 on `prompt(d)` for
 * d = 0..9, `samples` each, with sampling seeds from `seedBase`: the student on plain prompts,
 * or the teacher inside a context.
 */
export async function accuracyOn(modelDir: string, prompt: (d: number) => string, samples: number, seedBase: number, answer = (d: number) => (d + 1) % 10): Promise<number> {
  const f = loadModelFolder(modelDir);
  const backend = new LocalBackend(transformerFromWeights(f.config, f.weights, modelDir), { tokenizer: f.tokenizer! });
  const env = nextDigitEnv();
  const tasks: Task[] = Array.from({ length: 10 }, (_, d) => ({ id: `acc/${d}`, env: env.name, prompt: prompt(d), reference: LETTERS[answer(d)], level: 1, meta: { d } }));
  const rs = await collectRollouts(backend, env, f.tokenizer!, tasks, { groupSize: samples, maxTokens: 2, temperature: 1, topP: 1, seedBase });
  return rs.filter((r) => r.outcome.correct).length / rs.length;
}
