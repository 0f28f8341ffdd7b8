/**
 * One part of `npm run bench`. Sections live in bench/sections/*.ts and default-export a
 * BenchSection; bench/run.ts discovers them, runs them in order of `order`, prints each
 * record as it comes (a table, or one JSON object per line with --json), then a summary.
 */
export interface BenchContext {
  /** Print one measurement (shown as a row; one JSON line with --json). */
  record(row: Record<string, string | number | boolean | null>): void;
  /** Progress or notes for humans (stderr; silent with --json). */
  note(text: string): void;
  /** Absolute path of /usr/bin/python3 when `import torch` works there, else null. */
  torchPython: string | null;
  /** --quick: fewer repetitions (used by a smoke test). */
  quick: boolean;
}

export interface BenchSection {
  name: string;
  /** Lower runs first. */
  order: number;
  /** Returns the keys this section contributes to the final summary object. */
  run(ctx: BenchContext): Promise<Record<string, number | null>>;
}
