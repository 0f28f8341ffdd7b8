/**
 * The `math` env: step-checked arithmetic, from mod-10 one-digit chains (tiny models) to
 * multi-digit arithmetic with precedence and linear equations (real models).
 */
import type { Env, Split, Task, TaskOptions } from '../types.ts';
import { drawTasks, resolveLevels } from '../loaders/split.ts';
import { MATH_DEFAULT_LEVELS, MATH_LEVELS, generateMath, mathTestFraction } from './levels.ts';
import { verifyMath } from './verify.ts';

export interface MathEnvOptions {
  /** Levels used when tasks() is not given any (default 10-12). */
  defaultLevels?: number[];
}

export function createMathEnv(options: MathEnvOptions = {}): Env {
  const name = 'math';
  const defaults = resolveLevels(name, MATH_LEVELS, MATH_DEFAULT_LEVELS, options.defaultLevels);
  return {
    name,
    description:
      'Step-checked arithmetic. Levels 1-12: one-digit chains mod 10 (`Q: 4-5*3`, lines `4-5=9`, `9*3=7`, `A: 7`); ' +
      '13-16: multi-digit arithmetic with precedence; 17-19: linear equations. One step per line, then the answer line.',
    levels: MATH_LEVELS,
    tasks(split: Split, n: number, seed: number, opts?: TaskOptions): Task[] {
      const levels = resolveLevels(name, MATH_LEVELS, defaults, opts?.levels);
      return drawTasks({ env: name, split, n, seed, levels, generate: generateMath, testFraction: mathTestFraction });
    },
    async evaluate(task, completion) {
      return verifyMath(task, completion);
    },
  };
}

export { describeMathLevel } from './levels.ts';
export { slipAttempt } from './slips.ts';
