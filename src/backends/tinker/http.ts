/**
 * The client side of the Tinker protocol's transport: one POST with retries, and futures.
 *
 * - Every non-GET request carries an X-Idempotency-Key, the same on each retry, so a retried
 *   request whose first attempt did reach the server is answered from the server's memory
 *   instead of running twice.
 * - Retried with exponential backoff: connection errors, 408/409/429/5xx, and a 400 with an
 *   empty body (a proxy's, not the server's). Other 4xx are the caller's mistake: one error
 *   with the server's message.
 * - Futures: `retrieve_future` is polled while it answers try_again (or 408); a 410 means the
 *   promise is gone and the original request is submitted again; `{error, category}` fails.
 * - The API key goes into the X-API-Key header and nowhere else (never a message or a file).
 * - `stats` counts what the remote path costs: round trips, bytes each way, seconds waiting.
 */
import { randomUUID } from 'node:crypto';
import { decodeForwardBackwardOutput, decodeSampleResponse } from './proto.ts';
import { PROTO_CONTENT_TYPE } from './wire.ts';

export type FetchLike = (url: string, init: { method: string; headers: Record<string, string>; body?: Uint8Array | string }) => Promise<{
  status: number;
  headers: { get(name: string): string | null };
  arrayBuffer(): Promise<ArrayBuffer>;
}>;

export interface TinkerHttpOptions {
  baseUrl: string;
  apiKey?: string;
  fetch?: FetchLike;
  /** Attempts after the first (default 8). */
  maxRetries?: number;
  /** First backoff in ms, doubled per retry up to maxBackoffMs (defaults 250 and 30000). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Give up on a future after this long (default 1 hour). */
  futureTimeoutMs?: number;
  /** Called on each retry with a one-line reason (never the key). */
  onRetry?: (msg: string) => void;
}

export interface WireStats {
  roundTrips: number;
  bytesSent: number;
  bytesReceived: number;
  waitSeconds: number;
  retries: number;
  tryAgains: number;
  resubmits: number;
}

export class TinkerRequestError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly category?: string,
  ) {
    super(message);
  }
}

export type ResultKind = 'json' | 'forward_backward' | 'sample';

interface Answer {
  status: number;
  contentType: string;
  body: Buffer;
}

export class TinkerHttp {
  readonly stats: WireStats = { roundTrips: 0, bytesSent: 0, bytesReceived: 0, waitSeconds: 0, retries: 0, tryAgains: 0, resubmits: 0 };
  private readonly fetch: FetchLike;

