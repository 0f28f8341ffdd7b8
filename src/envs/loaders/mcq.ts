/**
 * Multiple-choice science questions in JSONL, in the common shapes:
 *  {"question": ..., "choices": ["a", "b", ...], "answer": "B" | 1}
 *  {"question": ..., "choices": [{"label": "A", "text": ...}, ...], "answerKey": "A"}
 *  {"question": ..., "choices": {"label": [...], "text": [...]}, "answerKey": "C"}   (ARC on HF)
 *  {"question": {"stem": ..., "choices": [{"label", "text"}]}, "answerKey": "D"}   (ARC original)
 * and reading the chosen letter back out of a completion ("Answer: B").
 */
import { DataError, readJsonl, type JsonlRow } from './jsonl.ts';
import { lastBoxed } from './answers.ts';

export interface McqRecord {
  id: string;
  question: string;
  /** Choice texts; labels are A, B, C... in this order. */
  choices: string[];
  /** 0-based index of the right choice. */
  answer: number;
  level: number;
  line: number;
}

export const LETTERS = 'ABCDEFGHIJ';

function choicesOf(v: unknown, row: JsonlRow, path: string): { labels: string[]; texts: string[] } {
  const bad = () => new DataError(`${path}:${row.line}: 'choices' must be a list of strings, a list of {label, text}, or {label: [...], text: [...]}`);
  if (Array.isArray(v)) {
    if (v.every((c) => typeof c === 'string' || typeof c === 'number')) {
      return { labels: v.map((_, i) => LETTERS[i]), texts: v.map(String) };
    }
    if (v.every((c) => c && typeof c === 'object' && 'text' in c)) {
      return {
        labels: v.map((c, i) => String((c as { label?: unknown }).label ?? LETTERS[i])),
        texts: v.map((c) => String((c as { text: unknown }).text)),
      };
    }
    throw bad();
  }
  if (v && typeof v === 'object' && Array.isArray((v as { text?: unknown }).text)) {
    const o = v as { text: unknown[]; label?: unknown[] };
    return { labels: o.text.map((_, i) => String(o.label?.[i] ?? LETTERS[i])), texts: o.text.map(String) };
  }
  throw bad();
}

export function loadMcqJsonl(path: string): McqRecord[] {
  return readJsonl(path).map((row) => {
    const v = row.value;
    const q = v.question;
    const stem = typeof q === 'object' && q !== null ? (q as { stem?: unknown }).stem : q;
    if (typeof stem !== 'string' || !stem.trim()) throw new DataError(`${path}:${row.line}: missing field 'question' (a non-empty string, or {stem, choices})`);
    const rawChoices = v.choices ?? v.options ?? (typeof q === 'object' && q !== null ? (q as { choices?: unknown }).choices : undefined);
    if (rawChoices === undefined) throw new DataError(`${path}:${row.line}: missing field 'choices'`);
    const { labels, texts } = choicesOf(rawChoices, row, path);
    if (texts.length < 2 || texts.length > LETTERS.length) throw new DataError(`${path}:${row.line}: need 2-${LETTERS.length} choices, got ${texts.length}`);
    const key = v.answer ?? v.answerKey ?? v.label;
    let answer = -1;
    if (typeof key === 'number' && Number.isInteger(key)) answer = key;
    else if (typeof key === 'string') {
      const k = key.trim();
      answer = labels.indexOf(k);
      if (answer < 0 && /^[A-J]$/i.test(k)) answer = LETTERS.indexOf(k.toUpperCase());
      if (answer < 0 && /^\d+$/.test(k)) answer = labels.indexOf(k) >= 0 ? labels.indexOf(k) : Number(k);
      if (answer < 0) answer = texts.indexOf(k);
    }
    if (!(answer >= 0 && answer < texts.length)) {
      throw new DataError(`${path}:${row.line}: answer ${JSON.stringify(key)} is not one of the ${texts.length} choices (use a letter A-${LETTERS[texts.length - 1]} or a 0-based index)`);
    }
    const id = v.id ?? v.unique_id;
    return {
      id: typeof id === 'string' || typeof id === 'number' ? String(id) : `line${row.line}`,
      question: stem.trim(),
      choices: texts,
      answer,
      level: typeof v.level === 'number' ? v.level : 1,
      line: row.line,
    };
  });
}

/**
 * The letter a completion chose, or null: the last "answer: B" / "answer is (B)", else
 * `\boxed{B}`, else a completion that is just a letter; a stated choice text also counts.
 */
export function extractChoice(completion: string, choices: string[]): number | null {
  const valid = LETTERS.slice(0, choices.length);
  const pick = (s: string): number | null => {
    const t = s.trim().replace(/^\(|\)$|[.)]$/g, '').trim();
    if (t.length === 1 && valid.includes(t.toUpperCase())) return valid.indexOf(t.toUpperCase());
    const byText = choices.findIndex((c) => c.trim().toLowerCase() === t.toLowerCase());
    return byText >= 0 ? byText : null;
  };
  const stated = [...completion.matchAll(/answer(?:\s+is)?\s*[:\s]\s*\(?([^\n]*)/gi)];
  for (let i = stated.length - 1; i >= 0; i--) {
    const line = stated[i][1].trim();
    const first = /^\(?([A-J])\b\)?/i.exec(line);
    const got = first ? pick(first[1]) : pick(line);
    if (got !== null) return got;
  }
  const boxed = lastBoxed(completion);
  if (boxed !== null) return pick(boxed);
  return pick(completion);
}
