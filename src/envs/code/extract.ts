/**
 * The code in a completion. Tiny models write bare code; chat models wrap it in a Markdown
 * fence, often with prose around it. Taking the first fenced block (any language tag) when
 * there is one, else the whole text, handles both without guessing at prose.
 */
export function extractCode(completion: string): string {
  const fence = /```[A-Za-z0-9_+-]*[ \t]*\r?\n([\s\S]*?)(?:```|$)/.exec(completion);
  return (fence ? fence[1] : completion).replace(/\s+$/, '');
}

/**
 * The program for a HumanEval-style task: the prompt (which ends inside the function's
 * body) continued by the completion. When the completion instead restates the whole
 * function, it replaces the prompt's unfinished copy (helpers above it are kept).
 */
export function buildProgram(prompt: string, completion: string, entry: string): { program: string; prefixLines: number } {
  const code = extractCode(completion);
  const name = entry.replace(/\$/g, '\\$');
  // `function name(` or `const name = (` / `= function`: both styles occur in JS ports.
  const declares = `(?:function\\s+${name}\\s*\\(|(?:const|let|var)\\s+${name}\\s*=)`;
  if (new RegExp(declares).test(code)) {
    const at = prompt.search(new RegExp(`(?:^|\\n)[^\\n]*${declares}`));
    const head = at >= 0 ? prompt.slice(0, at === 0 ? 0 : at + 1) : '';
    // Keep any helpers the completion did not restate; drop the unfinished entry point.
    return { program: head + code, prefixLines: head.split('\n').length - 1 };
  }
  // Not fence-stripped: the completion continues the prompt verbatim.
  return { program: prompt + completion, prefixLines: prompt.split('\n').length - 1 };
}

/** Assertion call sites in HumanEval-style test code: a floor for how many checks it makes. */
export function countChecks(testCode: string): number {
  const code = testCode.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/[^\n]*/g, '');
  return (code.match(/\bassert(?:\.[A-Za-z]+)?\s*\(|\bconsole\.assert\s*\(/g) ?? []).length;
}
