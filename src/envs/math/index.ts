/**
 * The `math` env: step-checked arithmetic, from mod-10 one-digit chains (tiny models) to
 * multi-digit arithmetic with precedence and linear equations (real models).
 */
import type { Env, Split, Task, TaskOptions } from '../types.ts';
import { drawTasks, resolveLevels } from '../loaders/split.ts';
import { DEFAULT_HIDDEN_OP, MATH_DEFAULT_LEVELS, MATH_LEVELS, generateMath, mathTestFraction } from './levels.ts';
import type { HiddenOp } from './chain.ts';
import { verifyMath } from './verify.ts';

export interface MathEnvOptions {
  /** Levels used when tasks() is not given any (default 10-12). */
  defaultLevels?: number[];
  /**
   * Offsets k of the hidden operator a#b = a+b+k mod 10 (levels 20-24) that tasks draw from.
   * Default [7]: one world, as at RL time. A pretraining corpus passes several (e.g. [1,3,5,7]),
   * so that the model learns the operator's family, and to read k from feedback, but not k.
   */
  hiddenOffsets?: number[];
}

export function createMathEnv(options: MathEnvOptions = {}): Env {
  const name = 'math';
  const defaults = resolveLevels(name, MATH_LEVELS, MATH_DEFAULT_LEVELS, options.defaultLevels);
  const hidden = hiddenOpOf(options.hiddenOffsets);
  return {
    name,
    description:
      'Step-checked arithmetic. Levels 1-12: one-digit chains mod 10 (`Q: 4-5*3`, lines `4-5=9`, `9*3=7`, `A: 7`); ' +
      '13-16: multi-digit arithmetic with precedence; 17-19: linear equations; 20-24: chains of 2-6 ops with one hidden operator `#`. One step per line, then the answer line.',
    levels: MATH_LEVELS,
    tasks(split: Split, n: number, seed: number, opts?: TaskOptions): Task[] {
      const levels = resolveLevels(name, MATH_LEVELS, defaults, opts?.levels);
      return drawTasks({ env: name, split, n, seed, levels, generate: (level, rng) => generateMath(level, rng, hidden), testFraction: mathTestFraction });
    },
    async evaluate(task, completion) {
      return verifyMath(task, completion);
    },
  };
}

export { describeMathLevel } from './levels.ts';
export { slipAttempt } from './slips.ts';

function hiddenOpOf(offsets: unknown): HiddenOp {
  if (offsets === undefined) return DEFAULT_HIDDEN_OP;
  if (!Array.isArray(offsets) || offsets.length === 0 || !offsets.every((k) => Number.isInteger(k) && k >= 0 && k <= 9) || new Set(offsets).size !== offsets.length)
    throw new Error(`math env: hiddenOffsets must be a non-empty list of distinct integers 0-9 (offsets k of a#b = a+b+k mod 10), got ${JSON.stringify(offsets)}`);
  return { offsets: offsets as number[] };
}
