/**
 * `distil env list` and `distil env sample`: look at what an env generates, its reference
 * solution, and the feedback a wrong answer gets (the reference with one character changed).
 */
import { UsageError, type Command } from '../command.ts';
import { envNames, getEnv, type EnvOptions } from '../../envs/registry.ts';
import type { Env, FeedbackItem, Split, Task } from '../../envs/types.ts';
import { buildTeacherContext, teacherContextKinds } from '../../feedback/index.ts';
import { Rng } from '../../util/rng.ts';
import { slipAttempt } from '../../envs/math/index.ts';
import { slipScience } from '../../envs/science/index.ts';

interface Args {
  flags: Map<string, string[]>;
}

function parseArgs(argv: string[], known: string[]): Args {
  const flags = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new UsageError(`unexpected argument '${a}'`);
    const [name, inline] = a.slice(2).split(/=(.*)/s, 2);
    if (!known.includes(name)) throw new UsageError(`unknown option --${name}; options: ${known.map((k) => `--${k}`).join(' ')}`);
    const value = inline ?? argv[++i];
    if (value === undefined) throw new UsageError(`--${name} needs a value`);
    flags.set(name, [...(flags.get(name) ?? []), value]);
  }
  return { flags };
}

function intFlag(args: Args, name: string, dflt: number): number {
  const v = args.flags.get(name)?.at(-1);
  if (v === undefined) return dflt;
  if (!/^-?\d+$/.test(v)) throw new UsageError(`--${name} must be an integer, got '${v}'`);
  return Number(v);
}

/** `--opt key=value` (repeatable); values that parse as JSON (numbers, true) are typed. */
function envOptions(args: Args): EnvOptions {
  const o: EnvOptions = {};
  for (const kv of args.flags.get('opt') ?? []) {
    const m = /^([A-Za-z_]\w*)=(.*)$/s.exec(kv);
    if (!m) throw new UsageError(`--opt takes key=value, got '${kv}'`);
    let v: unknown = m[2];
    try {
      v = JSON.parse(m[2]);
    } catch {
      // a plain string
    }
    o[m[1]] = v;
  }
  for (const k of ['path', 'train', 'test']) {
    const v = args.flags.get(k)?.at(-1);
    if (v !== undefined) o[k] = v;
  }
  return o;
}

/** The reference with one digit changed (else one capital letter; else cut in half). */
export function corrupt(reference: string, rng: Rng): string {
  const at = (re: RegExp) => [...reference.matchAll(re)].map((m) => m.index!);
  const digits = at(/\d/g);
  if (digits.length) {
    const i = rng.pick(digits);
    const d = (Number(reference[i]) + 1 + rng.int(9)) % 10;
    return reference.slice(0, i) + d + reference.slice(i + 1);
  }
  const caps = at(/\b[A-Z]\b/g);
  if (caps.length) {
    const i = caps[caps.length - 1];
    const c = String.fromCharCode(((reference.charCodeAt(i) - 65 + 1) % 4) + 65);
    return reference.slice(0, i) + c + reference.slice(i + 1);
  }
  return reference.slice(0, Math.floor(reference.length / 2));
}

/** A realistic wrong attempt where the env has a slip model, else a corrupted reference. */
export function wrongAttempt(task: Task, rng: Rng): string {
  const kind = task.meta.kind;
  if (kind === 'chain' || kind === 'arith') return slipAttempt(task, rng).completion;
  if (kind === 'chem' || kind === 'units') return slipScience(task, rng);
  return corrupt(task.reference ?? '', rng);
}

const indent = (s: string) => s.split('\n').map((l) => `  ${l}`).join('\n');

function describeItem(i: FeedbackItem): string {
  const where = i.where ? Object.entries(i.where).map(([k, v]) => `${k} ${Array.isArray(v) ? v.join('-') : v}`).join(', ') : '';
  const ea = [i.expected !== undefined ? `expected ${JSON.stringify(i.expected)}` : '', i.actual !== undefined ? `actual ${JSON.stringify(i.actual)}` : ''].filter(Boolean).join(', ');
  return `  - [${i.kind}] ${i.text}${where ? ` (${where})` : ''}${ea ? `; ${ea}` : ''}`;
}

async function withEnv<T>(name: string, options: EnvOptions, f: (env: Env) => Promise<T>): Promise<T> {
  const env = await getEnv(name, options);
  try {
    return await f(env);
  } finally {
    await env.close?.();
  }
}

