/**
 * Segments of a completion for process judging: its lines (the envs' step delimiter is the
 * newline), each with the newline that ends it; the last runs to the end of the text. A line
 * holding only white space is joined to the segment before it (or, at the start, the one after).
 */
import type { Tokenizer } from '../models/tokenizer.ts';

/** Character end (exclusive) of each segment of `text`; at least one segment. */
export function lineSegmentEnds(text: string): number[] {
  const raw: [number, number][] = [];
  for (let start = 0; start < text.length; ) {
    const nl = text.indexOf('\n', start);
    const end = nl < 0 ? text.length : nl + 1;
    raw.push([start, end]);
    start = end;
  }
  const ends: number[] = [];
  for (const [a, b] of raw) {
    if (text.slice(a, b).trim() !== '') ends.push(b);
    else if (ends.length) ends[ends.length - 1] = b;
    // else: leading blank lines belong to the first segment (it starts at 0 in any case)
  }
  if (!ends.length) return [text.length];
  return ends;
}

/**
 * The segment of each token: token t covers the characters from the decoded length of
 * tokens[0, t) on, and belongs to the segment holding its first character; a token with no
 * text (end of sequence) belongs to the segment before it.
 */
export function tokenSegments(tokens: readonly number[], ends: readonly number[], tokenizer: Tokenizer): Int32Array {
  const known = (ids: readonly number[]) => ids.filter((id) => id < tokenizer.vocabSize);
  const out = new Int32Array(tokens.length);
  let prevLen = 0, seg = 0;
  for (let t = 0; t < tokens.length; t++) {
    const len = tokenizer.decode(known(tokens.slice(0, t + 1))).length;
    if (len > prevLen) {
      while (seg < ends.length - 1 && prevLen >= ends[seg]) seg++;
    }
    out[t] = seg;
    prevLen = len;
  }
  return out;
}
