/**
 * The character tokenizer of the built-in tiny models: one id per character of a fixed
 * alphabet, after four special tokens with fixed ids
 *   0 <pad>   1 <bos>   2 <eos>   3 <unk>   4.. the alphabet, in the order given.
 *
 * Unknown characters: by default encode() throws, naming the character, its code point and its
 * position — a character outside the alphabet almost always means the corpus and the model do
 * not match, and silently turning it into <unk> would make decode(encode(s)) !== s. Pass
 * `{ unknown: 'unk' }` to map such characters to <unk> instead (that is also what the
 * Hugging Face export does, since tokenizer.json has no way to say "throw").
 *
 * Like Hugging Face tokenizers, a literal special-token string in the text ("<eos>") encodes
 * to that special token, so this tokenizer and its tokenizer.json export always agree.
 *
 * Saved as char_tokenizer.json (exact, with the unknown-character policy) and exported as a
 * Hugging Face tokenizer.json: a BPE model with no merges — which splits text into characters
 * and maps each to its id, both in the Rust `tokenizers` library and in @huggingface/tokenizers
 * — with a Fuse decoder that concatenates them back.
 */
import type { DecodeOptions, Tokenizer } from './tokenizer.ts';

export const CHAR_SPECIAL_TOKENS = ['<pad>', '<bos>', '<eos>', '<unk>'] as const;
export const CHAR_TOKENIZER_FILE = 'char_tokenizer.json';
const FILE_TYPE = 'distil-char-tokenizer';

export type UnknownCharPolicy = 'error' | 'unk';

export interface CharTokenizerFile {
  type: typeof FILE_TYPE;
  version: 1;
  specialTokens: string[];
  alphabet: string[];
  unknown: UnknownCharPolicy;
}

export class CharTokenizer implements Tokenizer {
  readonly kind = 'char' as const;
  readonly padId = 0;
  readonly bosId = 1;
  readonly eosId = 2;
  readonly unkId = 3;
  readonly vocabSize: number;
  readonly specialIds: ReadonlySet<number> = new Set([0, 1, 2, 3]);
  readonly alphabet: readonly string[];
  readonly unknown: UnknownCharPolicy;
  private readonly toId = new Map<string, number>();
  private readonly toToken: string[];

  /** `alphabet`: a string (each code point one token) or a list of single characters. */
  constructor(alphabet: string | readonly string[], opts: { unknown?: UnknownCharPolicy } = {}) {
    const chars = typeof alphabet === 'string' ? Array.from(alphabet) : [...alphabet];
    if (chars.length === 0) throw new Error('CharTokenizer: the alphabet is empty');
    this.toToken = [...CHAR_SPECIAL_TOKENS];
    CHAR_SPECIAL_TOKENS.forEach((t, i) => this.toId.set(t, i));
    for (const c of chars) {
      if (typeof c !== 'string' || Array.from(c).length !== 1) {
        throw new Error(`CharTokenizer: alphabet entry ${JSON.stringify(c)} is not exactly one character`);
      }
      if (this.toId.has(c)) throw new Error(`CharTokenizer: character ${describeChar(c)} appears twice in the alphabet`);
      this.toId.set(c, this.toToken.length);
      this.toToken.push(c);
    }
    this.alphabet = chars;
    this.vocabSize = this.toToken.length;
    this.unknown = opts.unknown ?? 'error';
    if (this.unknown !== 'error' && this.unknown !== 'unk') throw new Error(`CharTokenizer: unknown-character policy must be "error" or "unk", got ${JSON.stringify(this.unknown)}`);
  }

  encode(text: string): number[] {
    const ids: number[] = [];
    let i = 0;
    while (i < text.length) {
      if (text.charCodeAt(i) === 0x3c /* '<' */) {
        const special = CHAR_SPECIAL_TOKENS.findIndex((t) => text.startsWith(t, i));
        if (special >= 0) {
          ids.push(special);
          i += CHAR_SPECIAL_TOKENS[special].length;
          continue;
        }
      }
      const cp = text.codePointAt(i)!;
      const c = String.fromCodePoint(cp);
      const id = this.toId.get(c);
      if (id !== undefined) ids.push(id);
      else if (this.unknown === 'unk') ids.push(this.unkId);
      else {
        throw new Error(
          `CharTokenizer: character ${describeChar(c)} at position ${i} of the text is not in the tokenizer's alphabet ` +
            `of ${this.alphabet.length} characters; remove it from the text, or build the tokenizer with { unknown: 'unk' }`,
        );
      }
      i += c.length;
    }
    return ids;
  }

