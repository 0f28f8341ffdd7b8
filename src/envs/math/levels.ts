/**
 * The math env's difficulty levels.
 *  1-12  one-digit chains mod 10, `level` operations (the tiny setting; docs/tiny-setting.md:
 *        pretrain on 2-12, run RL at 10-12).
 * 13-16  multi-digit arithmetic with precedence, level-11 operations (2-5).
 * 17-19  linear equations: ax+b=c, ax+b=cx+d, a(x+b)=c.
 * 20-24  one-digit chains mod 10 of 2-6 operations, one of them the hidden operator `#`
 *        (a#b = a+b+k mod 10, k a fact of the env's world: chain.ts).
 */
import type { Rng } from '../../util/rng.ts';
import type { Generated } from '../loaders/split.ts';
import { generateArith } from './arith.ts';
import { generateChain, type HiddenOp } from './chain.ts';
import { generateLinear, type LinearForm } from './linear.ts';

export const MATH_LEVELS: readonly number[] = Array.from({ length: 24 }, (_, i) => i + 1);
export const MATH_DEFAULT_LEVELS: readonly number[] = [10, 11, 12];

const LINEAR_FORMS: LinearForm[] = ['ax+b=c', 'ax+b=cx+d', 'a(x+b)=c'];

export function describeMathLevel(level: number): string {
  if (level <= 12) return `one-digit chain mod 10, ${level} op${level > 1 ? 's' : ''}`;
  if (level <= 16) return `multi-digit arithmetic, ${level - 11} ops`;
  if (level <= 19) return `linear equation ${LINEAR_FORMS[level - 17]}`;
  return `one-digit chain mod 10, ${level - 18} ops, one of them the hidden operator #`;
}

/** The world of the hidden operator when the env is not told otherwise: a#b = a+b+7 mod 10. */
export const DEFAULT_HIDDEN_OP: HiddenOp = { offsets: [7] };

export function generateMath(level: number, rng: Rng, hidden: HiddenOp = DEFAULT_HIDDEN_OP): Generated {
  if (!MATH_LEVELS.includes(level)) throw new Error(`math: unknown level ${level}; levels are 1-24`);
  if (level <= 12) return generateChain(level, rng);
  if (level <= 16) return generateArith(level - 11, rng);
  if (level <= 19) return generateLinear(LINEAR_FORMS[level - 17], rng);
  return generateChain(level - 18, rng, hidden);
}

/**
 * Test fraction per level. Level 1 has only 300 prompts, so a larger slice keeps its test set
 * from being a handful; big spaces need only a small slice.
 */
export function mathTestFraction(level: number): number {
  return level <= 2 || level === 20 ? 0.2 : 0.125;
}
