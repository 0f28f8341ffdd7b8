/**
 * Fixed-width sequences: every prompt is left-padded with <pad> to `promptLength`, every
 * completion is genLength tokens. One shape for all levels lets any tasks share a batch (the
 * bidirectional model would otherwise need an attention mask) and gives each completion position
 * the same absolute position at every level. The model learns to ignore the padding.
 */
import type { Tokenizer } from '../models/tokenizer.ts';

export interface SequenceShape {
  promptLength: number;
  genLength: number;
}

export function encodePrompt(tok: Tokenizer, prompt: string, promptLength: number): Int32Array {
  const ids = tok.encode(prompt);
  if (ids.length > promptLength) throw new Error(`diffusion-lm: the prompt ${JSON.stringify(prompt)} has ${ids.length} tokens, more than promptLength ${promptLength}; raise promptLength or use lower levels`);
  const out = new Int32Array(promptLength).fill(tok.padId!);
  out.set(ids, promptLength - ids.length);
  return out;
}

/** Reference completion ids: solution + <eos>, padded with <eos> to genLength (as LLaDA pads answers). */
export function encodeCompletion(tok: Tokenizer, text: string, genLength: number): Int32Array {
  const ids = tok.encode(text);
  if (ids.length + 1 > genLength) throw new Error(`diffusion-lm: the solution has ${ids.length} tokens + <eos>, more than genLength ${genLength}; raise genLength or use lower levels`);
  const out = new Int32Array(genLength).fill(tok.eosId!);
  out.set(ids);
  return out;
}

/** The completion's text: everything before the first <eos> (masks left over decode as <unk>). */
export function completionText(tok: Tokenizer, completion: ArrayLike<number>): string {
  const cut: number[] = [];
  for (let i = 0; i < completion.length && completion[i] !== tok.eosId; i++) cut.push(completion[i]);
  return tok.decode(cut);
}

/** Tokens a completion really used: up to and including its first <eos> (the rest is padding). */
export function usedTokens(tok: Tokenizer, completion: ArrayLike<number>): number {
  for (let i = 0; i < completion.length; i++) if (completion[i] === tok.eosId) return i + 1;
  return completion.length;
}
