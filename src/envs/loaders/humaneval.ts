/**
 * HumanEval-style JavaScript tasks from JSONL (HumanEval-X / MultiPL-E ports): each line has
 * `task_id`, `prompt` (code ending inside the function to write), `entry_point`, `test`
 * (code that calls the function and asserts, e.g. `assert.deepEqual(candidate(..), ..)`
 * or `console.assert(..)`) and optionally `canonical_solution`. The tasks are evaluated by
 * the `code` env: prompt + completion, then the test code, in the sandbox.
 *
 * Aliases accepted: `name` for task_id, `tests` for test; without `entry_point` the name of
 * the last function the prompt declares is used.
 */
import type { Env, Task } from '../types.ts';
import { DataError, readJsonl, stringField } from './jsonl.ts';
import { loadSplits, pickRows, type FileEnvOptions } from './file-tasks.ts';
import { countChecks } from '../code/extract.ts';
import { evaluateCode, type CodeEnvOptions } from '../code/index.ts';
import { Sandbox } from '../code/sandbox/index.ts';

export interface HumanEvalRecord {
  id: string;
  /** For the file-task helpers: the prompt is the question. */
  question: string;
  level: number;
  entry: string;
  test: string;
  solution?: string;
  line: number;
}

/** Loaded tasks have no difficulty levels; they all get this one. */
export const HUMANEVAL_LEVEL = 0;

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

export function loadHumanEvalJs(path: string): HumanEvalRecord[] {
  const ids = new Set<string>();
  return readJsonl(path).map((row) => {
    const at = `${path}:${row.line}`;
    const id = stringField(row, path, ['task_id', 'name']);
    const prompt = stringField(row, path, ['prompt']);
    const test = stringField(row, path, ['test', 'tests']);
    const given = row.value.entry_point;
    if (given !== undefined && (typeof given !== 'string' || !IDENT.test(given))) {
      throw new DataError(`${at}: entry_point must be a JavaScript identifier, got ${JSON.stringify(given)}`);
    }
    const entry = (given as string | undefined) ?? lastDeclared(prompt);
    if (!entry) throw new DataError(`${at}: no entry_point, and the prompt declares no function to take it from`);
    const sol = row.value.canonical_solution;
    if (sol !== undefined && sol !== null && typeof sol !== 'string') {
      throw new DataError(`${at}: canonical_solution must be a string`);
    }
    if (ids.has(id)) throw new DataError(`${at}: task_id ${JSON.stringify(id)} appears twice`);
    ids.add(id);
    const rec: HumanEvalRecord = { id, question: prompt, level: HUMANEVAL_LEVEL, entry, test, line: row.line };
    if (typeof sol === 'string') rec.solution = sol;
    return rec;
  });
}

function lastDeclared(prompt: string): string | undefined {
  const names = [...prompt.matchAll(/(?:function\s+([A-Za-z_$][\w$]*)\s*\(|(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*=)/g)];
  const last = names[names.length - 1];
  return last ? last[1] ?? last[2] : undefined;
}

/** Tasks for the `code` env (env name 'code', so code.evaluate runs them). */
export function humanEvalTasks(path: string): Task[] {
  return loadHumanEvalJs(path).map((r) => toTask(r, 'code'));
}

function toTask(r: HumanEvalRecord, env: string): Task {
  const task: Task = {
    id: `humaneval/${r.id}`,
    env,
    prompt: r.question,
    level: r.level,
    meta: { mode: 'script', entry: r.entry, testCode: r.test, checks: countChecks(r.test), line: r.line },
  };
  if (r.solution !== undefined) task.reference = r.solution;
  return task;
}

/**
 * An env over HumanEval-style files ({path} or {test, train}), evaluated like the code env.
 * Its tasks() returns file rows; evaluate() runs them in its own sandbox.
 */
export function createHumanEvalJsEnv(options: FileEnvOptions & CodeEnvOptions): Env {
  const name = 'humaneval-js';
  const files = loadSplits(name, options, loadHumanEvalJs);
  let sandbox = options.sandbox;
  const owned = !sandbox;
  const get = () =>
    (sandbox ??= new Sandbox({ timeoutMs: options.timeoutMs ?? 5000, memoryMb: options.memoryMb, workers: options.workers, outputLimit: options.outputLimit }));
  return {
    name,
    description: 'HumanEval-style JavaScript tasks from a JSONL file: complete the function; the file\'s test code decides (fraction of assertions passed).',
    levels: [HUMANEVAL_LEVEL],
    tasks(split, n, seed, opts) {
      return pickRows(name, files, split, n, seed, opts?.levels).map((r) => toTask(r, name));
    },
    evaluate(task, completion) {
      return evaluateCode(get(), task, completion);
    },
    async close() {
      if (owned && sandbox) await sandbox.close();
      if (owned) sandbox = undefined;
    },
  };
}
