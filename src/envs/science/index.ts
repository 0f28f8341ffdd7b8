/**
 * The `science` env: balancing chemical equations and converting units, mixed or one of
 * them (`task: 'chem' | 'units'`). Levels 1-4 exist for both; level 5 (ionic equations with
 * charges) is chemistry only. Prompts are `Q: ...` lines; the tiniest levels are short
 * enough for a character model.
 */
import type { Env, Split, Task, TaskOptions } from '../types.ts';
import { drawTasks, resolveLevels, type Generated } from '../loaders/split.ts';
import type { Rng } from '../../util/rng.ts';
import { CHEM_LEVELS, chemTestFraction, generateChem } from './chem/generate.ts';
import { verifyChem } from './chem/verify.ts';
import { DEFAULT_HIDDEN_UNIT, DEFAULT_HOUSE_UNITS, HIDDEN_UNIT_LEVELS, UNIT_LEVELS, generateUnits, type HiddenUnit, type HouseUnits } from './units/generate.ts';
import { HOUSE_UNITS } from './units/units.ts';
import { verifyUnits } from './units/verify.ts';

export type ScienceTask = 'chem' | 'units' | 'mixed';

export interface ScienceEnvOptions {
  /** Which sub-task to draw (default 'mixed': chem or units with equal chance). */
  task?: ScienceTask;
  /** Relative tolerance for unit conversions (default 1e-3). */
  tolerance?: number;
  /** Levels used when tasks() is not given any. */
  defaultLevels?: number[];
  /**
   * Sizes in metres of the hidden unit `zap` (unit levels 6-7) that tasks draw from. Default
   * [100]: one world, as at RL time. A pretraining corpus passes several powers of ten, so the
   * model learns the unit's family, and to read its size from feedback, but not the size.
   */
  hiddenScales?: number[];
  /**
   * Levels 8-9: per house unit (zap, vok, tez, mib), the sizes in metres its tasks draw from.
   * Default: the RL world, one size each (zap 100, vok 10, tez 1000, mib 10000). A corpus
   * passes all four powers of ten for every unit.
   */
  hiddenUnits?: Record<string, number[]>;
}

export function createScienceEnv(options: ScienceEnvOptions = {}): Env {
  const task = options.task ?? 'mixed';
  if (!['chem', 'units', 'mixed'].includes(task)) throw new Error(`science: task must be chem, units or mixed, got '${task}'`);
  const tolerance = options.tolerance ?? 1e-3;
  const name = 'science';
  const levels = task === 'units' ? UNIT_LEVELS : task === 'chem' ? CHEM_LEVELS : [...new Set([...CHEM_LEVELS, ...UNIT_LEVELS])].sort((a, b) => a - b);
  const hidden = hiddenUnitOf(options.hiddenScales);
  const house = houseUnitsOf(options.hiddenUnits);
  const defaults = resolveLevels(name, levels, task === 'units' ? [1, 2, 3] : [1, 2, 3], options.defaultLevels);

  const generate = (level: number, rng: Rng): Generated => {
    // Hidden-unit levels have no chemistry; the other levels draw the coin as they always did.
    const units = task === 'units' || (task === 'mixed' && (HIDDEN_UNIT_LEVELS.includes(level) || (UNIT_LEVELS.includes(level) && rng.int(2) === 1)));
    return units ? generateUnits(level, rng, hidden, house) : generateChem(level, rng);
  };
  // One partition per level whatever the sub-task option, so that a prompt is test-only in
  // every configuration of this env (mixed and units-only must not disagree).
  const testFraction = chemTestFraction;

  return {
    name,
    description:
      'Chemical equations (`Q: H2+O2=H2O` -> `A: 2H2+O2=2H2O`; levels 1-5, 5 = ions with charges) and unit ' +
      'conversion (`Q: 5 km/h to m/s`, one factor per line `5 km/h * 1000 m/km = 5000 m/h`, then `A: 1.3889 m/s`; levels 1-4; ' +
      '6-7: the hidden unit `zap`, whose size in metres the world fixes and only feedback reveals; ' +
      '8-9: four such units, zap, vok, tez and mib, each with its own size). ' +
      `Sub-task: ${task}.`,
    levels,
    tasks(split: Split, n: number, seed: number, opts?: TaskOptions): Task[] {
      const lv = resolveLevels(name, levels, defaults, opts?.levels);
      return drawTasks({ env: name, split, n, seed, levels: lv, generate, testFraction });
    },
    async evaluate(t, completion) {
      if (t.meta.kind === 'chem') return verifyChem(t, completion);
      if (t.meta.kind === 'units') return verifyUnits(t, completion, tolerance);
      throw new Error(`science: task ${t.id} has unknown kind '${String(t.meta.kind)}'`);
    },
  };
}

export { slipScience } from './slips.ts';

function hiddenUnitOf(scales: unknown): HiddenUnit {
  if (scales === undefined) return DEFAULT_HIDDEN_UNIT;
  if (!Array.isArray(scales) || scales.length === 0 || !scales.every((x) => typeof x === 'number' && x > 0 && Number.isFinite(x)) || new Set(scales).size !== scales.length)
    throw new Error(`science env: hiddenScales must be a non-empty list of distinct positive numbers (sizes of 1 zap in metres), got ${JSON.stringify(scales)}`);
  return { scales: scales as number[] };
}

function houseUnitsOf(units: unknown): HouseUnits {
  if (units === undefined) return DEFAULT_HOUSE_UNITS;
  const bad = (why: string) =>
    new Error(`science env: hiddenUnits ${why}; give every house unit (${HOUSE_UNITS.join(', ')}) a non-empty list of distinct positive sizes in metres, e.g. {"zap": [100], "vok": [10], "tez": [1000], "mib": [10000]}`);
  if (typeof units !== 'object' || units === null || Array.isArray(units)) throw bad(`must be an object, got ${JSON.stringify(units)}`);
  const o = units as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!HOUSE_UNITS.includes(k)) throw bad(`names an unknown unit '${k}'`);
  for (const u of HOUSE_UNITS) {
    const s = o[u];
    if (!Array.isArray(s) || s.length === 0 || !s.every((x) => typeof x === 'number' && x > 0 && Number.isFinite(x)) || new Set(s).size !== s.length) {
      throw bad(`.${u} is ${JSON.stringify(s)}`);
    }
  }
  return o as HouseUnits;
}
