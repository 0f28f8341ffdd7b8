/**
 * The `lock` env, an exploration test (docs/rnd.md): each task is a numbered lock whose answer
 * line must be one hidden code of `level` digits (`Q: lock 3` ... `A: 42`). Reward 1 for the
 * code, 0 for anything else: no partial credit, so a policy that never produces the code gets
 * no signal from a group-relative advantage. The codes are fixed by the lock number (option
 * `locks`: how many, default 16); train and test draw the same locks, and what is measured is
 * how soon, and how many, locks a method opens.
 *
 * Option `answerInPrompt`: the prompt ends with `A: ` and the completion is the code itself
 * (its first line; stop the sampler at a newline). Without it, a model may write working lines
 * before the answer, and a novelty bonus can pay for variety there instead of in the answer.
 */
import type { Env, Outcome, Split, Task, TaskOptions } from '../types.ts';
import { answerOf, completionLines } from '../math/lines.ts';
import { Rng } from '../../util/rng.ts';

const LEVELS = [1, 2, 3, 4] as const;

export function lockCode(lock: number, digits: number): string {
  const rng = new Rng(0x10c4 + lock * 7919 + digits);
  let s = String(1 + rng.int(9)); // no leading zero: `A: 07` and `A: 7` would be one answer
  while (s.length < digits) s += String(rng.int(10));
  return s;
}

export function evaluateLock(task: Task, completion: string): Outcome {
  const code = String(task.meta.code);
  let answer: string | null = null;
  if (task.meta.answerInPrompt) {
    const first = completion.split('\n')[0].trim();
    answer = first === '' ? null : first;
  } else {
    const lines = completionLines(completion);
    for (let i = lines.length - 1; i >= 0 && answer === null; i--) answer = answerOf(lines[i].text);
  }
  const open = answer === code;
  const summary = answer === null ? 'no answer line' : open ? 'the lock opens' : 'the lock stays shut';
  return { reward: open ? 1 : 0, correct: open, answer: answer ?? undefined, feedback: { summary, items: open ? [] : [{ kind: answer === null ? 'format' : 'wrong_answer', text: summary }] } };
}

export function createLockEnv(options: Record<string, unknown> = {}): Env {
  const { locks = 16, answerInPrompt = false, ...rest } = options;
  if (Object.keys(rest).length) throw new Error(`lock env: unknown option(s) ${Object.keys(rest).join(', ')}; known: locks, answerInPrompt`);
  if (typeof answerInPrompt !== 'boolean') throw new Error(`lock env: answerInPrompt must be true or false, got ${JSON.stringify(answerInPrompt)}`);
  if (!Number.isInteger(locks) || (locks as number) < 1) throw new Error(`lock env: locks must be a whole number >= 1, got ${JSON.stringify(locks)}`);
  return {
    name: 'lock',
    description: 'Exploration test: `Q: lock N`, reward 1 only for the hidden code of `level` digits on the answer line (`A: 42`), 0 otherwise.',
    levels: LEVELS,
    tasks(split: Split, n: number, seed: number, opts?: TaskOptions): Task[] {
      const levels = opts?.levels ?? [2];
      for (const l of levels) if (!(LEVELS as readonly number[]).includes(l)) throw new Error(`lock env: level ${l} does not exist; levels are ${LEVELS.join(', ')} (code digits)`);
      const rng = new Rng(seed * 2 + (split === 'test' ? 1 : 0) + (split === 'val' ? 0x5eed_0001 : 0));
      return Array.from({ length: n }, (_, i) => {
        const level = rng.pick(levels);
        const lock = rng.int(locks as number);
        const code = lockCode(lock, level);
        return { id: `lock/${split}/${level}/${String(i).padStart(4, '0')}`, env: 'lock', level, prompt: `Q: lock ${lock}\n${answerInPrompt ? 'A: ' : ''}`, reference: answerInPrompt ? code : `A: ${code}`, meta: { lock, code, answerInPrompt } };
      });
    },
    async evaluate(task, completion) {
      return evaluateLock(task, completion);
    },
  };
}
