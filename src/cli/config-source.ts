/**
 * Settings come from two places: a file (--config, or the run's own config.json on --resume)
 * and key=value words on the command line. An error about a value must blame the place the
 * value came from, or a user edits the file to fix what they typed.
 */
import { ConfigError } from '../util/schema.ts';
import { applyOverrides } from '../train/config.ts';

/**
 * Resolves `file` settings + `overrides` with `resolve`; a ConfigError caused by an override
 * is re-worded to name it (`steps=-1 on the command line: ...`), one caused by the file keeps
 * naming the file.
 */
export function resolveWithSources<T>(
  base: Record<string, unknown>,
  overrides: string[],
  file: string | undefined,
  resolve: (given: Record<string, unknown>, where: string) => T,
): T {
  const where = file ?? 'train config';
  try {
    return resolve(applyOverrides(base, overrides), where);
  } catch (e) {
    if (!(e instanceof ConfigError) || !overrides.length) throw e;
    const fromFile = fails(() => resolve(base, where));
    if (fromFile === e.message) throw e; // the file alone is wrong in the same way
    const culprit = overrides.find((o) => fails(() => resolve(applyOverrides(base, [o]), where)) !== undefined);
    const what = e.message.startsWith(`${where}: `) ? e.message.slice(where.length + 2) : e.message;
    throw new ConfigError(`${culprit ?? overrides.join(' ')} on the command line: ${what}`);
  }
}

function fails(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}
