/**
 * The sampling fields shared by /v1/completions and /v1/chat/completions, checked and turned
 * into the SamplingParams of src/backends/types.ts. Also the fields accepted only for
 * compatibility (zero penalties, ...), refused in any other value. `stream` is read by the
 * endpoints (stream.ts).
 */
import type { SampleRequest, SamplingParams } from '../backends/types.ts';
import { ApiError, badParam } from './errors.ts';
import type { Body } from './params.ts';
import { Rng } from '../util/rng.ts';

export const SAMPLING_FIELDS = [
  'model', 'max_tokens', 'temperature', 'top_p', 'top_k', 'n', 'stop', 'stop_token_ids', 'seed',
  'ignore_eos', 'return_tokens_as_token_ids', 'stream', 'stream_options', 'user', 'presence_penalty',
  'frequency_penalty', 'logit_bias', 'best_of', 'min_p', 'repetition_penalty',
] as const;

export interface Sampling {
  /** Without maxTokens and prompt (set per request). */
  params: Omit<SamplingParams, 'maxTokens'>;
  n: number;
  maxTokens?: number;
  /** Return logprob tokens as "token_id:N" (vLLM's return_tokens_as_token_ids). */
  tokensAsIds: boolean;
}

export const MAX_N = 128;

/**
 * `defaultStop`: the model's stop strings (generation_config.json, or `distil serve --stop`),
 * used when the request has no `stop`; a request's `stop` (even []) replaces them.
 */
export function parseSampling(b: Body, eosIds: number[], vocabSize: number, defaultStop: string[] = [], maxTokensKey = 'max_tokens'): Sampling {
  b.onlyDefault('presence_penalty', [0], 'penalties are not supported by distil serve');
  b.onlyDefault('frequency_penalty', [0], 'penalties are not supported by distil serve');
  b.onlyDefault('repetition_penalty', [1], 'penalties are not supported by distil serve');
  b.onlyDefault('min_p', [0], 'min_p sampling is not supported by distil serve');
  b.onlyDefault('logit_bias', [{}], 'logit bias is not supported by distil serve');
  b.string('user');
  const n = b.int('n', { min: 1, max: MAX_N }) ?? 1;
  const bestOf = b.int('best_of', { min: 1 });
  if (bestOf !== undefined && bestOf !== n) throw badParam('best_of', `'best_of' must equal 'n' (${n}) on this server, got ${bestOf}`, 'unsupported_parameter');
  const topK = b.int('top_k', { min: -1 });
  const stopIds = b.intList('stop_token_ids');
  stopIds?.forEach((id) => {
    if (id >= vocabSize) throw badParam('stop_token_ids', `stop token id ${id} is outside the vocabulary [0, ${vocabSize})`, 'invalid_value');
  });
  // The eos ids stop generation unless ignore_eos; stop_token_ids add to them (vLLM semantics).
  const ignoreEos = b.bool('ignore_eos') ?? false;
  const stopTokenIds = [...new Set([...(ignoreEos ? [] : eosIds), ...(stopIds ?? [])])];
  return {
    params: {
      temperature: b.number('temperature', { min: 0 }) ?? 1,
      topP: b.number('top_p', { min: 0, max: 1, minExclusive: true }) ?? 1,
      // vLLM writes "no top-k" as -1 (and 0 is accepted too).
      topK: topK === undefined || topK <= 0 ? 0 : topK,
      stop: b.stop() ?? (defaultStop.length ? defaultStop : undefined),
      stopTokenIds,
      seed: b.int('seed'),
    },
    n,
    maxTokens: b.int(maxTokensKey, { min: 0 }),
    tokensAsIds: b.bool('return_tokens_as_token_ids') ?? false,
  };
}

/** Seed of the j-th of n samples of one prompt: the request's seed for the first, derived ones after. */
export function choiceSeed(seed: number | undefined, j: number): number | undefined {
  if (seed === undefined || j === 0) return seed;
  const r = new Rng(seed);
  for (let i = 1; i < j; i++) r.nextU32();
  return r.nextU32();
}

/** 400 when prompt + completion would not fit the model's positions. */
export function checkContext(promptLen: number, maxTokens: number, maxPositions: number, param: string): void {
  if (promptLen + maxTokens > maxPositions) {
    throw new ApiError(
      400,
      `This model's maximum context length is ${maxPositions} tokens. However, you requested ${promptLen + maxTokens} tokens ` +
        `(${promptLen} in the prompt, ${maxTokens} in the completion). Please reduce the length of the prompt or completion.`,
      param,
      'context_length_exceeded',
    );
  }
}

export function sampleRequests(prompt: number[], s: Sampling, maxTokens: number): SampleRequest[] {
  return Array.from({ length: s.n }, (_, j) => ({ ...s.params, prompt, maxTokens, seed: choiceSeed(s.params.seed, j) }));
}