  decode(ids: readonly number[], opts: DecodeOptions = {}): string {
    let out = '';
    for (const id of ids) {
      const t = this.toToken[id];
      if (t === undefined || !Number.isInteger(id)) throw new Error(`CharTokenizer: cannot decode token id ${id}: the tokenizer has ids 0..${this.vocabSize - 1}`);
      if (opts.skipSpecialTokens && id < CHAR_SPECIAL_TOKENS.length) continue;
      out += t;
    }
    return out;
  }

  tokenBytes(id: number): number[] {
    const t = this.idToToken(id);
    return t === undefined ? [] : [...Buffer.from(t, 'utf8')];
  }

  idToToken(id: number): string | undefined {
    return this.toToken[id];
  }

  tokenToId(token: string): number | undefined {
    return this.toId.get(token);
  }

  toJSON(): CharTokenizerFile {
    return { type: FILE_TYPE, version: 1, specialTokens: [...CHAR_SPECIAL_TOKENS], alphabet: [...this.alphabet], unknown: this.unknown };
  }

  /** Read char_tokenizer.json contents; `origin` names the file in errors. */
  static fromJSON(json: unknown, origin = CHAR_TOKENIZER_FILE): CharTokenizer {
    const j = json as Partial<CharTokenizerFile> | null;
    if (!j || j.type !== FILE_TYPE) throw new Error(`${origin}: not a distil character tokenizer (expected "type": "${FILE_TYPE}")`);
    if (j.version !== 1) throw new Error(`${origin}: version ${JSON.stringify(j.version)} is not supported (this distil reads version 1)`);
    if (JSON.stringify(j.specialTokens) !== JSON.stringify(CHAR_SPECIAL_TOKENS)) {
      throw new Error(`${origin}: "specialTokens" must be ${JSON.stringify(CHAR_SPECIAL_TOKENS)}, got ${JSON.stringify(j.specialTokens)}`);
    }
    if (!Array.isArray(j.alphabet)) throw new Error(`${origin}: "alphabet" must be a list of characters`);
    try {
      return new CharTokenizer(j.alphabet, { unknown: j.unknown ?? 'error' });
    } catch (e) {
      throw new Error(`${origin}: ${(e as Error).message}`);
    }
  }

  /** The Hugging Face tokenizer.json equivalent (see the file comment). */
  toHfTokenizerJson(): Record<string, unknown> {
    const vocab: Record<string, number> = {};
    this.toToken.forEach((t, i) => (vocab[t] = i));
    return {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: CHAR_SPECIAL_TOKENS.map((content, id) => ({
        id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true,
      })),
      normalizer: null,
      pre_tokenizer: null,
      post_processor: null,
      decoder: { type: 'Fuse' },
      model: {
        type: 'BPE',
        dropout: null,
        unk_token: '<unk>',
        continuing_subword_prefix: null,
        end_of_word_suffix: null,
        fuse_unk: false,
        byte_fallback: false,
        ignore_merges: false,
        vocab,
        merges: [],
      },
    };
  }

  /** The matching tokenizer_config.json. */
  hfTokenizerConfig(chatTemplate?: string): Record<string, unknown> {
    const cfg: Record<string, unknown> = {
      tokenizer_class: 'PreTrainedTokenizerFast',
      bos_token: '<bos>',
      eos_token: '<eos>',
      pad_token: '<pad>',
      unk_token: '<unk>',
      add_bos_token: false,
      add_eos_token: false,
      // Cleaning would rewrite " ." to "." on decode and break decode(encode(s)) === s.
      clean_up_tokenization_spaces: false,
      model_max_length: 1_000_000,
      added_tokens_decoder: Object.fromEntries(
        CHAR_SPECIAL_TOKENS.map((content, id) => [String(id), { content, lstrip: false, normalized: false, rstrip: false, single_word: false, special: true }]),
      ),
    };
    if (chatTemplate !== undefined) cfg.chat_template = chatTemplate;
    return cfg;
  }
}

function describeChar(c: string): string {
  return `${JSON.stringify(c)} (U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')})`;
}
