/**
 * The `ambiguous` env: questions with several correct answers of which the user meant one,
 * unknown to the policy (docs/set-objectives.md). `Q: 2*?=4` asks for a digit d with
 * 2*d = 4 (mod 10): 2 and 7 both solve it. Each solution s is one reward function
 * 1[answer = s] (Outcome.components `d=s`), the user's intent uniform over them; the reward is
 * their mean (the expected reward under that uncertainty) and `correct` means "a solution".
 * Level = number of solutions: 2 (a in {2, 4, 6, 8}, b even: 20 prompts) or 5 (a = 5: 2 prompts).
 * Train and test draw from the same prompts: what is measured is which answers the policy
 * gives, not generalisation to new questions. A task's reference is one of its solutions, taken
 * in turn by the task's index (so a pretraining corpus of references shows every solution, not
 * only the smallest); `slipAmbiguous` is the env's slip model, the equation with a wrong digit.
 */
import type { Env, Outcome, Split, Task, TaskOptions } from '../types.ts';
import { completionLines } from '../math/lines.ts';
import { Rng } from '../../util/rng.ts';

const LEVELS = [2, 5] as const;

/** The (a, b) pairs of a level: a*d = b (mod 10) has `level` solutions d in 0-9. */
function questions(level: number): { a: number; b: number; solutions: number[] }[] {
  const out: { a: number; b: number; solutions: number[] }[] = [];
  for (let a = 1; a <= 9; a++) {
    for (let b = 0; b <= 9; b++) {
      const solutions = [...Array(10).keys()].filter((d) => (a * d) % 10 === b);
      if (solutions.length === level) out.push({ a, b, solutions });
    }
  }
  return out;
}

export function ambiguousSolutions(task: Task): string[] {
  const s = task.meta.solutions;
  if (!Array.isArray(s) || !s.every((x) => typeof x === 'string')) throw new Error(`ambiguous: task ${task.id} has no solutions in its meta`);
  return s as string[];
}

/** The digit d of a first line `a*d=b` (the question's a and b), or null when the first line is not that. */
export function filledDigit(a: number, b: number, completion: string): string | null {
  const first = completionLines(completion)[0]?.text.replace(/\s+/g, '') ?? '';
  const m = new RegExp(`^${a}\\*(\\d)=${b}$`).exec(first);
  return m ? m[1] : null;
}

/**
 * A wrong attempt in the answer's format: the question's equation and answer with a digit that
 * is not a solution (uniform over them). A pretraining corpus of references and such slips
 * teaches the format with a free digit, right as often as the corpus's share of references.
 */
export function slipAmbiguous(task: Task, rng: Rng): string {
  const solutions = ambiguousSolutions(task);
  const { a, b } = task.meta as { a: number; b: number };
  const d = rng.pick([...Array(10).keys()].map(String).filter((x) => !solutions.includes(x)));
  return `${a}*${d}=${b}\nA: ${d}`;
}

export function evaluateAmbiguous(task: Task, completion: string): Outcome {
  const solutions = ambiguousSolutions(task);
  const { a, b } = task.meta as { a: number; b: number };
  const answer = filledDigit(a, b, completion);
  const components = Object.fromEntries(solutions.map((s) => [`d=${s}`, answer === s ? 1 : 0]));
  const hit = answer !== null && solutions.includes(answer);
  const reward = hit ? 1 / solutions.length : 0;
  const summary = answer === null ? `the first line is not the equation ${a}*d=${b}` : hit ? `${answer} is one of the ${solutions.length} solutions` : `${answer} is not a solution`;
  return {
    reward, correct: hit, answer: answer ?? undefined, components,
    feedback: { summary, items: hit ? [] : [{ kind: answer === null ? 'format' : 'wrong_answer', text: summary, expected: solutions.join(' or '), actual: answer ?? undefined }] },
  };
}

export function createAmbiguousEnv(options: Record<string, unknown> = {}): Env {
  const unknown = Object.keys(options);
  if (unknown.length) throw new Error(`ambiguous env: unknown option(s) ${unknown.join(', ')}; it has none`);
  return {
    name: 'ambiguous',
    description: 'Questions with several correct answers (`Q: 2*?=4`: d = 2 or 7, mod 10); each solution is one reward function (Outcome.components), the intended one unknown. Levels: number of solutions (2, 5).',
    levels: LEVELS,
    tasks(split: Split, n: number, seed: number, opts?: TaskOptions): Task[] {
      const levels = opts?.levels ?? [2];
      for (const l of levels) if (!(LEVELS as readonly number[]).includes(l)) throw new Error(`ambiguous env: level ${l} does not exist; levels are ${LEVELS.join(', ')} (solutions per question)`);
      const rng = new Rng(seed * 2 + (split === 'test' ? 1 : 0) + (split === 'val' ? 0x5eed_0001 : 0));
      return Array.from({ length: n }, (_, i) => {
        const level = rng.pick(levels);
        const q = rng.pick(questions(level));
        const s = q.solutions.map(String);
        // The i-th task's reference is its (i mod n)-th solution: no draw, so the prompts are what they were.
        const ref = s[i % s.length];
        return {
          id: `ambiguous/${split}/${level}/${String(i).padStart(4, '0')}`, env: 'ambiguous', level,
          prompt: `Q: ${q.a}*?=${q.b}\n`, reference: `${q.a}*${ref}=${q.b}\nA: ${ref}`,
          meta: { a: q.a, b: q.b, solutions: s },
        };
      });
    },
    async evaluate(task, completion) {
      return evaluateAmbiguous(task, completion);
    },
  };
}
