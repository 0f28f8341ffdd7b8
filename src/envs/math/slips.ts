/**
 * Plausible wrong attempts for math tasks: one or more slips (a wrong result on a step
 * line), with every later step carried on from the wrong value, as a student would. Used to
 * build "attempt, feedback, corrected solution" examples for pretraining corpora and to
 * show what feedback looks like. Only operation tasks (chains, arithmetic).
 */
import type { Rng } from '../../util/rng.ts';
import type { Task } from '../types.ts';
import { applyMod10, type ChainOp } from './chain.ts';
import { applyOp } from './arith.ts';

/** `Q: 12+3*45-6` -> numbers and operators. */
function parseExpression(prompt: string): { nums: number[]; ops: ChainOp[] } {
  const expr = prompt.replace(/^Q:\s*/, '').trim();
  const nums = expr.split(/[+\-*#]/).map(Number);
  const ops = (expr.match(/[+\-*#]/g) ?? []) as ChainOp[];
  if (nums.some((n) => !Number.isInteger(n)) || nums.length !== ops.length + 1) throw new Error(`slipAttempt: cannot read '${expr}'`);
  return { nums, ops };
}

/**
 * Returns a completion of `task` with `slips` wrong step results at distinct random steps,
 * reduced in the reference's order (chains left to right, arithmetic `*` first).
 */
export function slipAttempt(task: Task, rng: Rng, slips = 1): { completion: string; slipSteps: number[] } {
  const kind = task.meta.kind;
  if (kind !== 'chain' && kind !== 'arith') throw new Error(`slipAttempt: only chain and arith tasks, got '${String(kind)}'`);
  const { nums, ops } = parseExpression(task.prompt);
  const n = Math.min(Math.max(1, slips), ops.length);
  const slipSteps = rng.shuffle(ops.map((_, i) => i)).slice(0, n).sort((x, y) => x - y);
  // A hidden operator's offset is believed, not known: the attempt uses one of the candidates
  // (right or not), as a model that knows only the operator's family would.
  const hidden = task.meta.hidden as { offset: number; candidates: number[] } | undefined;
  const believed = hidden ? rng.pick(hidden.candidates) : 0;
  const lines: string[] = [];
  for (let step = 0; ops.length; step++) {
    const i = kind === 'arith' && ops.includes('*') ? ops.indexOf('*') : 0;
    const [a, op, b] = [nums[i], ops[i], nums[i + 1]];
    let r = kind === 'chain' ? applyMod10(a, op, b, believed) : applyOp(a, op as '+' | '-' | '*', b);
    if (slipSteps.includes(step)) r = kind === 'chain' ? (r + 1 + rng.int(9)) % 10 : r + (rng.int(2) ? 1 : -1) * rng.range(1, 10);
    lines.push(`${a}${op}${b}=${r}`);
    nums.splice(i, 2, r);
    ops.splice(i, 1);
  }
  return { completion: [...lines, `${kind === 'chain' ? 'A' : 'answer'}: ${nums[0]}`].join('\n'), slipSteps };
}
