/**
 * The `code` env: write a JavaScript function from a few examples (levels 1-7, generated),
 * or complete a HumanEval-style task (loaded, see ../loaders/humaneval.ts). Hidden tests
 * run in the sandbox; reward = fraction passed, correct = all passed; feedback names the
 * first failing test with its input, expected and actual values, or the exception and its
 * line, the syntax error and its line, the time-out or the memory limit.
 */
import type { Env, Outcome, Split, Task, TaskOptions } from '../types.ts';
import { drawTasks, resolveLevels } from '../loaders/split.ts';
import { CODE_LEVELS } from './families.ts';
import { generateCode } from './generate.ts';
import { HIDDEN_LEVEL, HIDDEN_TEST_FRACTION, hiddenFavourOf, hiddenWorldOf } from './hidden.ts';
import { buildProgram, countChecks, extractCode } from './extract.ts';
import { callsOutcome, scriptOutcome, type OutcomeContext } from './outcome.ts';
import { Sandbox, type SandboxOptions } from './sandbox/index.ts';
import type { CallTest, SandboxResult } from './sandbox/types.ts';

export interface CodeEnvOptions {
  /** Levels used when tasks() is not given any (default 1-2, the tiny model's). */
  defaultLevels?: number[];
  /** Hidden tests per generated task, examples included (default 10). */
  tests?: number;
  /** CPU time per evaluation, ms (default 1000). */
  timeoutMs?: number;
  /** Heap limit of each sandbox worker, MB (default 256). */
  memoryMb?: number;
  /** Sandbox worker processes (default min(2, cores)). */
  workers?: number;
  /** Characters kept of console output and rendered values (default 4096). */
  outputLimit?: number;
  /** Share an existing sandbox (then close() leaves it open). */
  sandbox?: Sandbox;
  /**
   * Level 7: the families (add_const, mul_const, const_sub) whose member fitting the one shown
   * example is the task's function, drawn per task. A pretraining corpus passes all three, so
   * that the model learns the families and to read the right one from a failing test, but not
   * which one the world uses (hidden.ts).
   */
  hiddenFamilies?: string[];
  /**
   * Level 7's RL world: the family for b ending in 0, 1, ..., 9 (ten names). Default
   * DEFAULT_HIDDEN_BY_DIGIT (hidden.ts). Not together with hiddenFamilies.
   */
  hiddenByDigit?: string[];
  /** Level 7, a world of several families: the weight of the one b's last digit favours (default 2, others 1). */
  hiddenFavour?: number;
}

export const CODE_DEFAULT_LEVELS = [1, 2];

/** The code tasks a test file or a loader produces must carry this meta. */
export type CodeTaskMeta =
  | { mode: 'calls'; entry: string; tests: CallTest[] }
  | { mode: 'script'; entry: string; testCode: string; checks?: number };

export function createCodeEnv(options: CodeEnvOptions = {}): Env {
  const name = 'code';
  const defaults = resolveLevels(name, CODE_LEVELS, CODE_DEFAULT_LEVELS, options.defaultLevels);
  const nTests = options.tests ?? 10;
  const hiddenWorld = hiddenWorldOf(options.hiddenFamilies, options.hiddenByDigit);
  const hiddenFavour = hiddenFavourOf(options.hiddenFavour);
  let sandbox = options.sandbox;
  const owned = !sandbox;
  const sandboxOptions: SandboxOptions = {
    timeoutMs: options.timeoutMs,
    memoryMb: options.memoryMb,
    workers: options.workers,
    outputLimit: options.outputLimit,
  };
  const getSandbox = () => (sandbox ??= new Sandbox(sandboxOptions));
  return {
    name,
    description:
      'Write a JavaScript function f from examples (`f(1)=4 f(5)=8 f(2)=5` -> `function f(x){return x+3}`). ' +
      'Levels 1-2: one or two operations on digits; 3: a loop over an array; 4: arrays to arrays; 5: strings; ' +
      '6: two ideas at once, with a one-line description. Levels 3+ start with a `// description` line. ' +
      'Level 7: one example (`f(1)=37`) that 37+x-1, 37*x and 37-x+1 all fit; which family holds is a fact of the world, one per last digit of b (option hiddenByDigit; hiddenFamilies draws it per task, for a corpus), that failing tests reveal. ' +
      'HumanEval-style JavaScript tasks load through the humaneval loader.',
    levels: CODE_LEVELS,
    tasks(split: Split, n: number, seed: number, opts?: TaskOptions): Task[] {
      const levels = resolveLevels(name, CODE_LEVELS, defaults, opts?.levels);
      return drawTasks({ env: name, split, n, seed, levels, generate: (level, rng) => generateCode(level, rng, nTests, hiddenWorld, hiddenFavour),
        testFraction: (level) => (level === HIDDEN_LEVEL ? HIDDEN_TEST_FRACTION : 0.125) });
    },
    evaluate(task: Task, completion: string): Promise<Outcome> {
      return evaluateCode(getSandbox(), task, completion);
    },
    async close() {
      if (owned && sandbox) await sandbox.close();
      sandbox = owned ? undefined : sandbox;
    },
  };
}

/** Runs a completion of a code task in the sandbox and judges it (what evaluate does). */
export async function evaluateCode(sandbox: Sandbox, task: Task, completion: string): Promise<Outcome> {
  const { outcome } = await judgeCode(sandbox, task, completion);
  const answer = canonicalCode(completion);
  return { ...outcome, ...(answer ? { answer } : {}), components: { tests: outcome.reward } };
}

/** The extracted program with its whitespace collapsed: programs that differ only in layout are one answer. */
export function canonicalCode(completion: string): string {
  return extractCode(completion).replace(/\s+/g, ' ').trim();
}

/** evaluateCode, also returning the sandbox's per-test result (absent when there was no code). */
export async function judgeCode(
  sandbox: Sandbox,
  task: Task,
  completion: string,
): Promise<{ outcome: Outcome; result?: SandboxResult }> {
  const meta = task.meta as CodeTaskMeta;
  const ctx: OutcomeContext = {
    timeoutMs: sandbox.timeoutMs,
    memoryMb: sandbox.memoryMb,
    outputLimit: sandbox.outputLimit,
    entry: meta.entry,
  };
  if (meta.mode === 'calls') {
    const code = extractCode(completion);
    if (!code.trim()) return { outcome: emptyOutcome(meta.tests.length) };
    const result = await sandbox.run({ mode: 'calls', code, entry: meta.entry, tests: meta.tests });
    return { outcome: callsOutcome(result, { ...ctx, tests: meta.tests }), result };
  }
  if (meta.mode === 'script') {
    const { program, prefixLines } = buildProgram(task.prompt, completion, meta.entry);
    const checks = meta.checks ?? countChecks(meta.testCode);
    const result = await sandbox.run({ mode: 'script', code: program, testCode: meta.testCode });
    return { outcome: scriptOutcome(result, { ...ctx, checks, prefixLines }), result };
  }
  throw new Error(`code: task ${task.id} has no runnable tests (meta.mode is ${JSON.stringify((meta as { mode?: unknown }).mode)})`);
}

function emptyOutcome(total: number): Outcome {
  return {
    reward: 0,
    correct: false,
    feedback: { summary: `no code: 0/${total} tests passed`, items: [{ kind: 'format', text: 'the answer contains no code' }] },
  };
}

export { Sandbox } from './sandbox/index.ts';
export { CODE_LEVELS } from './families.ts';
export { plausibleMistake } from './mistakes.ts';
