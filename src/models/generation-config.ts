/**
 * generation_config.json: the end-of-sequence ids and sampling defaults a checkpoint ships with,
 * and its stop strings (`stop_strings`, Hugging Face's field: generation ends when the text
 * contains one; distil's tiny models need them, since they continue a prompt with the next
 * one's "Feedback:" or "Q: " where a chat model would emit end-of-sequence).
 */
type Json = Record<string, unknown>;

export interface GenerationDefaults {
  /** Every id that ends generation (Qwen lists several). */
  eosIds: number[];
  bosId?: number;
  padId?: number;
  doSample?: boolean;
  temperature?: number;
  topP?: number;
  topK?: number;
  maxNewTokens?: number;
  /** Text that ends generation (not part of the completion's text); absent = none. */
  stopStrings?: string[];
}

function ids(v: unknown, key: string, origin: string): number[] {
  if (v === undefined || v === null) return [];
  const list = Array.isArray(v) ? v : [v];
  if (!list.every((x) => Number.isSafeInteger(x) && x >= 0)) throw new Error(`${origin}: "${key}" must be a token id or a list of ids, got ${JSON.stringify(v)}`);
  return list as number[];
}

function optNum(g: Json, key: string, origin: string): number | undefined {
  const v = g[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${origin}: "${key}" must be a number, got ${JSON.stringify(v)}`);
  return v;
}

function strings(v: unknown, key: string, origin: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  const list = Array.isArray(v) ? v : [v];
  if (!list.every((x) => typeof x === 'string' && x.length > 0)) throw new Error(`${origin}: "${key}" must be a non-empty string or a list of them, got ${JSON.stringify(v)}`);
  return list as string[];
}

/** Parse generation_config.json (or {} when absent); config.json's eos ids are the fallback. */
export function parseGenerationConfig(g: Json, origin: string, fallbackEos: number[] = []): GenerationDefaults {
  const eos = ids(g.eos_token_id, 'eos_token_id', origin);
  const bos = ids(g.bos_token_id, 'bos_token_id', origin);
  const pad = ids(g.pad_token_id, 'pad_token_id', origin);
  const out: GenerationDefaults = { eosIds: eos.length ? eos : fallbackEos };
  if (bos.length) out.bosId = bos[0];
  if (pad.length) out.padId = pad[0];
  if (typeof g.do_sample === 'boolean') out.doSample = g.do_sample;
  const t = optNum(g, 'temperature', origin);
  if (t !== undefined) out.temperature = t;
  const p = optNum(g, 'top_p', origin);
  if (p !== undefined) out.topP = p;
  const k = optNum(g, 'top_k', origin);
  if (k !== undefined) out.topK = k;
  const m = optNum(g, 'max_new_tokens', origin);
  if (m !== undefined) out.maxNewTokens = m;
  const stops = strings(g.stop_strings, 'stop_strings', origin);
  if (stops) out.stopStrings = stops;
  return out;
}

/** GenerationDefaults -> generation_config.json keys. */
export function generationConfigToHf(g: GenerationDefaults): Json {
  const out: Json = {
    bos_token_id: g.bosId ?? null,
    eos_token_id: g.eosIds.length === 1 ? g.eosIds[0] : g.eosIds,
    pad_token_id: g.padId ?? null,
  };
  if (g.doSample !== undefined) out.do_sample = g.doSample;
  if (g.temperature !== undefined) out.temperature = g.temperature;
  if (g.topP !== undefined) out.top_p = g.topP;
  if (g.topK !== undefined) out.top_k = g.topK;
  if (g.maxNewTokens !== undefined) out.max_new_tokens = g.maxNewTokens;
  if (g.stopStrings?.length) out.stop_strings = g.stopStrings;
  return out;
}
