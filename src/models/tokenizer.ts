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
  tokenToId(token: string): number | undefined;
}
