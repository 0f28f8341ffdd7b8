/**
 * Env name -> factory. Factories may be async so that heavy envs (the code sandbox) are
 * only imported when asked for; `getEnv` is therefore async too.
 */
import { InputError, asInputError } from '../util/errors.ts';
import type { Env } from './types.ts';

export type EnvOptions = Record<string, unknown>;
export type EnvFactory = (options?: EnvOptions) => Env | Promise<Env>;

const factories = new Map<string, EnvFactory>();

export function registerEnv(name: string, factory: EnvFactory): void {
  if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new Error(`env name '${name}' must be lowercase letters, digits and '-'`);
  if (factories.has(name)) throw new Error(`env '${name}' is already registered`);
  factories.set(name, factory);
}

export function envNames(): string[] {
  return [...factories.keys()].sort();
}

export async function getEnv(name: string, options: EnvOptions = {}): Promise<Env> {
  const f = factories.get(name);
  if (!f) throw new InputError(`unknown env '${name}'; known envs: ${envNames().join(', ')}`);
  try {
    return await f(options);
  } catch (e) {
    // An env that cannot be made from these options (a missing file, an unknown level) is bad input.
    throw asInputError(e);
  }
}

registerEnv('math', async (o) => (await import('./math/index.ts')).createMathEnv(o));
registerEnv('science', async (o) => (await import('./science/index.ts')).createScienceEnv(o));
// The code env brings a sandbox with worker processes: import it only when asked for.
registerEnv('code', async (o) => (await import('./code/index.ts')).createCodeEnv(o));
registerEnv('math-jsonl', async (o) => (await import('./loaders/math-jsonl-env.ts')).createMathJsonlEnv(o ?? {}));
registerEnv('mcq-jsonl', async (o) => (await import('./loaders/mcq-env.ts')).createMcqJsonlEnv(o ?? {}));
registerEnv('humaneval-js', async (o) => (await import('./loaders/humaneval.ts')).createHumanEvalJsEnv(o ?? {}));
registerEnv('ambiguous', async (o) => (await import('./ambiguous/index.ts')).createAmbiguousEnv(o ?? {}));
registerEnv('lock', async (o) => (await import('./lock/index.ts')).createLockEnv(o ?? {}));
