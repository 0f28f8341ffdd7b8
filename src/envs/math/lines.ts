/**
 * Splits a completion into its non-empty lines, keeping where each one sits, so that
 * feedback can point at a line number and a character span of the student's own text.
 */
export interface Line {
  /** Trimmed text of the line. */
  text: string;
  /** 1-based line number in the completion. */
  line: number;
  /** Character span [start, end) of the untrimmed line in the completion. */
  span: [number, number];
}

export function completionLines(completion: string): Line[] {
  const out: Line[] = [];
  let start = 0;
  const raw = completion.split('\n');
  raw.forEach((r, i) => {
    const end = start + r.length;
    const text = r.trim();
    if (text) out.push({ text, line: i + 1, span: [start, end] });
    start = end + 1;
  });
  return out;
}

/** `A: 4` or `answer: 42` (any case); returns what follows the colon, or null. */
export function answerOf(text: string): string | null {
  const m = /^(?:a|answer)\s*:\s*(.*)$/i.exec(text);
  return m ? m[1].trim() : null;
}
