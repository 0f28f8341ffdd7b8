/**
 * POST /v1/chat/completions: messages rendered with the model's chat template (with the
 * generation prompt), then sampled like a completion; logprobs in the chat shape.
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { ChatMessage } from '../models/chat-template.ts';
import type { Engine } from './engine.ts';
import { ApiError, badParam } from './errors.ts';
import { chatLogprobs, entriesFromPositions } from './logprobs.ts';
import { checkModel } from './models.ts';
import { Body, show } from './params.ts';
import { SAMPLING_FIELDS, checkContext, parseSampling, sampleRequests } from './sampling-params.ts';
import { STREAMED } from './http.ts';
import { EventStream, TextDeltas, clientGone, parseStream, streamListener } from './stream.ts';

/** The roles OpenAI's chat API knows; any other is a 400, as there. */
export const CHAT_ROLES = ['system', 'developer', 'user', 'assistant', 'tool', 'function'] as const;

const FIELDS = [...SAMPLING_FIELDS, 'messages', 'max_completion_tokens', 'logprobs', 'top_logprobs', 'add_generation_prompt', 'chat_template_kwargs'];

/** Content is a string or a list of {type: "text", text} parts (joined), as OpenAI accepts. */
export function parseMessages(v: unknown): ChatMessage[] {
  if (v === undefined || v === null) throw badParam('messages', "'messages' is required", 'missing_required_parameter');
  if (!Array.isArray(v) || v.length === 0) throw badParam('messages', `'messages' must be a non-empty list of {role, content}, got ${show(v)}`, 'invalid_type');
  return v.map((m, i) => {
    const where = `messages[${i}]`;
    if (!m || typeof m !== 'object' || Array.isArray(m)) throw badParam(where, `${where} must be an object {role, content}`, 'invalid_type');
    const { role, content } = m as Record<string, unknown>;
    if (typeof role !== 'string' || !role) throw badParam(`${where}.role`, `${where}.role must be a non-empty string`, 'invalid_type');
    if (!(CHAT_ROLES as readonly string[]).includes(role)) throw badParam(`${where}.role`, `${where}.role ${show(role)} is not a known role (one of ${CHAT_ROLES.join(', ')})`, 'invalid_value');
    let text: string;
    if (typeof content === 'string') text = content;
    else if (content === null || content === undefined) text = '';
    else if (Array.isArray(content)) {
      text = content
        .map((part, j) => {
          const p = part as Record<string, unknown>;
          if (!p || p.type !== 'text' || typeof p.text !== 'string') throw badParam(`${where}.content[${j}]`, `${where}.content[${j}] must be {"type": "text", "text": ...} (this server reads text only)`, 'invalid_type');
          return p.text;
        })
        .join('');
    } else throw badParam(`${where}.content`, `${where}.content must be a string or a list of text parts, got ${show(content)}`, 'invalid_type');
    return { role, content: text };
  });
}

