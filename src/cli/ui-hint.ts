/** The line `distil train` and `distil compare` print so that a run can be watched while it runs. */
import { isAbsolute, relative } from 'node:path';

/** `distil ui <dir>` with dir relative to the current folder when below it, quoted for a POSIX shell when needed. */
export function uiCommand(dir: string, cwd = process.cwd()): string {
  const rel = relative(cwd, dir);
  const shown = rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? dir : rel;
  const quoted = /^[\w./@%+=:,-]+$/.test(shown) ? shown : `'${shown.replace(/'/g, `'\\''`)}'`;
  return `npx distil ui ${quoted}`;
}

export function uiHint(dir: string): string {
  return `[distil] watch it live: ${uiCommand(dir)}  (then open http://127.0.0.1:6006/)\n`;
}
