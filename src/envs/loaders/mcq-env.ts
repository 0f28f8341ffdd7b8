/** The `mcq-jsonl` env: multiple-choice science questions, checked on the chosen letter. */
import type { Env, Task } from '../types.ts';
import { LETTERS, extractChoice, loadMcqJsonl, type McqRecord } from './mcq.ts';
import { levelsOf, loadSplits, pickRows, type FileEnvOptions } from './file-tasks.ts';

export interface McqJsonlOptions extends FileEnvOptions {
  /** Prompt template with `{question}` and `{choices}` slots. */
  prompt?: string;
}

export function createMcqJsonlEnv(options: McqJsonlOptions): Env {
  const name = 'mcq-jsonl';
  const files = loadSplits(name, options, loadMcqJsonl);
  const template = options.prompt ?? 'Q: {question}\n{choices}\n';
  if (!template.includes('{question}') || !template.includes('{choices}')) {
    throw new Error(`${name}: the prompt template needs {question} and {choices} slots`);
  }
  const toTask = (r: McqRecord, split: string): Task => ({
    id: `${name}/${split}/${r.level}/${r.id}`,
    env: name,
    prompt: template.replace('{question}', r.question).replace('{choices}', r.choices.map((c, i) => `${LETTERS[i]}. ${c}`).join('\n')),
    reference: `Answer: ${LETTERS[r.answer]}`,
    level: r.level,
    meta: { kind: 'mcq', choices: r.choices, answer: r.answer, line: r.line },
  });
  return {
    name,
    description: 'Multiple-choice questions from a JSONL file (question, choices, answer letter or index); the completion ends with "Answer: X".',
    levels: levelsOf([...files.test, ...(files.train ?? [])]),
    tasks(split, n, seed, opts) {
      return pickRows(name, files, split, n, seed, opts?.levels).map((r) => toTask(r, split));
    },
    async evaluate(task, completion) {
      const choices = task.meta.choices as string[];
      const want = task.meta.answer as number;
      const got = extractChoice(completion, choices);
      if (got === null) {
        return { reward: 0, correct: false, feedback: { summary: 'no choice found', items: [{ kind: 'format', text: `no choice found; end with Answer: <letter A-${LETTERS[choices.length - 1]}>` }] } };
      }
      if (got === want) return { reward: 1, correct: true, feedback: { summary: 'correct', items: [] }, answer: LETTERS[got] };
      return {
        reward: 0,
        correct: false,
        answer: LETTERS[got],
        feedback: { summary: 'wrong choice', items: [{ kind: 'wrong_answer', text: `choice ${LETTERS[got]} is wrong`, expected: LETTERS[want], actual: LETTERS[got] }] },
      };
    },
  };
}
