/** Shared by the server and remote-backend tests: distil serve over a fixture, in-process on a loopback port. */
import { fileURLToPath } from 'node:url';
import { servedModelFromFolder, type ServedModel } from '../../src/server/engine.ts';
import { serve, type RunningServer } from '../../src/server/server.ts';

export const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/models/${name}`, import.meta.url));

export function startServer(name: string, edit: (m: ServedModel) => ServedModel = (m) => m): Promise<RunningServer> {
  return serve(edit(servedModelFromFolder(fixture(name))), { port: 0, host: '127.0.0.1' });
}

export async function post(url: string, body: unknown, raw = false): Promise<{ status: number; json: any }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: raw ? (body as string) : JSON.stringify(body) });
  return { status: res.status, json: await res.json() };
}
