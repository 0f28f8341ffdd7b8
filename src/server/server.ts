/**
 * `distil serve`: one local model behind the OpenAI API subset that RL tooling uses
 * (docs/serve.md). Create with a ServedModel, listen on a port (0 = any free port), close.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chatCompletions } from './chat.ts';
import { completions } from './completions.ts';
import { Engine, type ServedModel } from './engine.ts';
import { router, type Route } from './http.ts';
import { listModels } from './models.ts';
import { detokenize, tokenize, tokenizerInfo } from './tokenize.ts';
import { TinkerRoutes, type TinkerRouteOptions } from './tinker/routes.ts';
import { TinkerService, type TinkerServiceOptions } from './tinker/service.ts';

export interface ServeOptions {
  port?: number;
  host?: string;
  /** Seeds the draws of requests without a seed. */
  seed?: number;
  /** One line per request (default: silent). */
  log?: (line: string) => void;
  /** The Tinker protocol routes (/api/v1/*, docs/remote.md); on unless false. */
  tinker?: (TinkerRouteOptions & TinkerServiceOptions) | false;
}

export interface RunningServer {
  /** e.g. http://127.0.0.1:8000 (no /v1). */
  url: string;
  port: number;
  engine: Engine;
  /** The Tinker protocol side (absent when turned off). */
  tinker?: TinkerRoutes;
  server: Server;
  close(): Promise<void>;
}

export function routes(engine: Engine): Route[] {
  return [
    { method: 'GET', path: '/v1/models', handler: () => listModels(engine) },
    { method: 'POST', path: '/v1/completions', handler: (body, _req, res) => completions(engine, body, res) },
    { method: 'POST', path: '/v1/chat/completions', handler: (body, _req, res) => chatCompletions(engine, body, res) },
    { method: 'POST', path: '/tokenize', handler: (body) => tokenize(engine, body) },
    { method: 'POST', path: '/detokenize', handler: (body) => detokenize(engine, body) },
    { method: 'GET', path: '/v1/tokenizer', handler: () => tokenizerInfo(engine) },
    { method: 'GET', path: '/health', handler: () => ({ status: 'ok' }) },
  ];
}

export async function serve(model: ServedModel, opts: ServeOptions = {}): Promise<RunningServer> {
  const engine = new Engine(model, opts.seed ?? 0);
  const openai = router(routes(engine), opts.log);
  const tinker = opts.tinker === false ? undefined : new TinkerRoutes(new TinkerService(model, { seed: opts.seed, ...opts.tinker }), opts.tinker || {});
  const server = createServer(async (req, res) => {
    if (tinker && (await tinker.handle(req, res))) return;
    await openai(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 8000, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${host}:${addr.port}`,
    port: addr.port,
    engine,
    tinker,
    server,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections(); // keep-alive sockets would hold close() open
      }),
  };
}
