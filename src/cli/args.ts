/**
 * Command-line parsing shared by the commands: `--name value`, `--name=value`, boolean
 * `--flag`, and bare `key=value` config overrides. Unknown flags are usage errors.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { UsageError } from './command.ts';

export interface ParsedArgs {
  flags: Record<string, string | boolean>;
  overrides: string[];
  positional: string[];
}

/** `valued`: flags that take a value; `booleans`: flags that do not. */
export function parseArgs(argv: string[], valued: string[], booleans: string[] = []): ParsedArgs {
  const out: ParsedArgs = { flags: {}, overrides: [], positional: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = a.slice(2, eq >= 0 ? eq : undefined);
      if (booleans.includes(name)) {
        if (eq >= 0) throw new UsageError(`--${name} takes no value`);
        out.flags[name] = true;
      } else if (valued.includes(name)) {
        const v = eq >= 0 ? a.slice(eq + 1) : argv[++i];
        if (v === undefined || (eq < 0 && v.startsWith('--'))) throw new UsageError(`--${name} needs a value`);
        out.flags[name] = v;
      } else {
        throw new UsageError(`unknown option --${name}; options: ${[...valued, ...booleans].map((f) => '--' + f).join(', ')}`);
      }
    } else if (/^[A-Za-z][\w.]*=/.test(a)) {
      out.overrides.push(a);
    } else {
      out.positional.push(a);
    }
  }
  return out;
}

/** A JSON or YAML config file as an object (errors name the file). */
export function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new UsageError(`config file ${path} does not exist or cannot be read`);
  }
  let v: unknown;
  try {
    v = /\.ya?ml$/i.test(path) ? parseYaml(text) : JSON.parse(text);
  } catch (e) {
    throw new UsageError(`config file ${path} is not valid ${/\.ya?ml$/i.test(path) ? 'YAML' : 'JSON'}: ${(e as Error).message}`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new UsageError(`config file ${path} must hold an object of settings`);
  return v as Record<string, unknown>;
}

export function str(flags: ParsedArgs['flags'], name: string): string | undefined {
  const v = flags[name];
  return typeof v === 'string' ? v : undefined;
}

export function num(flags: ParsedArgs['flags'], name: string): number | undefined {
  const v = str(flags, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got ${JSON.stringify(v)}`);
  return n;
}

export function list(flags: ParsedArgs['flags'], name: string): string[] | undefined {
  const v = str(flags, name);
  return v === undefined ? undefined : v.split(',').map((x) => x.trim()).filter(Boolean);
}

/** `--split test|val` (default test): the fixed split a command evaluates on. */
export function splitFlag(flags: ParsedArgs['flags']): 'test' | 'val' {
  const split = str(flags, 'split') ?? 'test';
  if (split !== 'test' && split !== 'val') throw new UsageError(`--split must be test or val, got '${split}'`);
  return split;
}

/** `--levels 22,23` as whole numbers (undefined when not given); `example` goes into the error. */
export function levelsFlag(flags: ParsedArgs['flags'], example: string): number[] | undefined {
  const levels = list(flags, 'levels')?.map(Number);
  if (levels?.some((l) => !Number.isInteger(l))) throw new UsageError(`--levels must be whole numbers, e.g. ${example}`);
  return levels;
}
