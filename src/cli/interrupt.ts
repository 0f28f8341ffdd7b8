/**
 * Ctrl-C for long work: the first press asks the work to stop at its next safe point (a step
 * boundary, where a checkpoint makes it resumable); a second press exits at once.
 */
export interface Interrupt {
  /** True once Ctrl-C was pressed. */
  readonly requested: boolean;
  /** Stop listening (call when the work is done). */
  dispose(): void;
}

export function onInterrupt(message: string): Interrupt {
  let requested = false;
  const handler = () => {
    if (requested) process.exit(130);
    requested = true;
    process.stderr.write(`\n[distil] ${message}\n`);
  };
  process.on('SIGINT', handler);
  return {
    get requested() {
      return requested;
    },
    dispose: () => process.off('SIGINT', handler),
  };
}
