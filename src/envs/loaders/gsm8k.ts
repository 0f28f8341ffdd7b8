/**
 * GSM8K- and MATH-style JSONL: one problem per line.
 *  GSM8K: {"question": ..., "answer": "...reasoning...\n#### 42"}
 *  MATH:  {"problem": ..., "solution": "... \\boxed{\\frac{3}{4}}", "level": "Level 3", "type": ...}
 *  plain: {"question": ..., "answer": "42"}   (the answer is the final answer itself)
 */
import { DataError, readJsonl, stringField } from './jsonl.ts';
import { extractAnswer, lastBoxed } from './answers.ts';

export interface MathRecord {
  /** `id`/`unique_id` field when present, else `line<N>`. */
  id: string;
  question: string;
  /** The final answer, as written in the file. */
  answer: string;
  /** The worked solution when the file has one (calculator annotations removed). */
  solution?: string;
  level: number;
  line: number;
}

function levelOf(v: unknown): number {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  const m = typeof v === 'string' ? /(\d+)/.exec(v) : null;
  return m ? Number(m[1]) : 1;
}

export function loadMathJsonl(path: string): MathRecord[] {
  return readJsonl(path).map((row) => {
    const question = stringField(row, path, ['question', 'problem']);
    const rawSolution = typeof row.value.solution === 'string' ? row.value.solution : undefined;
    const rawAnswer = row.value.answer ?? row.value.final_answer;
    let answer: string | null = null;
    let solution: string | undefined;
    if (typeof rawAnswer === 'string' && rawAnswer.includes('####')) {
      // GSM8K keeps the reasoning in `answer`; `<<48/2=24>>` are calculator annotations.
      solution = rawAnswer.replace(/<<[^>]*>>/g, '');
      answer = extractAnswer(rawAnswer);
    } else if (typeof rawAnswer === 'string' || typeof rawAnswer === 'number') {
      answer = String(rawAnswer).trim();
      solution = rawSolution;
    } else if (rawSolution) {
      solution = rawSolution;
      answer = lastBoxed(rawSolution);
      if (answer === null) throw new DataError(`${path}:${row.line}: the solution has no \\boxed{...} answer and there is no 'answer' field`);
    }
    if (!answer) throw new DataError(`${path}:${row.line}: no final answer (expected 'answer' with '#### x', an 'answer' value, or a 'solution' with \\boxed{x})`);
    const id = row.value.id ?? row.value.unique_id;
    return {
      id: typeof id === 'string' || typeof id === 'number' ? String(id) : `line${row.line}`,
      question: question.trim(),
      answer,
      solution: solution?.trim(),
      level: levelOf(row.value.level ?? row.value.difficulty),
      line: row.line,
    };
  });
}
