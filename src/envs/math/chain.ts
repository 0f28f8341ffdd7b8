/**
 * One-digit chains evaluated left to right, every result taken mod 10 (`Q: 4-5*3*2`).
 * The tiny setting's task: a small alphabet and short lines, which a few-million-parameter
 * character model can learn. Difficulty = number of operations.
 *
 * Hidden-operator chains (math levels 20-24) put exactly one `#` among the operations:
 * a#b = (a + b + k) mod 10, where the offset k is a fact of the world the env describes, not
 * of the prompt. The RL world has one offset (default 7); a pretraining corpus draws k per
 * example from several candidates, so a model trained on it knows the family of `#` but not
 * which member holds. Feedback on a wrong `#` step ("line 2 should be 4#3=4") reveals it: the
 * setting where a teacher shown feedback knows what the student cannot (docs/learning-regime.md).
 */
import type { Rng } from '../../util/rng.ts';
import type { Generated } from '../loaders/split.ts';

export type ChainOp = '+' | '-' | '*' | '#';
const OPS: ChainOp[] = ['+', '-', '*'];

/** The world of the hidden operator: the offsets k that tasks draw from (one, at RL time). */
export interface HiddenOp {
  offsets: readonly number[];
}

/** a op b mod 10; `#` needs the task's offset k. */
export function applyMod10(a: number, op: ChainOp, b: number, k = 0): number {
  const r = op === '+' ? a + b : op === '-' ? a - b : op === '*' ? a * b : a + b + k;
  return ((r % 10) + 10) % 10;
}

export function generateChain(ops: number, rng: Rng, hidden?: HiddenOp): Generated {
  let value = rng.int(10);
  let expr = String(value);
  const steps: string[] = [];
  const hiddenAt = hidden ? rng.int(ops) : -1;
  const k = hidden ? rng.pick([...hidden.offsets]) : 0;
  for (let i = 0; i < ops; i++) {
    const op: ChainOp = i === hiddenAt ? '#' : rng.pick(OPS);
    const b = rng.int(10);
    const r = applyMod10(value, op, b, k);
    expr += `${op}${b}`;
    steps.push(`${value}${op}${b}=${r}`);
    value = r;
  }
  const answer = String(value);
  return {
    prompt: `Q: ${expr}\n`,
    reference: [...steps, `A: ${answer}`].join('\n'),
    meta: {
      kind: 'chain', steps, answer, answerLine: `A: ${answer}`,
      ...(hidden ? { hidden: { offset: k, candidates: [...hidden.offsets] } } : {}),
    },
  };
}
