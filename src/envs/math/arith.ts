/**
 * Multi-digit integer arithmetic with the usual precedence (`Q: 12+3*45-6`), for real
 * models. The reference reduces the leftmost `*` first, then the leftmost `+`/`-`, one
 * operation per line (`3*45=135`).
 */
import type { Rng } from '../../util/rng.ts';
import type { Generated } from '../loaders/split.ts';

type Op = '+' | '-' | '*';
const OPS: Op[] = ['+', '-', '*'];

export function applyOp(a: number, op: Op, b: number): number {
  return op === '+' ? a + b : op === '-' ? a - b : a * b;
}

/** Reduces the expression step by step; returns the step lines and the value. */
export function reduceExpression(nums: number[], ops: Op[]): { steps: string[]; value: number } {
  const ns = [...nums];
  const os = [...ops];
  const steps: string[] = [];
  while (os.length) {
    let i = os.indexOf('*');
    if (i < 0) i = 0;
    const r = applyOp(ns[i], os[i], ns[i + 1]);
    steps.push(`${ns[i]}${os[i]}${ns[i + 1]}=${r}`);
    ns.splice(i, 2, r);
    os.splice(i, 1);
  }
  return { steps, value: ns[0] };
}

export function generateArith(ops: number, rng: Rng): Generated {
  const nums = [rng.range(1, 99)];
  const os: Op[] = [];
  for (let i = 0; i < ops; i++) {
    // Keep products readable: at most two multiplications in a row.
    let op = rng.pick(OPS);
    if (op === '*' && os.length >= 2 && os[os.length - 1] === '*' && os[os.length - 2] === '*') op = '+';
    os.push(op);
    nums.push(op === '*' ? rng.range(2, 12) : rng.range(1, 99));
  }
  let expr = String(nums[0]);
  os.forEach((op, i) => (expr += `${op}${nums[i + 1]}`));
  const { steps, value } = reduceExpression(nums, os);
  const answer = String(value);
  return {
    prompt: `Q: ${expr}\n`,
    reference: [...steps, `answer: ${answer}`].join('\n'),
    meta: { kind: 'arith', steps, answer, answerLine: `answer: ${answer}` },
  };
}
