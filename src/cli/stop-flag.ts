/**
 * `--stop` on the command line: the stop strings that end a completion, overriding the ones a
 * model ships with (generation_config.json `stop_strings`). Stop strings usually start with a
 * newline, which a shell makes awkward, so the value is a JSON list (`'["\nQ: ","\nf("]'`),
 * `none` for no stop strings, or one string in which \n and \t are read as escapes.
 */
import { UsageError } from './command.ts';

export function parseStopFlag(value: string): string[] {
  if (value === 'none' || value === '[]') return [];
  if (value.trimStart().startsWith('[')) {
    let v: unknown;
    try {
      v = JSON.parse(value);
    } catch (e) {
      throw new UsageError(`--stop ${value} is not a valid JSON list (${(e as Error).message}); e.g. --stop '["\\nQ: ", "\\nFeedback:"]'`);
    }
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string' && x.length > 0)) throw new UsageError(`--stop must be a list of non-empty strings, got ${value}`);
    return v as string[];
  }
  const s = value.replace(/\\(n|t|\\)/g, (_, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : '\\'));
  if (!s) throw new UsageError('--stop needs a string, a JSON list of strings, or none');
  return [s];
}

/** The stop strings in effect and where they came from, for one line of output. */
export function resolveStop(flag: string | undefined, shipped: string[] | undefined, modelDir: string): { stop: string[]; source: string } {
  if (flag !== undefined) return { stop: parseStopFlag(flag), source: '--stop' };
  if (shipped?.length) return { stop: shipped, source: `${modelDir}/generation_config.json` };
  return { stop: [], source: 'none: the model ships no stop strings' };
}
