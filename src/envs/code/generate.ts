/**
 * One generated `code` task: a problem, its examples (the prompt) and its hidden tests.
 *
 * Prompt format, compact for character-level models:
 *   levels 1-2:  `f(1)=4 f(5)=8 f(2)=5\n`            reference `function f(x){return x+3}`
 *   levels 3+:   `// sum\nf([1,2])=3 f([4])=4 f([0,5,1])=6\n`
 * Values are written as the sandbox renders them (JSON-like), so feedback reads the same.
 * The tests are the examples followed by hidden cases: 10 distinct inputs in all when the
 * level has that many.
 */
import type { Rng } from '../../util/rng.ts';
import type { Generated } from '../loaders/split.ts';
import { showValue } from './sandbox/show.ts';
import { allProblems, drawProblem, type Problem, type Value } from './families.ts';
import type { CallTest } from './sandbox/types.ts';
import { DEFAULT_HIDDEN_WORLD, HIDDEN_LEVEL, generateHiddenCode, type HiddenWorld } from './hidden.ts';

/** How many examples a level shows before ambiguity forces more. */
const EXAMPLES: Record<number, number> = { 1: 3, 2: 3, 3: 3, 4: 3, 5: 3, 6: 4 };
const MAX_EXAMPLES = 6;

export interface GeneratedCodeMeta {
  [k: string]: unknown;
  mode: 'calls';
  entry: 'f';
  tests: CallTest[];
  /** The problem's canonical name (family and parameters). */
  problem: string;
  examples: number;
}

const same = (a: Value, b: Value) => JSON.stringify(a) === JSON.stringify(b);

export function callText(args: readonly unknown[], entry = 'f'): string {
  return `${entry}(${args.map((a) => showValue(a)).join(',')})`;
}

export function generateCode(level: number, rng: Rng, nTests = 10, hiddenWorld: HiddenWorld = DEFAULT_HIDDEN_WORLD, hiddenFavour?: number): Generated {
  if (level === HIDDEN_LEVEL) return generateHiddenCode(rng, hiddenWorld, nTests, hiddenFavour);
  const problem = drawProblem(level, rng);
  const inputs = distinctInputs(problem, rng, nTests);
  const tests: CallTest[] = inputs.map((args) => ({ args, expected: problem.fn(...args) }));
  const nEx = chooseExamples(level, problem, tests, rng);
  const shown = tests.slice(0, nEx).map((t) => `${callText(t.args)}=${showValue(t.expected)}`).join(' ');
  const prompt = `${problem.desc ? `// ${problem.desc}\n` : ''}${shown}\n`;
  const meta: GeneratedCodeMeta = { mode: 'calls', entry: 'f', tests, problem: problem.key, examples: nEx };
  return { prompt, reference: problem.code, meta };
}

function distinctInputs(problem: Problem, rng: Rng, n: number): Value[][] {
  const seen = new Set<string>();
  const out: Value[][] = [];
  for (let attempt = 0; attempt < 50 * n && out.length < n; attempt++) {
    const args = problem.input(rng);
    const k = JSON.stringify(args);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(args);
  }
  return out;
}

/**
 * Orders the tests so that the first k (the examples) rule out every other problem of the
 * level that behaves differently on the tests, and returns k. Only levels 1-2, whose
 * spaces are small enough to enumerate and whose prompts carry no description, need it.
 */
function chooseExamples(level: number, problem: Problem, tests: CallTest[], rng: Rng): number {
  const base = Math.min(EXAMPLES[level] ?? 3, tests.length);
  if (level > 2) return base;
  const rivals = allProblems(level).filter(
    (q) => q.key !== problem.key && tests.some((t) => !same(q.fn(...(t.args as Value[])), t.expected as Value)),
  );
  const explains = (k: number) => (q: Problem) => tests.slice(0, k).every((t) => same(q.fn(...(t.args as Value[])), t.expected as Value));
  for (let k = base; k <= Math.min(MAX_EXAMPLES, tests.length); k++) {
    for (let attempt = 0; attempt < 30; attempt++) {
      if (!rivals.some(explains(k))) return k;
      rng.shuffle(tests);
    }
  }
  return Math.min(MAX_EXAMPLES, tests.length);
}