const sample: Command = {
  name: 'env sample',
  summary: 'Print tasks of an env, their reference solutions, and the feedback a wrong answer gets',
  help: [
    'Usage: distil env sample --env NAME [--n 3] [--level L[,L...]] [--seed S] [--split train|test]',
    '                         [--path FILE] [--train FILE] [--opt key=value ...] [--context KIND]',
    '',
    'For each task: the prompt, the reference solution and its check, then a wrong answer (a',
    'slipped attempt, or the reference with one character changed) and the structured feedback it',
    'gets. --context also',
    `prints the teacher context for that wrong answer (${teacherContextKinds().join(', ')}).`,
    'File envs (math-jsonl, mcq-jsonl) need --path FILE. Envs: see `distil env list`.',
  ].join('\n'),
  async run(argv) {
    const args = parseArgs(argv, ['env', 'n', 'level', 'seed', 'split', 'path', 'train', 'test', 'opt', 'context']);
    const name = args.flags.get('env')?.at(-1);
    if (!name) throw new UsageError(`--env NAME is required; envs: ${envNames().join(', ')}`);
    if (!envNames().includes(name)) throw new UsageError(`unknown env '${name}'; envs: ${envNames().join(', ')}`);
    const n = intFlag(args, 'n', 3);
    const seed = intFlag(args, 'seed', 0);
    const split = (args.flags.get('split')?.at(-1) ?? 'train') as Split;
    if (split !== 'train' && split !== 'test') throw new UsageError(`--split must be train or test, got '${split}'`);
    const levelText = args.flags.get('level')?.at(-1);
    const levels = levelText?.split(',').map((s) => {
      if (!/^\d+$/.test(s.trim())) throw new UsageError(`--level takes integers separated by commas, got '${levelText}'`);
      return Number(s);
    });
    const context = args.flags.get('context')?.at(-1);
    if (context && !teacherContextKinds().includes(context)) throw new UsageError(`unknown --context '${context}'; kinds: ${teacherContextKinds().join(', ')}`);
    return withEnv(name, envOptions(args), async (env) => {
      const rng = new Rng(seed);
      console.log(`${env.name}: ${env.description}\n`);
      for (const task of env.tasks(split, n, seed, levels ? { levels } : undefined)) {
        console.log(`--- ${task.id} (level ${task.level})`);
        console.log(`prompt:\n${indent(task.prompt.trimEnd())}`);
        if (task.reference === undefined) {
          console.log('reference: (none)\n');
          continue;
        }
        const ok = await env.evaluate(task, task.reference);
        console.log(`reference:\n${indent(task.reference)}`);
        console.log(`reference check: ${ok.feedback.summary} (reward ${ok.reward})`);
        // A few tries for a corruption the env flags as wrong work (not only as malformed).
        let wrong = wrongAttempt(task, rng);
        let out = await env.evaluate(task, wrong);
        for (let k = 0; k < 8 && (out.feedback.items.length === 0 || out.feedback.items[0].kind === 'format'); k++) {
          const w = corrupt(task.reference, rng);
          const o = await env.evaluate(task, w);
          if (o.feedback.items.length > 0) [wrong, out] = [w, o];
        }
        console.log(`wrong answer:\n${indent(wrong)}`);
        console.log(`feedback: ${out.feedback.summary} (reward ${out.reward})`);
        for (const item of out.feedback.items) console.log(describeItem(item));
        if (context) {
          const text = buildTeacherContext(context, { task, completion: wrong, outcome: out, group: [{ completion: task.reference, outcome: ok }] });
          console.log(`teacher context (${context}):\n${indent(text)}`);
        }
        console.log('');
      }
      return 0;
    });
  },
};

const list: Command = {
  name: 'env list',
  summary: 'List the registered envs with their levels',
  help: 'Usage: distil env list\n\nLists every registered env, its levels and what it does. Envs that need options\n(a data file) say which.',
  async run(argv) {
    if (argv.length) throw new UsageError(`env list takes no arguments, got '${argv.join(' ')}'`);
    for (const name of envNames()) {
      try {
        await withEnv(name, {}, async (env) => {
          console.log(`${name}  levels ${formatLevels(env.levels)}\n  ${env.description}`);
        });
      } catch (err) {
        console.log(`${name}  (cannot be created without options: ${(err as Error).message})`);
      }
    }
    return 0;
  },
};

/** 1,2,3,5 -> "1-3, 5". */
export function formatLevels(levels: readonly number[]): string {
  const out: string[] = [];
  for (let i = 0; i < levels.length; i++) {
    let j = i;
    while (j + 1 < levels.length && levels[j + 1] === levels[j] + 1) j++;
    out.push(j > i ? `${levels[i]}-${levels[j]}` : String(levels[i]));
    i = j;
  }
  return out.join(', ');
}

export default [sample, list];
