/**
 * POST /v1/completions: the legacy text-completion API as vLLM serves it. A prompt is a
 * string, a list of token ids, or a list of either (one choice group per prompt, n choices
 * each, in prompt order). echo puts the prompt (and its logprobs) in front of the completion;
 * with max_tokens 0 that is how clients score a given text. prompt_logprobs is vLLM's
 * per-prompt-token listing keyed by token id.
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Completion } from '../backends/types.ts';
import type { Engine } from './engine.ts';
import { ApiError, badParam } from './errors.ts';
import { entriesFromPositions, legacyLogprobs, promptLogprobs, type TokenEntry } from './logprobs.ts';
import { Body, show } from './params.ts';
import { SAMPLING_FIELDS, checkContext, parseSampling, sampleRequests } from './sampling-params.ts';
import { checkModel } from './models.ts';
import { STREAMED } from './http.ts';
import { EventStream, TextDeltas, clientGone, parseStream, streamListener } from './stream.ts';

const FIELDS = [...SAMPLING_FIELDS, 'prompt', 'logprobs', 'echo', 'prompt_logprobs', 'suffix'];

interface Prompt {
  ids: number[];
  /** What echo returns: the string as sent, or the decoded ids. */
  text: string;
}

function parsePrompts(engine: Engine, v: unknown): Prompt[] {
  const where = 'prompt';
  if (v === undefined || v === null) throw badParam(where, "'prompt' is required", 'missing_required_parameter');
  const V = engine.vocabSize;
  const fromIds = (ids: unknown[], i?: number): Prompt => {
    const at = i === undefined ? '' : ` (prompt ${i})`;
    if (!ids.length) throw badParam(where, `the prompt${at} is empty; it needs at least one token`, 'invalid_value');
    for (const id of ids) {
      if (!Number.isSafeInteger(id) || (id as number) < 0 || (id as number) >= V) throw badParam(where, `token id ${show(id)}${at} is not in the vocabulary [0, ${V})`, 'invalid_value');
    }
    return { ids: ids as number[], text: engine.decode(ids as number[]) };
  };
  const fromText = (s: string, i?: number): Prompt => {
    let ids: number[];
    try {
      ids = engine.model.tokenizer.encode(s);
    } catch (e) {
      throw badParam(where, `the prompt${i === undefined ? '' : ` ${i}`} cannot be tokenized: ${(e as Error).message}`, 'invalid_value');
    }
    if (!ids.length) throw badParam(where, `the prompt${i === undefined ? '' : ` ${i}`} is empty; it needs at least one token`, 'invalid_value');
    return { ids, text: s };
  };
  if (typeof v === 'string') return [fromText(v)];
  if (!Array.isArray(v) || v.length === 0) throw badParam(where, `'prompt' must be a string, a list of token ids, or a non-empty list of those, got ${show(v)}`, 'invalid_type');
  if (v.every((x) => typeof x === 'number')) return [fromIds(v)];
  return v.map((p, i) => {
    if (typeof p === 'string') return fromText(p, i);
    if (Array.isArray(p) && p.every((x) => typeof x === 'number')) return fromIds(p, i);
    throw badParam(where, `prompt ${i} must be a string or a list of token ids, got ${show(p)}`, 'invalid_type');
  });
}

