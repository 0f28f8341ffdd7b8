/**
 * `distil ui`'s HTTP server: the page and its bundled script, a JSON API over the watched run
 * folders, server-sent events when a run changes, and read-only downloads of checkpoint files.
 * It binds to 127.0.0.1 unless told otherwise, answers only GET, and never writes to a run folder.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createReadStream, realpathSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';
import type { AddressInfo } from 'node:net';
import { buildAssets, type Assets } from './bundle.ts';
import { RunStore } from './store.ts';
import { chartsView, gateView, rolloutsView, stateView } from './views.ts';
import type { XKey } from '../report/analyze.ts';

export interface UiOptions {
  paths: readonly string[];
  port?: number;
  host?: string;
  /** How often run folders are checked for changes (ms). */
  pollMs?: number;
}

export interface UiServer {
  url: string;
  store: RunStore;
  close(): Promise<void>;
}

const ids = (v: string | null): number[] => (v ?? '').split(',').filter((s) => /^\d+$/.test(s)).map(Number);

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  res.end(body);
}
const json = (res: ServerResponse, v: unknown) => send(res, 200, 'application/json; charset=utf-8', JSON.stringify(v));

export async function startUi(opts: UiOptions): Promise<UiServer> {
  const store = new RunStore(opts.paths);
  store.poll();
  const assets: Assets = await buildAssets();
  const clients = new Set<ServerResponse>();

  const timer = setInterval(() => {
    let changed: number[];
    try {
      changed = store.poll();
    } catch (e) {
      // Whatever a folder does, the server keeps serving; the page shows the problem.
      store.problems = [{ path: '', message: `reading run folders failed: ${(e as Error).message}` }];
      changed = [-1];
    }
    if (!changed.length) return;
    const msg = `event: change\ndata: ${JSON.stringify({ version: store.version, runs: changed })}\n\n`;
    for (const c of clients) c.write(msg);
  }, opts.pollMs ?? 500);
  const heartbeat = setInterval(() => {
    for (const c of clients) c.write(': keep-alive\n\n');
  }, 15_000);

  function route(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const q = url.searchParams;
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'read-only: only GET');
    switch (url.pathname) {
      case '/':
        return send(res, 200, 'text/html; charset=utf-8', assets.html);
      case '/app.js':
        return send(res, 200, 'text/javascript; charset=utf-8', assets.js);
      case '/style.css':
        return send(res, 200, 'text/css; charset=utf-8', assets.css);
      case '/api/state':
        return json(res, stateView(store));
      case '/api/charts':
        return json(res, chartsView(store, { ids: ids(q.get('runs')), x: (q.get('x') ?? 'step') as XKey, metrics: (q.get('metrics') ?? '').split(',').filter(Boolean), groupSeeds: q.get('group') === '1' }));
      case '/api/gate':
        return json(res, { html: gateView(store, ids(q.get('runs'))) });
      case '/api/rollouts': {
        const step = q.get('step');
        return json(res, rolloutsView(store, Number(q.get('run')), step === null || step === '' ? undefined : Number(step)));
      }
      case '/api/events': {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
        res.write(`event: hello\ndata: ${JSON.stringify({ version: store.version })}\n\n`);
        clients.add(res);
        req.on('close', () => clients.delete(res));
        return;
      }
    }
    const file = /^\/files\/(\d+)\/(checkpoints\/.+)$/.exec(url.pathname);
    if (file) return sendCheckpointFile(res, store, Number(file[1]), decodeURIComponent(file[2]));
    send(res, 404, 'text/plain', `not found: ${url.pathname}`);
  }

  const server = createServer((req, res) => {
    try {
      route(req, res);
    } catch (e) {
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', `error: ${(e as Error).message}`);
      else res.end();
    }
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(opts.port ?? 0, host, () => ok());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/`,
    store,
    close: () =>
      new Promise<void>((ok) => {
        clearInterval(timer);
        clearInterval(heartbeat);
        for (const c of clients) c.end();
        server.close(() => ok());
        server.closeAllConnections();
      }),
  };
}

/** A file inside a run's checkpoints/ folder, streamed; anything resolving outside it is refused. */
function sendCheckpointFile(res: ServerResponse, store: RunStore, id: number, rel: string): void {
  const w = store.get(id);
  if (!w || w.status === 'deleted') return send(res, 404, 'text/plain', 'no such run');
  let path: string, root: string;
  try {
    root = realpathSync(join(w.dir, 'checkpoints'));
    path = realpathSync(join(w.dir, rel));
  } catch {
    return send(res, 404, 'text/plain', `no such file: ${rel}`);
  }
  if (!path.startsWith(root + sep) || !statSync(path).isFile()) return send(res, 404, 'text/plain', `not a checkpoint file: ${rel}`);
  res.writeHead(200, {
    'content-type': 'application/octet-stream',
    'content-length': statSync(path).size,
    'content-disposition': `attachment; filename="${path.split(sep).pop()!.replace(/"/g, '')}"`,
  });
  createReadStream(path).on('error', () => res.destroy()).pipe(res);
}
