/**
 * The little HTTP layer under the API (node:http, no framework): read a JSON body with a size
 * limit, write JSON, and route by path then method so that an unknown path is 404 and a known
 * path with the wrong method is 405, as OpenAI-compatible servers answer.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from './errors.ts';

/**
 * A handler returns the JSON to send, or STREAMED when it answered on `res` itself (server-sent
 * events); errors it throws before writing become the error JSON.
 */
export type Handler = (body: unknown, req: IncomingMessage, res: ServerResponse) => Promise<unknown> | unknown;

export const STREAMED = Symbol('streamed');

export interface Route {
  method: 'GET' | 'POST';
  path: string;
  handler: Handler;
}

/** Large enough for long token-id prompts (a 32k-token prompt is ~200 KB of JSON). */
const MAX_BODY_BYTES = 64 * 1024 * 1024;

export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new ApiError(413, `request body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') throw new ApiError(400, 'the request body is empty; send a JSON object', null, 'invalid_json');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ApiError(400, `the request body is not valid JSON (${(e as Error).message})`, null, 'invalid_json');
  }
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** A request listener serving `routes`; handler errors become the error JSON. */
export function router(routes: Route[], log: (line: string) => void = () => {}) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = req.method ?? 'GET';
    const path = (req.url ?? '/').split('?')[0].replace(/\/+$/, '') || '/';
    const started = Date.now();
    let status = 200;
    try {
      const forPath = routes.filter((r) => r.path === path);
      if (!forPath.length) throw new ApiError(404, `Invalid URL (${method} ${path})`, null, 'not_found');
      const route = forPath.find((r) => r.method === method);
      if (!route) {
        res.setHeader('allow', forPath.map((r) => r.method).join(', '));
        throw new ApiError(405, `Method ${method} not allowed for ${path} (allowed: ${forPath.map((r) => r.method).join(', ')})`, null, 'method_not_allowed');
      }
      const body = route.method === 'POST' ? await readJsonBody(req) : undefined;
      const out = await route.handler(body, req, res);
      if (out !== STREAMED) sendJson(res, 200, out);
    } catch (e) {
      const err = e instanceof ApiError ? e : new ApiError(500, `internal error: ${(e as Error)?.message ?? String(e)}`);
      status = err.status;
      if (!res.headersSent) sendJson(res, err.status, err.body());
      else res.destroy();
    }
    log(`${method} ${path} ${status} ${Date.now() - started}ms`);
  };
}