/** `res` is needed only for `stream: true` (the answer is then written there, as events). */
export async function chatCompletions(engine: Engine, raw: unknown, res?: ServerResponse) {
  const b = new Body(raw, FIELDS);
  checkModel(engine, b);
  const template = engine.model.chatTemplate;
  if (!template) throw new ApiError(400, `the model ${engine.model.name} has no chat template (tokenizer_config.json "chat_template" or chat_template.jinja); use /v1/completions`, 'messages', 'no_chat_template');
  const V = engine.vocabSize;
  const messages = parseMessages(b.raw('messages'));
  const s = parseSampling(b, engine.model.eosIds, V, engine.model.stopStrings);
  const { stream, includeUsage } = parseStream(b);
  const maxCompletion = b.int('max_completion_tokens', { min: 1 });
  const wantLogprobs = b.bool('logprobs') ?? false;
  const topN = b.int('top_logprobs', { min: 0, max: V });
  if (topN !== undefined && !wantLogprobs) throw badParam('top_logprobs', "'top_logprobs' needs 'logprobs': true", 'invalid_value');
  const kwargs = b.raw('chat_template_kwargs');
  if (kwargs !== undefined && kwargs !== null && (typeof kwargs !== 'object' || Array.isArray(kwargs))) throw badParam('chat_template_kwargs', "'chat_template_kwargs' must be an object", 'invalid_type');

  let text: string;
  try {
    text = template.apply(messages, { addGenerationPrompt: b.bool('add_generation_prompt') ?? true, extra: (kwargs ?? {}) as Record<string, unknown> });
  } catch (e) {
    throw badParam('messages', `the chat template failed on these messages: ${(e as Error).message}`, 'invalid_value');
  }
  let prompt: number[];
  try {
    prompt = engine.model.tokenizer.encode(text);
  } catch (e) {
    throw badParam('messages', `the rendered chat cannot be tokenized: ${(e as Error).message}`, 'invalid_value');
  }
  const maxTokens = s.maxTokens ?? maxCompletion ?? engine.maxPositions - prompt.length;
  if (maxTokens < 1) throw badParam(s.maxTokens !== undefined ? 'max_tokens' : 'messages', `nothing to generate: max_tokens is ${maxTokens} (the prompt has ${prompt.length} of the model's ${engine.maxPositions} positions)`, 'invalid_value');
  checkContext(prompt.length, maxTokens, engine.maxPositions, 'messages');
  if (stream) {
    if (wantLogprobs) throw badParam('logprobs', "'logprobs' is not available with 'stream' on this server; send the request without 'stream'", 'unsupported_parameter');
    if (!res) throw new ApiError(500, 'streaming needs the response object');
    return streamChat(engine, res, prompt, s, maxTokens, includeUsage);
  }

  const outs = await engine.sample(sampleRequests(prompt, s, maxTokens), clientGone(res));
  const n = topN ?? 0;
  const pos = wantLogprobs && n > 0 ? await engine.positionLogprobs(outs.map((c) => ({ ids: [...prompt, ...c.tokens], from: prompt.length, topN: n }))) : null;
  const choices = outs.map((c, j) => {
    let logprobs = null;
    if (wantLogprobs) {
      const entries = pos ? entriesFromPositions([...prompt, ...c.tokens], prompt.length, pos[j], n, [...c.logprobs]) : c.tokens.map((id, t) => ({ id, logprob: c.logprobs[t], top: [] }));
      logprobs = chatLogprobs(engine, entries, s.tokensAsIds, n);
    }
    return { index: j, message: { role: 'assistant', content: c.text }, logprobs, finish_reason: c.stopReason };
  });
  const completionTokens = outs.reduce((a, c) => a + c.tokens.length, 0);
  return {
    id: `chatcmpl-${randomUUID().replace(/-/g, '')}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: engine.model.name,
    choices,
    usage: { prompt_tokens: prompt.length, completion_tokens: completionTokens, total_tokens: prompt.length + completionTokens },
  };
}

/** `stream: true`: per choice a first chunk with the role, then content deltas, then the finish_reason. */
async function streamChat(engine: Engine, res: ServerResponse, prompt: number[], s: ReturnType<typeof parseSampling>, maxTokens: number, includeUsage: boolean) {
  const head = { id: `chatcmpl-${randomUUID().replace(/-/g, '')}`, object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model: engine.model.name };
  const usageField = includeUsage ? { usage: null } : {};
  const chunk = (index: number, delta: Record<string, string>, finish: string | null) => ({
    ...head, choices: [{ index, delta, logprobs: null, finish_reason: finish }], ...usageField,
  });
  const events = new EventStream(res);
  const reqs = sampleRequests(prompt, s, maxTokens);
  reqs.forEach((_, j) => events.send(chunk(j, { role: 'assistant', content: '' }, null)));
  const deltas = new TextDeltas(reqs.length, s.params.stop ?? [], engine.decodeText, (j, delta, finish) => {
    if (delta) events.send(chunk(j, { content: delta }, null));
    if (finish) events.send(chunk(j, {}, finish));
  });
  try {
    const outs = await engine.sample(reqs, streamListener(events, deltas));
    deltas.done(outs);
    if (includeUsage) {
      const completionTokens = outs.reduce((a, c) => a + c.tokens.length, 0);
      events.send({ ...head, choices: [], usage: { prompt_tokens: prompt.length, completion_tokens: completionTokens, total_tokens: prompt.length + completionTokens } });
    }
    events.end();
  } catch (e) {
    events.end({ message: `sampling failed: ${(e as Error).message}`, type: 'server_error' });
  }
  return STREAMED;
}
