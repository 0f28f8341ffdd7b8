/**
 * Two kinds of failure, as the command line reports them: bad input (a missing or malformed
 * file, an unknown name, a folder in the wrong state, a bad setting) exits 2 with its message
 * alone; anything else is a failure during the work and exits 1. Messages say what is wrong,
 * which file or setting, and what to do.
 */
export class InputError extends Error {}

/** `e` as an InputError (the same message; the original kept as its cause). */
export function asInputError(e: unknown): InputError {
  if (e instanceof InputError) return e;
  const err = new InputError(e instanceof Error ? e.message : String(e), { cause: e });
  return err;
}
