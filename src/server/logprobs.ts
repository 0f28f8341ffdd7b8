/**
 * Per-token log-probs in the three shapes clients expect:
 *  - legacy completions: {tokens, token_logprobs, top_logprobs, text_offset}, top_logprobs a
 *    dict token -> logprob holding the top N and the chosen token;
 *  - chat: {content: [{token, logprob, bytes, top_logprobs: [{token, logprob, bytes}]}]};
 *  - vLLM's prompt_logprobs: [null, {"<id>": {logprob, rank, decoded_token}}, ...].
 * Token strings are the token's decoded text, or "token_id:<id>" when the client asked for
 * return_tokens_as_token_ids (the only spelling that survives the trip back to ids: two ids
 * can decode to the same text, and a dict keyed by text would merge them).
 */
import type { Engine, PositionLogprobs } from './engine.ts';

/** One token of a logprobs listing; null logprob/top for the first prompt token. */
export interface TokenEntry {
  id: number;
  logprob: number | null;
  top: { id: number; logprob: number }[] | null;
}

/** JSON has no -Infinity; vLLM writes -9999 for impossible tokens. */
const num = (x: number): number => (Number.isFinite(x) ? x : -9999);

/** Entries for ids[from..] from their positions; top lists cut to `topN` (passes may have computed more). */
export function entriesFromPositions(ids: number[], from: number, pos: PositionLogprobs[], topN: number, chosen?: number[]): TokenEntry[] {
  return pos.map((p, i) => ({
    id: ids[from + i],
    // The sampler's own value for sampled tokens (identical in exact arithmetic).
    logprob: chosen ? chosen[i] : p.logprob,
    top: p.topIds.slice(0, topN).map((id, j) => ({ id, logprob: p.topLogprobs[j] })),
  }));
}

export function tokenName(engine: Engine, id: number, asIds: boolean): string {
  return asIds ? `token_id:${id}` : engine.tokenText(id);
}

export interface LegacyLogprobs {
  tokens: string[];
  token_logprobs: (number | null)[];
  top_logprobs: (Record<string, number> | null)[];
  text_offset: number[];
}

/** `offset0`: where the first token starts in the returned text. */
export function legacyLogprobs(engine: Engine, entries: TokenEntry[], asIds: boolean, offset0 = 0): LegacyLogprobs {
  const out: LegacyLogprobs = { tokens: [], token_logprobs: [], top_logprobs: [], text_offset: [] };
  let offset = offset0;
  for (const e of entries) {
    out.tokens.push(tokenName(engine, e.id, asIds));
    out.token_logprobs.push(e.logprob === null ? null : num(e.logprob));
    if (e.top === null || e.logprob === null) out.top_logprobs.push(null);
    else {
      const dict: Record<string, number> = {};
      for (const t of e.top) dict[tokenName(engine, t.id, asIds)] ??= num(t.logprob);
      // The chosen token is always listed, as in vLLM and OpenAI's legacy API.
      dict[tokenName(engine, e.id, asIds)] = num(e.logprob);
      out.top_logprobs.push(dict);
    }
    out.text_offset.push(offset);
    offset += engine.tokenText(e.id).length;
  }
  return out;
}

export function chatLogprobs(engine: Engine, entries: TokenEntry[], asIds: boolean, topN: number) {
  return {
    content: entries.map((e) => {
      const token = tokenName(engine, e.id, asIds);
      return {
        token,
        logprob: num(e.logprob ?? 0),
        // The token's own bytes: a byte-level token holding part of a character has its byte,
        // not the bytes of the U+FFFD that decoding it alone gives.
        bytes: engine.model.tokenizer.tokenBytes(e.id),
        top_logprobs: (e.top ?? []).slice(0, topN).map((t) => ({
          token: tokenName(engine, t.id, asIds),
          logprob: num(t.logprob),
          bytes: engine.model.tokenizer.tokenBytes(t.id),
        })),
      };
    }),
  };
}

export type PromptLogprobEntry = Record<string, { logprob: number; rank: number; decoded_token: string }> | null;

/** vLLM's prompt_logprobs from the prompt's positions: the top N plus the actual token, keyed by id. */
export function promptLogprobs(engine: Engine, prompt: number[], pos: PositionLogprobs[], topN: number, asIds: boolean): PromptLogprobEntry[] {
  const out: PromptLogprobEntry[] = [null];
  pos.forEach((p, i) => {
    const d: NonNullable<PromptLogprobEntry> = {};
    p.topIds.slice(0, topN).forEach((id, j) => {
      d[String(id)] = { logprob: num(p.topLogprobs[j]), rank: j + 1, decoded_token: tokenName(engine, id, asIds) };
    });
    const id = prompt[i + 1];
    d[String(id)] = { logprob: num(p.logprob), rank: p.rank, decoded_token: tokenName(engine, id, asIds) };
    out.push(d);
  });
  return out;
}
