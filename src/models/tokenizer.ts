/**
 * The one tokenizer interface the rest of distil sees, implemented by the Hugging Face wrapper
 * (hf-tokenizer.ts) and by the character tokenizer of the built-in tiny models (char-tokenizer.ts).
 */
export interface DecodeOptions {
  /** Drop special tokens (pad, bos, eos, ...) from the text. Default false. */
  skipSpecialTokens?: boolean;
}

export interface Tokenizer {
  readonly kind: 'hf' | 'char';
  /** Number of ids (one past the largest id, added tokens included). */
  readonly vocabSize: number;
  readonly eosId: number;
  readonly bosId?: number;
  readonly padId: number;
  /** Ids of all special tokens. */
  readonly specialIds: ReadonlySet<number>;
  /**
   * Text -> ids. Never adds bos/eos by itself (chat templates already write them, and training
   * code appends eos explicitly). Literal special-token strings in the text ("<eos>") become
   * those tokens, as in Hugging Face tokenizers.
   */
  encode(text: string): number[];
  decode(ids: readonly number[], opts?: DecodeOptions): string;
  idToToken(id: number): string | undefined;
  /**
   * The bytes of one token's own text (UTF-8), as OpenAI's logprobs `bytes` report them. A
   * byte-level token that holds part of a character has its own byte(s), not those of the
   * replacement character that decoding it alone would give. Empty for an unknown id.
   */
  tokenBytes(id: number): number[];
  tokenToId(token: string): number | undefined;
}
