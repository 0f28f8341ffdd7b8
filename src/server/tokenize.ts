/**
 * Tokenizer endpoints, so that a client can check that this server's tokenizer is its own
 * before trusting token ids from it (a teacher's distributions are over its ids):
 *  - POST /tokenize and POST /detokenize, in vLLM's shapes;
 *  - GET /v1/tokenizer (a distil extension): the whole vocabulary, id by id, and the special
 *    ids, for an exact comparison.
 * Text is encoded exactly as /v1/completions encodes a string prompt (no special tokens are
 * added; add_special_tokens is accepted for vLLM compatibility and changes nothing).
 */
import type { Engine } from './engine.ts';
import { badParam } from './errors.ts';
import { checkModel } from './models.ts';
import { Body } from './params.ts';
import { parseMessages } from './chat.ts';

export function tokenize(engine: Engine, raw: unknown) {
  const b = new Body(raw, ['model', 'prompt', 'messages', 'add_special_tokens', 'add_generation_prompt', 'return_token_strs', 'chat_template_kwargs']);
  checkModel(engine, b);
  b.bool('add_special_tokens');
  const strs = b.bool('return_token_strs') ?? false;
  let text: string;
  if (b.has('messages')) {
    if (b.has('prompt')) throw badParam('prompt', "give either 'prompt' or 'messages', not both", 'invalid_value');
    const template = engine.model.chatTemplate;
    if (!template) throw badParam('messages', `the model ${engine.model.name} has no chat template`, 'no_chat_template');
    text = template.apply(parseMessages(b.raw('messages')), {
      addGenerationPrompt: b.bool('add_generation_prompt') ?? true,
      extra: (b.raw('chat_template_kwargs') ?? {}) as Record<string, unknown>,
    });
  } else {
    const p = b.string('prompt');
    if (p === undefined) throw badParam('prompt', "'prompt' (a string) or 'messages' is required", 'missing_required_parameter');
    text = p;
  }
  let tokens: number[];
  try {
    tokens = engine.model.tokenizer.encode(text);
  } catch (e) {
    throw badParam('prompt', `cannot be tokenized: ${(e as Error).message}`, 'invalid_value');
  }
  return {
    count: tokens.length,
    max_model_len: engine.maxPositions,
    tokens,
    ...(strs ? { token_strs: tokens.map((id) => engine.model.tokenizer.idToToken(id) ?? null) } : {}),
  };
}

export function detokenize(engine: Engine, raw: unknown) {
  const b = new Body(raw, ['model', 'tokens']);
  checkModel(engine, b);
  const tokens = b.intList('tokens');
  if (tokens === undefined) throw badParam('tokens', "'tokens' (a list of token ids) is required", 'missing_required_parameter');
  const V = engine.model.tokenizer.vocabSize;
  const bad = tokens.find((id) => id >= V);
  if (bad !== undefined) throw badParam('tokens', `token id ${bad} is not in the tokenizer's vocabulary [0, ${V})`, 'invalid_value');
  return { prompt: engine.model.tokenizer.decode(tokens) };
}

export function tokenizerInfo(engine: Engine) {
  const t = engine.model.tokenizer;
  return {
    model: engine.model.name,
    kind: t.kind,
    vocab_size: t.vocabSize,
    model_vocab_size: engine.vocabSize,
    eos_token_id: t.eosId,
    bos_token_id: t.bosId ?? null,
    pad_token_id: t.padId,
    special_token_ids: [...t.specialIds].sort((a, b) => a - b),
    stop_token_ids: engine.model.eosIds,
    tokens: Array.from({ length: t.vocabSize }, (_, id) => t.idToToken(id) ?? null),
  };
}
