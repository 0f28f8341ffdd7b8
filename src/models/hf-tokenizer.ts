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

/** Types of a tokenizer.json decoder, looking inside Sequence decoders. */
function decoderTypes(d: unknown): string[] {
  if (!d || typeof d !== 'object') return [];
  const { type, decoders } = d as { type?: unknown; decoders?: unknown };
  const inner = Array.isArray(decoders) ? decoders.flatMap(decoderTypes) : [];
  return [...(typeof type === 'string' ? [type] : []), ...inner];
}

/**
 * GPT-2's byte-level alphabet, inverted: printable bytes stand for themselves, the other 68
 * bytes are written as the code points from 256 up, in byte order.
 */
const BYTE_OF_CHAR: Map<string, number> = (() => {
  const m = new Map<string, number>();
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    m.set(String.fromCodePoint(printable ? b : 256 + extra++), b);
  }
  return m;
})();

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

  tokenBytes(id: number): number[] {
    const token = this.impl.id_to_token(id);
    if (token === undefined) return [];
    if (this.specialIds.has(id)) return [...Buffer.from(token, 'utf8')];
    const decoders = decoderTypes(this.tokenizerJson.decoder);
    if (decoders.includes('ByteLevel')) {
      // GPT-2 style: every character of the token stands for one byte.
      const out: number[] = [];
      for (const ch of token) {
        const b = BYTE_OF_CHAR.get(ch);
        if (b === undefined) return [...Buffer.from(token, 'utf8')]; // an added token written as text
        out.push(b);
      }
      return out;
    }
    // SentencePiece style: <0xNN> byte-fallback tokens are one byte; U+2581 is a space.
    const hex = /^<0x([0-9A-Fa-f]{2})>$/.exec(token);
    if (hex && decoders.includes('ByteFallback')) return [parseInt(hex[1], 16)];
    if (decoders.includes('Metaspace') || decoders.includes('Replace')) return [...Buffer.from(token.replace(/\u2581/g, ' '), 'utf8')];
    return [...Buffer.from(this.decode([id]), 'utf8')];
  }

  tokenToId(token: string): number | undefined {
    return this.impl.token_to_id(token);
  }

  /** Special token text by tokenizer_config.json key (bos_token, eos_token, ...), for chat templates. */
  specialToken(key: string): string | undefined {
    return specialTokenText(this.tokenizerConfig[key]);
  }
}
