/**
 * A Hugging Face tokenizer (tokenizer.json + tokenizer_config.json) behind distil's Tokenizer
 * interface, via @huggingface/tokenizers (pure JS, no network).
 */
import { Tokenizer as HfTokenizerImpl } from '@huggingface/tokenizers';
import type { DecodeOptions, Tokenizer } from './tokenizer.ts';

type Json = Record<string, unknown>;

/** tokenizer_config.json writes special tokens as a string or as an AddedToken dict {content}. */
export function specialTokenText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as Json).content === 'string') return (v as Json).content as string;
  return undefined;
}

export interface HfTokenizerIds {
  /** Overrides from config.json / generation_config.json, used when tokenizer_config.json names no such token. */
  eosId?: number;
  bosId?: number;
  padId?: number;
}

export class HfTokenizer implements Tokenizer {
  readonly kind = 'hf' as const;
  readonly vocabSize: number;
  readonly eosId: number;
  readonly bosId?: number;
  readonly padId: number;
  readonly specialIds: ReadonlySet<number>;
  readonly tokenizerJson: Json;
  readonly tokenizerConfig: Json;
  private readonly impl: HfTokenizerImpl;

  /** `origin` names the folder or file, for errors. */
  constructor(tokenizerJson: Json, tokenizerConfig: Json, origin: string, ids: HfTokenizerIds = {}) {
    this.tokenizerJson = tokenizerJson;
    this.tokenizerConfig = tokenizerConfig;
    try {
      this.impl = new HfTokenizerImpl(tokenizerJson, tokenizerConfig);
    } catch (e) {
      throw new Error(`tokenizer in ${origin} could not be built by @huggingface/tokenizers: ${(e as Error).message}`);
    }
    const vocab = this.impl.get_vocab(true);
    let maxId = -1;
    for (const id of vocab.values()) maxId = Math.max(maxId, id);
    this.vocabSize = maxId + 1;
    const idOf = (key: string): number | undefined => {
      const text = specialTokenText(tokenizerConfig[key]);
      if (text === undefined) return undefined;
      const id = this.impl.token_to_id(text);
      if (id === undefined) throw new Error(`${origin}: tokenizer_config.json "${key}" is ${JSON.stringify(text)}, which is not in tokenizer.json's vocabulary`);
      return id;
    };
    const eos = idOf('eos_token') ?? ids.eosId;
    if (eos === undefined) {
      throw new Error(`${origin}: no end-of-sequence token — set "eos_token" in tokenizer_config.json or "eos_token_id" in config.json / generation_config.json`);
    }
    this.eosId = eos;
    this.bosId = idOf('bos_token') ?? ids.bosId;
    // Many chat models have no pad token; padding positions are masked anyway, so eos serves.
    this.padId = idOf('pad_token') ?? ids.padId ?? eos;
    this.specialIds = new Set([...this.impl.get_added_tokens_decoder()].filter(([, t]) => t.special).map(([id]) => id));
  }

  encode(text: string): number[] {
    if (text.length === 0) return [];
    return this.impl.encode(text, { add_special_tokens: false }).ids;
  }

  decode(ids: readonly number[], opts: DecodeOptions = {}): string {
    if (ids.length === 0) return ''; // the library throws on an empty list
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) throw new Error(`cannot decode token id ${id}: the tokenizer has ids 0..${this.vocabSize - 1}`);
    }
    return this.impl.decode([...ids], { skip_special_tokens: opts.skipSpecialTokens ?? false });
  }

  idToToken(id: number): string | undefined {
    return this.impl.id_to_token(id);
  }

  tokenToId(token: string): number | undefined {
    return this.impl.token_to_id(token);
  }

  /** Special token text by tokenizer_config.json key (bos_token, eos_token, ...), for chat templates. */
  specialToken(key: string): string | undefined {
    return specialTokenText(this.tokenizerConfig[key]);
  }
}
