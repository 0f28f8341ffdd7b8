/**
 * Checking request bodies field by field. Every endpoint declares the fields it knows; any
 * other field is a 400 naming it (a silently ignored parameter is how an RL run ends up
 * sampling with settings nobody asked for). Type errors name the field and what it must be.
 */
import { ApiError, badParam } from './errors.ts';

type Json = Record<string, unknown>;

export class Body {
  private readonly obj: Json;

  constructor(body: unknown, known: readonly string[]) {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw new ApiError(400, 'the request body must be a JSON object', null, 'invalid_type');
    }
    this.obj = body as Json;
    for (const key of Object.keys(this.obj)) {
      if (!known.includes(key)) throw badParam(key, `unknown parameter '${key}' (this server accepts: ${known.join(', ')})`, 'unknown_parameter');
    }
  }

  /** Present and not null (OpenAI clients send null for "use the default"). */
  has(key: string): boolean {
    return this.obj[key] !== undefined && this.obj[key] !== null;
  }

  raw(key: string): unknown {
    return this.obj[key];
  }

  number(key: string, opts: { min?: number; max?: number; minExclusive?: boolean } = {}): number | undefined {
    if (!this.has(key)) return undefined;
    const v = this.obj[key];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw badParam(key, `'${key}' must be a number, got ${show(v)}`, 'invalid_type');
    const { min, max, minExclusive } = opts;
    if (min !== undefined && (minExclusive ? v <= min : v < min)) throw badParam(key, `'${key}' must be ${minExclusive ? '>' : '>='} ${min}, got ${v}`, 'invalid_value');
    if (max !== undefined && v > max) throw badParam(key, `'${key}' must be <= ${max}, got ${v}`, 'invalid_value');
    return v;
  }

  int(key: string, opts: { min?: number; max?: number } = {}): number | undefined {
    const v = this.number(key, opts);
    if (v !== undefined && !Number.isSafeInteger(v)) throw badParam(key, `'${key}' must be a whole number, got ${v}`, 'invalid_type');
    return v;
  }

  bool(key: string): boolean | undefined {
    if (!this.has(key)) return undefined;
    const v = this.obj[key];
    if (typeof v !== 'boolean') throw badParam(key, `'${key}' must be true or false, got ${show(v)}`, 'invalid_type');
    return v;
  }

  string(key: string): string | undefined {
    if (!this.has(key)) return undefined;
    const v = this.obj[key];
    if (typeof v !== 'string') throw badParam(key, `'${key}' must be a string, got ${show(v)}`, 'invalid_type');
    return v;
  }

  /** `stop`: a string or a list of strings (at most 16, non-empty). */
  stop(key = 'stop'): string[] | undefined {
    if (!this.has(key)) return undefined;
    const v = this.obj[key];
    const list = typeof v === 'string' ? [v] : v;
    if (!Array.isArray(list) || !list.every((s) => typeof s === 'string')) throw badParam(key, `'${key}' must be a string or a list of strings, got ${show(v)}`, 'invalid_type');
    if (list.some((s) => s === '')) throw badParam(key, `'${key}' must not contain an empty string`, 'invalid_value');
    return list as string[];
  }

  intList(key: string): number[] | undefined {
    if (!this.has(key)) return undefined;
    const v = this.obj[key];
    if (!Array.isArray(v) || !v.every((x) => Number.isSafeInteger(x) && (x as number) >= 0)) throw badParam(key, `'${key}' must be a list of token ids (whole numbers >= 0), got ${show(v)}`, 'invalid_type');
    return v as number[];
  }

  /** A parameter accepted for compatibility only in its neutral value (e.g. stream=false). */
  onlyDefault(key: string, neutral: unknown[], why: string): void {
    if (!this.has(key)) return;
    const v = this.obj[key];
    if (!neutral.some((n) => JSON.stringify(n) === JSON.stringify(v))) throw badParam(key, `'${key}'=${show(v)} is not supported: ${why}`, 'unsupported_parameter');
  }
}

export function show(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
