/**
 * The math env's difficulty levels.
 *  1-12  one-digit chains mod 10, `level` operations (the tiny setting; TINY_SETTING.md
 *        suggests pretraining on 2-12 and running RL at 10-12).
 * 13-16  multi-digit arithmetic with precedence, level-11 operations (2-5).
 * 17-19  linear equations: ax+b=c, ax+b=cx+d, a(x+b)=c.
 */
import type { Rng } from '../../util/rng.ts';
import type { Generated } from '../loaders/split.ts';
import { generateArith } from './arith.ts';
import { generateChain } from './chain.ts';
import { generateLinear, type LinearForm } from './linear.ts';

export const MATH_LEVELS: readonly number[] = Array.from({ length: 19 }, (_, i) => i + 1);
export const MATH_DEFAULT_LEVELS: readonly number[] = [10, 11, 12];

const LINEAR_FORMS: LinearForm[] = ['ax+b=c', 'ax+b=cx+d', 'a(x+b)=c'];

export function describeMathLevel(level: number): string {
  if (level <= 12) return `one-digit chain mod 10, ${level} op${level > 1 ? 's' : ''}`;
  if (level <= 16) return `multi-digit arithmetic, ${level - 11} ops`;
  return `linear equation ${LINEAR_FORMS[level - 17]}`;
}

export function generateMath(level: number, rng: Rng): Generated {
  if (!MATH_LEVELS.includes(level)) throw new Error(`math: unknown level ${level}; levels are 1-19`);
  if (level <= 12) return generateChain(level, rng);
  if (level <= 16) return generateArith(level - 11, rng);
  return generateLinear(LINEAR_FORMS[level - 17], rng);
}

/**
 * Test fraction per level. Level 1 has only 300 prompts, so a larger slice keeps its test set
 * from being a handful; big spaces need only a small slice.
 */
export function mathTestFraction(level: number): number {
  return level <= 2 ? 0.2 : 0.125;
}
