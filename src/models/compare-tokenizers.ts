/**
 * Do two tokenizers agree? A teacher must score the student's tokens with the same ids, so the
 * trainer refuses to pair tokenizers that differ and prints what differs.
 */
import type { Tokenizer } from './tokenizer.ts';

export type TokenizerDisagreement =
  | { kind: 'token'; id: number; a: string | undefined; b: string | undefined }
  | { kind: 'special'; which: 'eosId' | 'bosId' | 'padId'; a: number | undefined; b: number | undefined }
  | { kind: 'vocabSize'; a: number; b: number }
  /** A probe text that encodes differently; a side that cannot encode it at all has `{ error }`. */
  | { kind: 'encode'; text: string; a: number[] | { error: string }; b: number[] | { error: string } };

export interface TokenizerComparison {
  same: boolean;
  /** Up to `limit` disagreements (vocabulary, then special ids, then probe encodings). */
  disagreements: TokenizerDisagreement[];
  /** Total number of differing token ids (may exceed what is listed). */
  differingIds: number;
  /** One readable paragraph, for error messages. */
  summary: string;
}

export interface CompareOptions {
  /** Texts to encode with both; catches differing normalizers or merges behind equal vocabularies. */
  probes?: string[];
  /** Maximum disagreements listed (default 20). */
  limit?: number;
}

export function compareTokenizers(a: Tokenizer, b: Tokenizer, opts: CompareOptions = {}): TokenizerComparison {
  const limit = opts.limit ?? 20;
  const out: TokenizerDisagreement[] = [];
  const push = (d: TokenizerDisagreement) => {
    if (out.length < limit) out.push(d);
  };
  if (a.vocabSize !== b.vocabSize) push({ kind: 'vocabSize', a: a.vocabSize, b: b.vocabSize });
  let differingIds = 0;
  const n = Math.max(a.vocabSize, b.vocabSize);
  for (let id = 0; id < n; id++) {
    const ta = a.idToToken(id);
    const tb = b.idToToken(id);
    if (ta !== tb) {
      differingIds++;
      push({ kind: 'token', id, a: ta, b: tb });
    }
  }
  for (const which of ['eosId', 'bosId', 'padId'] as const) {
    if (a[which] !== b[which]) push({ kind: 'special', which, a: a[which], b: b[which] });
  }
  let differingProbes = 0;
  for (const text of opts.probes ?? []) {
    const ea = tryEncode(a, text);
    const eb = tryEncode(b, text);
    if (!Array.isArray(ea) || !Array.isArray(eb) || ea.length !== eb.length || ea.some((x, i) => x !== eb[i])) {
      differingProbes++;
      push({ kind: 'encode', text, a: ea, b: eb });
    }
  }
  const same = a.vocabSize === b.vocabSize && differingIds === 0 && differingProbes === 0 && a.eosId === b.eosId && a.bosId === b.bosId && a.padId === b.padId;
  return { same, disagreements: out, differingIds, summary: same ? 'the tokenizers agree' : summarize(out, differingIds, differingProbes) };
}

function tryEncode(t: Tokenizer, text: string): number[] | { error: string } {
  try {
    return t.encode(text);
  } catch (e) {
    return { error: (e as Error).message };
  }
}

const showIds = (x: number[] | { error: string }) => (Array.isArray(x) ? `[${x.slice(0, 8)}${x.length > 8 ? ',...' : ''}]` : `error (${x.error.slice(0, 60)})`);

function summarize(ds: TokenizerDisagreement[], differingIds: number, differingProbes: number): string {
  const parts: string[] = [];
  if (differingIds) parts.push(`${differingIds} token id(s) map to different tokens`);
  if (differingProbes) parts.push(`${differingProbes} probe text(s) encode differently`);
  const shown = ds.slice(0, 8).map((d) => {
    switch (d.kind) {
      case 'vocabSize': return `vocabulary size ${d.a} vs ${d.b}`;
      case 'token': return `id ${d.id}: ${JSON.stringify(d.a ?? null)} vs ${JSON.stringify(d.b ?? null)}`;
      case 'special': return `${d.which} ${d.a ?? 'none'} vs ${d.b ?? 'none'}`;
      case 'encode': return `${JSON.stringify(d.text.slice(0, 30))} -> ${showIds(d.a)} vs ${showIds(d.b)}`;
    }
  });
  return `the tokenizers differ${parts.length ? ` (${parts.join('; ')})` : ''}: ${shown.join('; ')}${ds.length > 8 ? '; ...' : ''}`;
}
