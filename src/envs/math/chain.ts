/**
 * One-digit chains evaluated left to right, every result taken mod 10 (`Q: 4-5*3*2`).
 * The tiny setting's task: a small alphabet and short lines, which a few-million-parameter
 * character model can learn (TINY_SETTING.md). Difficulty = number of operations.
 */
import type { Rng } from '../../util/rng.ts';
import type { Generated } from '../loaders/split.ts';

export type ChainOp = '+' | '-' | '*';
const OPS: ChainOp[] = ['+', '-', '*'];

export function applyMod10(a: number, op: ChainOp, b: number): number {
  const r = op === '+' ? a + b : op === '-' ? a - b : a * b;
  return ((r % 10) + 10) % 10;
}

export function generateChain(ops: number, rng: Rng): Generated {
  let value = rng.int(10);
  let expr = String(value);
  const steps: string[] = [];
  for (let i = 0; i < ops; i++) {
    const op = rng.pick(OPS);
    const b = rng.int(10);
    const r = applyMod10(value, op, b);
    expr += `${op}${b}`;
    steps.push(`${value}${op}${b}=${r}`);
    value = r;
  }
  const answer = String(value);
  return {
    prompt: `Q: ${expr}\n`,
    reference: [...steps, `A: ${answer}`].join('\n'),
    meta: { kind: 'chain', steps, answer, answerLine: `A: ${answer}` },
  };
}