/** `res` is needed only for `stream: true` (the answer is then written there, as events). */
export async function completions(engine: Engine, raw: unknown, res?: ServerResponse) {
  const b = new Body(raw, FIELDS);
  checkModel(engine, b);
  b.onlyDefault('suffix', [''], 'suffix (insertion) is not supported');
  const V = engine.vocabSize;
  const s = parseSampling(b, engine.model.eosIds, V, engine.model.stopStrings);
  const { stream, includeUsage } = parseStream(b);
  const topN = b.int('logprobs', { min: 0, max: V });
  const echo = b.bool('echo') ?? false;
  const promptTopN = b.int('prompt_logprobs', { min: 0, max: V });
  const prompts = parsePrompts(engine, b.raw('prompt'));
  const maxTokens = s.maxTokens ?? 16;
  if (maxTokens === 0 && !echo && promptTopN === undefined) {
    throw badParam('max_tokens', "'max_tokens' 0 generates nothing; use it with echo or prompt_logprobs to score the prompt", 'invalid_value');
  }
  prompts.forEach((p) => checkContext(p.ids.length, maxTokens, engine.maxPositions, 'max_tokens'));
  if (stream) {
    for (const [key, v] of [['logprobs', topN], ['prompt_logprobs', promptTopN]] as const) {
      if (v !== undefined) throw badParam(key, `'${key}' is not available with 'stream' on this server; send the request without 'stream'`, 'unsupported_parameter');
    }
    if (maxTokens === 0) throw badParam('max_tokens', "'max_tokens' 0 with 'stream' has nothing to stream", 'invalid_value');
    if (!res) throw new ApiError(500, 'streaming needs the response object');
    return streamCompletions(engine, res, prompts, s, maxTokens, echo, includeUsage);
  }

  let outs: Completion[];
  try {
    outs = maxTokens === 0 ? [] : await engine.sample(prompts.flatMap((p) => sampleRequests(p.ids, s, maxTokens)), clientGone(res));
  } catch (e) {
    throw new ApiError(500, `sampling failed: ${(e as Error).message}`);
  }

  // Teacher-forced passes, batched: one over each prompt (echo and prompt_logprobs share it,
  // with the larger N), one over each prompt + completion for the alternatives of sampled tokens.
  const echoN = echo && topN !== undefined ? topN : undefined;
  const promptPos = echoN !== undefined || promptTopN !== undefined
    ? await engine.positionLogprobs(prompts.map((p) => ({ ids: p.ids, from: 1, topN: Math.max(echoN ?? 0, promptTopN ?? 0) })))
    : null;
  const promptOf = (ci: number) => prompts[Math.floor(ci / s.n)].ids;
  const genPos = topN && outs.length
    ? await engine.positionLogprobs(outs.map((c, ci) => ({ ids: [...promptOf(ci), ...c.tokens], from: promptOf(ci).length, topN })))
    : null;

  const choices = prompts.flatMap((p, pi) => {
    const echoed: TokenEntry[] | null = echoN !== undefined ? [{ id: p.ids[0], logprob: null, top: null }, ...entriesFromPositions(p.ids, 1, promptPos![pi], echoN)] : null;
    const pl = promptTopN !== undefined ? promptLogprobs(engine, p.ids, promptPos![pi], promptTopN, s.tokensAsIds) : undefined;
    return Array.from({ length: s.n }, (_, j) => {
      const ci = pi * s.n + j;
      const c: Completion = maxTokens === 0 ? { tokens: [], text: '', logprobs: new Float32Array(0), stopReason: 'length' } : outs[ci];
      let logprobs = null;
      if (topN !== undefined) {
        const gen = genPos ? entriesFromPositions([...p.ids, ...c.tokens], p.ids.length, genPos[ci], topN, [...c.logprobs]) : c.tokens.map((id, t) => ({ id, logprob: c.logprobs[t], top: [] }));
        logprobs = legacyLogprobs(engine, [...(echoed ?? []), ...gen], s.tokensAsIds);
      }
      return {
        index: ci,
        text: (echo ? p.text : '') + c.text,
        logprobs,
        finish_reason: c.stopReason,
        stop_reason: null,
        ...(pl ? { prompt_logprobs: pl } : {}),
      };
    });
  });
  const promptTokens = prompts.reduce((a, p) => a + p.ids.length, 0);
  const completionTokens = outs.reduce((a, c) => a + c.tokens.length, 0);
  return {
    id: `cmpl-${randomUUID().replace(/-/g, '')}`,
    object: 'text_completion',
    created: Math.floor(Date.now() / 1000),
    model: engine.model.name,
    choices,
    usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
  };
}

/** `stream: true`: one chunk per piece of text per choice, each choice's finish_reason, optionally usage. */
async function streamCompletions(
  engine: Engine, res: ServerResponse, prompts: Prompt[], s: ReturnType<typeof parseSampling>, maxTokens: number, echo: boolean, includeUsage: boolean,
) {
  const head = { id: `cmpl-${randomUUID().replace(/-/g, '')}`, object: 'text_completion', created: Math.floor(Date.now() / 1000), model: engine.model.name };
  const usageField = includeUsage ? { usage: null } : {};
  const chunk = (index: number, text: string, finish: string | null) => ({
    ...head, choices: [{ index, text, logprobs: null, finish_reason: finish, stop_reason: null }], ...usageField,
  });
  const events = new EventStream(res);
  const reqs = prompts.flatMap((p) => sampleRequests(p.ids, s, maxTokens));
  if (echo) prompts.forEach((p, pi) => { for (let j = 0; j < s.n; j++) events.send(chunk(pi * s.n + j, p.text, null)); });
  const deltas = new TextDeltas(reqs.length, s.params.stop ?? [], engine.decodeText, (i, delta, finish) => {
    if (delta) events.send(chunk(i, delta, null));
    if (finish) events.send(chunk(i, '', finish));
  });
  try {
    const outs = await engine.sample(reqs, streamListener(events, deltas));
    deltas.done(outs);
    if (includeUsage) {
      const promptTokens = prompts.reduce((a, p) => a + p.ids.length, 0);
      const completionTokens = outs.reduce((a, c) => a + c.tokens.length, 0);
      events.send({ ...head, choices: [], usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens } });
    }
    events.end();
  } catch (e) {
    events.end({ message: `sampling failed: ${(e as Error).message}`, type: 'server_error' });
  }
  return STREAMED;
}
