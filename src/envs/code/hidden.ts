/**
 * Code level 7, the learning regime's hidden fact (docs/learning-regime.md): the prompt shows
 * ONE example, `f(1)=37`, which three one-line families fit equally well:
 *   add_const  37+x-1   (x+36)
 *   mul_const  37*x     (x*37)
 *   const_sub  37-x+1   (38-x)
 * Which family the env's world uses is a fact of the world, not of the prompt. The three lines
 * meet only at the example's input, so every hidden test (the other inputs 0-9) tells them
 * apart, and the first failing test's feedback (`f(4) returned 40, expected 148`) reveals the
 * family. A pretraining corpus draws the family per example from all three (option
 * hiddenFamilies), so the model learns the families, and to read the right one from feedback,
 * but cannot know which one holds. The RL world (option hiddenByDigit, the default) fixes the
 * family by b's last digit: ten independent facts, each learnt only from prompts with that digit,
 * as the science env's four house units are. A world of one family for every prompt (the first
 * version) is one fact that a reward finds in a few steps: every method reached 100% in 48k
 * sampled tokens (docs/learning-regime.md).
 *
 * The programs are written so that the family is ONE token with a uniform prior, as the math
 * env's hidden offset is one digit: each starts with a copy of b, then the operator (+, *, -)
 * decides the family, and the rest follows from it (`x-1`, `x`, `x+1`). Two earlier spellings
 * did not work for the 1.2M character model (docs/learning-regime.md): `x+36`, `x*37`, `38-x`
 * share the token `x` for two families (greedy decoding then never picks the third), and
 * `36+x`, `37*x`, `38-x` make the model couple the constant's last digit to the operator, which
 * it had not learned after 120 steps. The example's input is 1 so that b itself is every
 * family's constant (no arithmetic to learn from one example); b >= 2 keeps b*x from being x.
 */
import type { Rng } from '../../util/rng.ts';
import type { Generated } from '../loaders/split.ts';
import type { Problem } from './families.ts';
import type { CallTest } from './sandbox/types.ts';

export const HIDDEN_LEVEL = 7;
export const HIDDEN_FAMILIES = ['add_const', 'mul_const', 'const_sub'] as const;
export type HiddenFamily = (typeof HIDDEN_FAMILIES)[number];

/**
 * The RL world when the env is not told otherwise: the family of each last digit of b (index
 * 0-9). It agrees with the digit's favoured family (favouredFamily, the pretraining prior) on
 * digits 0, 4 and 8 only, so a student that decodes the prior is right on about 30% of prompts;
 * each family holds on three or four digits.
 */
export const DEFAULT_HIDDEN_BY_DIGIT: readonly HiddenFamily[] = [
  'add_const', 'const_sub', 'mul_const', 'mul_const', 'mul_const', 'add_const', 'const_sub', 'add_const', 'const_sub', 'mul_const',
];

/** Which family holds for a task: drawn per task among several (a corpus), or fixed per last digit of b (an RL world). */
export type HiddenWorld = { kind: 'draw'; families: readonly HiddenFamily[] } | { kind: 'byDigit'; table: readonly HiddenFamily[] };

export const DEFAULT_HIDDEN_WORLD: HiddenWorld = { kind: 'byDigit', table: DEFAULT_HIDDEN_BY_DIGIT };

/** The level's share of prompts kept for test: 998 prompts, so about 250 test and 250 validation prompts. */
export const HIDDEN_TEST_FRACTION = 0.25;

/** What a level-7 task's meta says about its hidden fact. */
export interface HiddenCodeMeta {
  /** The world's family for this task. */
  family: HiddenFamily;
  /** Every family the world can give this task (one, in a by-digit world). */
  world: HiddenFamily[];
  /** The program of each of the three families that fits the example. */
  candidates: Record<HiddenFamily, string>;
}

/** Checks an env option naming the world's families; one clear error otherwise. */
export function hiddenFamiliesOf(v: unknown): readonly HiddenFamily[] {
  const ok = Array.isArray(v) && v.length > 0 && new Set(v).size === v.length && v.every((f) => (HIDDEN_FAMILIES as readonly unknown[]).includes(f));
  if (!ok)
    throw new Error(`code env: hiddenFamilies must be a non-empty list of distinct names from ${HIDDEN_FAMILIES.join(', ')} (the families level 7's world draws from), got ${JSON.stringify(v)}`);
  return v as HiddenFamily[];
}