  constructor(readonly opts: TinkerHttpOptions) {
    if (!/^https?:\/\//.test(opts.baseUrl)) throw new Error(`tinker: base URL must start with http:// or https://, got '${opts.baseUrl}'`);
    this.fetch = opts.fetch ?? (globalThis.fetch as unknown as FetchLike);
  }

  private url(path: string): string {
    return this.opts.baseUrl.replace(/\/+$/, '') + path;
  }

  /** One request, retried as the file comment says; returns the final 2xx (or 408/410 for futures). */
  async request(method: 'GET' | 'POST', path: string, body?: unknown, extra: Record<string, string> = {}, passStatuses: number[] = []): Promise<Answer> {
    const headers: Record<string, string> = { accept: 'application/json', ...extra };
    if (this.opts.apiKey) headers['x-api-key'] = this.opts.apiKey;
    let payload: Uint8Array | string | undefined;
    if (body instanceof Uint8Array) {
      payload = body;
      headers['content-type'] = PROTO_CONTENT_TYPE;
    } else if (body !== undefined) {
      payload = JSON.stringify(body);
      headers['content-type'] = 'application/json';
    }
    if (method === 'POST') headers['x-idempotency-key'] = randomUUID();
    const max = this.opts.maxRetries ?? 8;
    let last = '';
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) {
        this.stats.retries++;
        this.opts.onRetry?.(`tinker: retrying ${path} (${last}), attempt ${attempt + 1} of ${max + 1}`);
        const ms = Math.min((this.opts.backoffMs ?? 250) * 2 ** (attempt - 1), this.opts.maxBackoffMs ?? 30_000);
        await new Promise((r) => setTimeout(r, ms));
      }
      let ans: Answer;
      try {
        this.stats.roundTrips++;
        this.stats.bytesSent += payload === undefined ? 0 : typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
        const res = await this.fetch(this.url(path), { method, headers, body: payload });
        const buf = Buffer.from(await res.arrayBuffer());
        this.stats.bytesReceived += buf.length;
        ans = { status: res.status, contentType: res.headers.get('content-type') ?? '', body: buf };
      } catch (e) {
        last = `connection error: ${(e as Error).message}`;
        if (attempt >= max) throw new TinkerRequestError(`tinker: ${method} ${path} failed after ${attempt + 1} attempts (${last}); is the server at ${this.opts.baseUrl} up?`, 0);
        continue;
      }
      if ((ans.status >= 200 && ans.status < 300) || passStatuses.includes(ans.status)) return ans;
      const msg = errorText(ans);
      const retryable = ans.status === 408 || ans.status === 409 || ans.status === 429 || ans.status >= 500 || (ans.status === 400 && ans.body.length === 0);
      if (!retryable) {
        const hint = ans.status === 401 || ans.status === 403 ? ' (check TINKER_API_KEY)' : '';
        throw new TinkerRequestError(`tinker: ${path} was refused with HTTP ${ans.status}: ${msg}${hint}`, ans.status, 'user');
      }
      last = `HTTP ${ans.status}: ${msg}`;
      if (attempt >= max) throw new TinkerRequestError(`tinker: ${method} ${path} failed after ${attempt + 1} attempts (${last})`, ans.status);
    }
  }

  /** A JSON request answered directly (no future). */
  async json<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    return parseJson(await this.request(method, path, body)) as T;
  }

  /**
   * Submits a request that answers with a future and waits for its result. `body` is sent
   * again (a new request, the same seq_id) if the server reports the promise gone (410).
   */
  async result<T>(path: string, body: unknown, kind: ResultKind = 'json'): Promise<T> {
    const submit = async () => parseJson(await this.request('POST', path, body)) as { request_id: string };
    let fut = await submit();
    const started = performance.now();
    const max = this.opts.maxRetries ?? 8;
    let resubmits = 0;
    try {
      for (let iteration = 0; ; iteration++) {
        if (performance.now() - started > (this.opts.futureTimeoutMs ?? 3_600_000)) throw new TinkerRequestError(`tinker: ${path} (request ${fut.request_id}) gave no result within ${(this.opts.futureTimeoutMs ?? 3_600_000) / 1000} s`, 0);
        const headers: Record<string, string> = { 'x-tinker-request-iteration': String(iteration), 'x-tinker-request-type': path.split('/').pop()! };
        if (kind !== 'json') headers.accept = PROTO_CONTENT_TYPE;
        const ans = await this.request('POST', '/api/v1/retrieve_future', { request_id: fut.request_id, allow_metadata_only: false }, headers, [408, 410]);
        if (ans.status === 408) {
          this.stats.tryAgains++;
          continue;
        }
        if (ans.status === 410) {
          if (++resubmits > max) throw new TinkerRequestError(`tinker: ${path}: the server lost the request ${resubmits} times (HTTP 410)`, 410);
          this.stats.resubmits++;
          fut = await submit();
          continue;
        }
        if (ans.contentType.includes(PROTO_CONTENT_TYPE)) {
          if (kind === 'forward_backward') return decodeForwardBackwardOutput(new Uint8Array(ans.body)) as T;
          if (kind === 'sample') return decodeSampleResponse(new Uint8Array(ans.body)) as T;
          throw new TinkerRequestError(`tinker: ${path} answered protobuf where JSON was expected`, ans.status);
        }
        const r = parseJson(ans) as Record<string, unknown>;
        if (r?.type === 'try_again') {
          this.stats.tryAgains++;
          continue;
        }
        if (r?.status === 'complete_metadata') continue;
        if (r && typeof r === 'object' && 'error' in r) throw new TinkerRequestError(`tinker: ${path} failed on the server: ${String(r.error)}${r.category ? ` (${String(r.category)} error)` : ''}`, 200, String(r.category ?? 'unknown'));
        return r as T;
      }
    } finally {
      this.stats.waitSeconds += (performance.now() - started) / 1000;
    }
  }
}

function errorText(a: Answer): string {
  const text = a.body.toString('utf8');
  try {
    const j = JSON.parse(text);
    return String(j.error?.message ?? j.error ?? j.detail ?? j.message ?? text);
  } catch {
    return text.slice(0, 300) || '(empty body)';
  }
}

function parseJson(a: Answer): unknown {
  const text = a.body.toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    throw new TinkerRequestError(`tinker: the server answered HTTP ${a.status} with a body that is not JSON: ${text.slice(0, 200)}`, a.status);
  }
}
