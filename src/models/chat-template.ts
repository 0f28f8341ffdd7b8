/**
 * Chat templates: the Jinja program in tokenizer_config.json ("chat_template") or in
 * chat_template.jinja, rendered by @huggingface/jinja the way transformers'
 * apply_chat_template(messages, add_generation_prompt=..., tokenize=False) does.
 */
import { Template } from '@huggingface/jinja';

export interface ChatMessage {
  role: string;
  content: string;
}

export interface ChatTemplateOptions {
  addGenerationPrompt?: boolean;
  bosToken?: string;
  eosToken?: string;
  /** Extra template variables (e.g. enable_thinking for Qwen3). */
  extra?: Record<string, unknown>;
}

export class ChatTemplate {
  readonly source: string;
  private readonly template: Template;
  private readonly defaults: { bosToken?: string; eosToken?: string };

  /** `origin` names the file the template came from, for errors. */
  constructor(source: string, origin: string, defaults: { bosToken?: string; eosToken?: string } = {}) {
    this.source = source;
    this.defaults = defaults;
    try {
      this.template = new Template(source);
    } catch (e) {
      throw new Error(`chat template in ${origin} does not parse: ${(e as Error).message}`);
    }
  }

  apply(messages: readonly ChatMessage[], opts: ChatTemplateOptions = {}): string {
    // As transformers does, the special tokens are template variables; raise_exception is a
    // built-in of @huggingface/jinja.
    return this.template.render({
      messages: messages.map((m) => ({ ...m })),
      add_generation_prompt: opts.addGenerationPrompt ?? false,
      bos_token: opts.bosToken ?? this.defaults.bosToken ?? '',
      eos_token: opts.eosToken ?? this.defaults.eosToken ?? '',
      ...opts.extra,
    });
  }
}

/**
 * tokenizer_config.json's chat_template may be a string, or a list of {name, template}
 * (the one named "default" is used, as in transformers).
 */
export function pickChatTemplate(value: unknown, origin: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    const named = value as Array<{ name?: unknown; template?: unknown }>;
    const def = named.find((t) => t?.name === 'default') ?? (named.length === 1 ? named[0] : undefined);
    if (def && typeof def.template === 'string') return def.template;
    throw new Error(`${origin}: "chat_template" is a list without a template named "default" (names: ${named.map((t) => String(t?.name)).join(', ')})`);
  }
  throw new Error(`${origin}: "chat_template" must be a string or a list of {name, template}`);
}