/** The world the env options name: hiddenFamilies (a draw per task) or hiddenByDigit (a table), not both; default DEFAULT_HIDDEN_WORLD. */
export function hiddenWorldOf(families: unknown, byDigit: unknown): HiddenWorld {
  if (families !== undefined && byDigit !== undefined)
    throw new Error('code env: give hiddenFamilies (a family drawn per task, for a corpus) or hiddenByDigit (the family of each last digit of b, for an RL world), not both');
  if (families !== undefined) return { kind: 'draw', families: hiddenFamiliesOf(families) };
  if (byDigit === undefined) return DEFAULT_HIDDEN_WORLD;
  const ok = Array.isArray(byDigit) && byDigit.length === 10 && byDigit.every((f) => (HIDDEN_FAMILIES as readonly unknown[]).includes(f));
  if (!ok)
    throw new Error(`code env: hiddenByDigit must list 10 family names (the family for b ending in 0, 1, ..., 9), each one of ${HIDDEN_FAMILIES.join(', ')}, got ${JSON.stringify(byDigit)}`);
  return { kind: 'byDigit', table: byDigit as HiddenFamily[] };
}

const problem = (key: string, fn: (x: number) => number): Problem => ({ key, code: `function f(x){return ${key}}`, fn, input: (rng) => [rng.range(0, 9)] });

/** The three problems that fit f(1)=b, by family: b, then the family's operator. */
export function fittingProblems(b: number): Record<HiddenFamily, Problem> {
  return {
    add_const: problem(`${b}+x-1`, (x) => b + x - 1),
    mul_const: problem(`${b}*x`, (x) => b * x),
    const_sub: problem(`${b}-x+1`, (x) => b - x + 1),
  };
}

/** The example's outputs b: 2-999 (998 prompts; 2-99 left only 28 distinct test prompts). */
export const HIDDEN_OUTPUTS: readonly number[] = Array.from({ length: 998 }, (_, i) => i + 2);

/** The family b's last digit favours (weight 2 in a world of several families). */
export function favouredFamily(b: number): HiddenFamily {
  return HIDDEN_FAMILIES[(b % 10) % 3];
}

/** Default weight of the favoured family against 1 for each other one. */
export const DEFAULT_HIDDEN_FAVOUR = 2;

/** Checks the env option giving the favoured family's weight (>= 1; 1 = a uniform draw). */
export function hiddenFavourOf(v: unknown): number {
  if (v === undefined) return DEFAULT_HIDDEN_FAVOUR;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 1)
    throw new Error(`code env: hiddenFavour must be a number >= 1 (the weight of the family b's last digit favours, against 1 for each other family; 1 draws uniformly), got ${JSON.stringify(v)}`);
  return v;
}

function drawFamily(b: number, w: HiddenWorld, rng: Rng, favour: number): HiddenFamily {
  // One draw whatever the world, so every world shows the same prompts for a seed.
  const u = rng.next();
  if (w.kind === 'byDigit') return w.table[b % 10];
  const world = w.families;
  if (world.length === 1) return world[0];
  const weights = world.map((f) => (f === favouredFamily(b) ? favour : 1));
  let r = u * weights.reduce((a, w) => a + w, 0);
  for (let i = 0; i < world.length; i++) if ((r -= weights[i]) < 0) return world[i];
  return world[world.length - 1];
}

export function generateHiddenCode(rng: Rng, world: HiddenWorld, nTests = 10, favour = DEFAULT_HIDDEN_FAVOUR): Generated {
  const a = 1;
  const b = rng.pick(HIDDEN_OUTPUTS);
  const family = drawFamily(b, world, rng, favour);
  const fits = fittingProblems(b);
  const problem = fits[family];
  // The example first, then other inputs: each tells the three families apart.
  const others = rng.shuffle(Array.from({ length: 10 }, (_, x) => x).filter((x) => x !== a)).slice(0, Math.max(0, nTests - 1));
  const tests: CallTest[] = [a, ...others].map((x) => ({ args: [x], expected: problem.fn(x) }));
  const hidden: HiddenCodeMeta = {
    family,
    world: world.kind === 'draw' ? [...world.families] : [family],
    candidates: { add_const: fits.add_const.code, mul_const: fits.mul_const.code, const_sub: fits.const_sub.code },
  };
  return {
    prompt: `f(${a})=${b}\n`,
    reference: problem.code,
    meta: { mode: 'calls', entry: 'f', tests, problem: problem.key, examples: 1, hidden },
  };
}

/**
 * A plausible wrong attempt at a level-7 task: mostly another family's fitting program (what a
 * student that knows the families but not the world writes), else a one-character slip of a
 * believed family's program. Undefined for tasks without a hidden family.
 */
export function hiddenCodeAttempt(meta: Record<string, unknown>, rng: Rng, slip: (code: string, rng: Rng) => string): string | undefined {
  const h = meta.hidden as HiddenCodeMeta | undefined;
  if (meta.mode !== 'calls' || !h?.candidates) return undefined;
  const others = HIDDEN_FAMILIES.filter((f) => f !== h.family);
  if (rng.next() < 0.8) return h.candidates[rng.pick(others)];
  return slip(h.candidates[rng.pick([...HIDDEN_FAMILIES])], rng);
}
