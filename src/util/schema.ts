/**
 * The one config schema: typed option specs with validation whose errors name the key, used
 * for every config (train, compare, pretrain) and every algorithm's options, at load time,
 * before any work. An unknown key, a wrong type, an out-of-range value or an unknown name is an
 * error that says what is known (and the nearest match: "did you mean"), never silently ignored.
 * Enum options resolve to the union of their literal values, so call sites need no casts.
 */
import { InputError } from './errors.ts';

export type OptionSpec =
  | { type: 'number'; default: number; min?: number; max?: number; integer?: boolean; help: string }
  | { type: 'boolean'; default: boolean; help: string }
  /** `oneOf`: the names it may take, from a registry that can grow (envs, teacher contexts). */
  | { type: 'string'; default: string; help: string; oneOf?: () => readonly string[] }
  | { type: 'enum'; values: readonly string[]; default: string; help: string }
  /** A list of numbers; also accepts "1,2,3" (command-line overrides). null: not set. */
  | { type: 'numbers'; default: number[] | null; integer?: boolean; help: string }
  /** A list of strings (e.g. stop strings). null: not set (the owner picks, e.g. the model's). */
  | { type: 'strings'; default: string[] | null; help: string }
  /** A nested object checked elsewhere (e.g. an algorithm's own options). */
  | { type: 'object'; default: Record<string, unknown>; help: string };

export type Schema = Record<string, OptionSpec>;

export type Resolved<S extends Schema> = {
  -readonly [K in keyof S]: S[K] extends { type: 'number' }
    ? number
    : S[K] extends { type: 'boolean' }
      ? boolean
      : S[K] extends { type: 'numbers' }
        ? number[] | null
        : S[K] extends { type: 'strings'; default: null }
          ? string[] | null
          : S[K] extends { type: 'strings' }
            ? string[]
            : S[K] extends { type: 'object' }
              ? Record<string, unknown>
              : S[K] extends { type: 'enum'; values: readonly (infer V)[] }
                ? V
                : string;
};

/** A bad setting (bad input: the command line exits 2). */
export class ConfigError extends InputError {}

/** Fill defaults and check every given key against the schema. `where` names the config in errors. */
export function resolveOptions<S extends Schema>(schema: S, given: Record<string, unknown> | undefined, where: string): Resolved<S> {
  const out: Record<string, unknown> = {};
  const g = given ?? {};
  if (typeof g !== 'object' || Array.isArray(g)) throw new ConfigError(`${where}: options must be an object`);
  checkKeys(g, Object.keys(schema), where, 'option');
  for (const [key, spec] of Object.entries(schema)) {
    const v = key in g ? g[key] : spec.default;
    out[key] = check(spec, v, `${where}: option '${key}'`);
  }
  return out as Resolved<S>;
}

function check(spec: OptionSpec, v: unknown, name: string): unknown {
  switch (spec.type) {
    case 'number': {
      const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
      if (typeof n !== 'number' || !Number.isFinite(n)) throw new ConfigError(`${name} must be a number, got ${JSON.stringify(v)}`);
      if (spec.integer && !Number.isInteger(n)) throw new ConfigError(`${name} must be a whole number, got ${n}`);
      if (spec.min !== undefined && n < spec.min) throw new ConfigError(`${name} must be >= ${spec.min}, got ${n}`);
      if (spec.max !== undefined && n > spec.max) throw new ConfigError(`${name} must be <= ${spec.max}, got ${n}`);
      return n;
    }
    case 'boolean':
      if (v === 'true') return true;
      if (v === 'false') return false;
      if (typeof v !== 'boolean') throw new ConfigError(`${name} must be true or false, got ${JSON.stringify(v)}`);
      return v;
    case 'string':
      if (typeof v !== 'string') throw new ConfigError(`${name} must be a string, got ${JSON.stringify(v)}`);
      if (spec.oneOf && v !== spec.default) checkName(v, spec.oneOf(), name);
      return v;
    case 'enum':
      if (typeof v !== 'string') throw new ConfigError(`${name} must be one of ${spec.values.join(', ')}; got ${JSON.stringify(v)}`);
      checkName(v, spec.values, name);
      return v;
    case 'numbers': {
      if (v === null) return null;
      const arr = typeof v === 'string' ? v.split(',').map((x) => Number(x.trim())) : v;
      if (!Array.isArray(arr) || arr.some((x) => typeof x !== 'number' || !Number.isFinite(x)))
        throw new ConfigError(`${name} must be a list of numbers (e.g. [10, 11] or "10,11"), got ${JSON.stringify(v)}`);
      if (spec.integer && arr.some((x) => !Number.isInteger(x))) throw new ConfigError(`${name} must hold whole numbers, got ${JSON.stringify(v)}`);
      return arr;
    }
    case 'strings':
      if (v === null && spec.default === null) return null;
      if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new ConfigError(`${name} must be a list of strings, got ${JSON.stringify(v)}`);
      return v;
    case 'object':
      if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new ConfigError(`${name} must be an object, got ${JSON.stringify(v)}`);
      return v;
  }
}

/** Help text: one line per option with its default. */
export function describeSchema(schema: Schema): string {
  return Object.entries(schema)
    .map(([k, s]) => `  ${k.padEnd(18)} ${s.help} (default ${JSON.stringify(s.default)}${s.type === 'enum' ? `; ${s.values.join(' | ')}` : ''})`)
    .join('\n');
}

/** Every key of `given` must be known; the error names the nearest known key. */
export function checkKeys(given: object, known: readonly string[], where: string, what = 'key'): void {
  for (const key of Object.keys(given)) {
    if (!known.includes(key)) throw new ConfigError(`${where}: unknown ${what} '${key}'${didYouMean(key, known)}; known: ${known.join(', ')}`);
  }
}

/** `value` must be one of `known` (names in a registry, an enum's values); `name` says whose value it is. */
export function checkName(value: string, known: readonly string[], name: string): void {
  if (!known.includes(value)) throw new ConfigError(`${name} must be one of ${known.join(', ')}; got ${JSON.stringify(value)}${didYouMean(value, known)}`);
}

/** " (did you mean 'x'?)" for the nearest of `options` when it is close enough, else ''. */
export function didYouMean(word: string, options: readonly string[]): string {
  const near = closest(word, options);
  return near ? ` (did you mean '${near}'?)` : '';
}

function closest(word: string, options: readonly string[]): string | undefined {
  let best: string | undefined, bestD = Infinity;
  for (const o of options) {
    const d = editDistance(word.toLowerCase(), o.toLowerCase());
    if (d < bestD) [best, bestD] = [o, d];
  }
  return bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0];
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j];
      dp[j] = Math.min(dp[j] + 1, dp[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length];
}
