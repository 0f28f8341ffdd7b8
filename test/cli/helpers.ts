/** What a command prints: console.log is swapped for the call and put back even if it throws. */
export async function captureLog(run: () => Promise<number | void>): Promise<{ code: number | void; out: string }> {
  const lines: string[] = [];
  const orig = console.log;
  console.log = (...a: unknown[]) => void lines.push(a.join(' '));
  try {
    const code = await run();
    return { code, out: lines.join('\n') };
  } finally {
    console.log = orig;
  }
}
