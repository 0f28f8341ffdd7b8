/** One subcommand of `distil`. Each lives in its own file under src/cli/commands/. */
export interface Command {
  /** e.g. 'sandbox' or 'env sample' (words separated by one space). */
  name: string;
  /** One line for `distil --help`. */
  summary: string;
  /** Full text for `distil NAME --help`. */
  help: string;
  /** Returns the process exit code. */
  run(argv: string[]): Promise<number>;
}

import { InputError } from '../util/errors.ts';

/** Thrown for bad command-line input: printed without a stack trace, exit code 2. */
export class UsageError extends InputError {}
