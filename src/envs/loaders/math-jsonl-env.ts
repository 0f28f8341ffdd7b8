/** The `math-jsonl` env: GSM8K/MATH-style files, checked on the final answer only. */
import type { Env, Task } from '../types.ts';
import { answersEqual, canonicalAnswer, extractAnswer } from './answers.ts';
import { loadMathJsonl, type MathRecord } from './gsm8k.ts';
import { levelsOf, loadSplits, pickRows, type FileEnvOptions } from './file-tasks.ts';

export interface MathJsonlOptions extends FileEnvOptions {
  /** Prompt template with a `{question}` slot (default `Q: {question}\n`). */
  prompt?: string;
}

export function createMathJsonlEnv(options: MathJsonlOptions): Env {
  const name = 'math-jsonl';
  const files = loadSplits(name, options, loadMathJsonl);
  const template = options.prompt ?? 'Q: {question}\n';
  if (!template.includes('{question}')) throw new Error(`${name}: the prompt template needs a {question} slot`);
  const toTask = (r: MathRecord, split: string): Task => ({
    id: `${name}/${split}/${r.level}/${r.id}`,
    env: name,
    prompt: template.replace('{question}', r.question),
    reference: r.solution ? (r.solution.includes('####') || r.solution.includes('\\boxed') ? r.solution : `${r.solution}\nanswer: ${r.answer}`) : `answer: ${r.answer}`,
    level: r.level,
    meta: { kind: 'math-jsonl', answer: r.answer, line: r.line },
  });
  return {
    name,
    description: 'Math word problems from a GSM8K/MATH-style JSONL file; the final answer (#### x, \\boxed{x} or answer: x) is compared numerically.',
    levels: levelsOf([...files.test, ...(files.train ?? [])]),
    tasks(split, n, seed, opts) {
      return pickRows(name, files, split, n, seed, opts?.levels).map((r) => toTask(r, split));
    },
    async evaluate(task, completion) {
      const want = String(task.meta.answer);
      const got = extractAnswer(completion);
      if (got === null) {
        return { reward: 0, correct: false, feedback: { summary: 'no final answer', items: [{ kind: 'format', text: 'no final answer found; end with answer: <value>' }] } };
      }
      const correct = answersEqual(got, want);
      const answer = canonicalAnswer(got);
      return correct
        ? { reward: 1, correct, feedback: { summary: 'correct', items: [] }, answer }
        : { reward: 0, correct, feedback: { summary: 'wrong final answer', items: [{ kind: 'wrong_answer', text: `final answer ${got} is wrong`, expected: want, actual: got }] }, answer };
    },
  };
}
