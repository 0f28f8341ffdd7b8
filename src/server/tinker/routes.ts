/**
 * The Tinker protocol's HTTP surface of `distil serve` (paths under /api/v1, docs/remote.md):
 * body decoding (JSON, or protobuf for forward_backward), the API key, idempotency keys
 * (a retried request gets the first answer back, so a retry never runs work twice), futures
 * and `retrieve_future` (long-polls, then answers try_again), protobuf results when the client
 * asks for them, and fault injection for tests (statuses, dropped connections, lost and slow
 * futures).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { decodeForwardBackwardRequest, encodeForwardBackwardOutput, encodeSampleResponse } from '../../backends/tinker/proto.ts';
import { PROTO_CONTENT_TYPE, type ForwardBackwardOutput, type ForwardBackwardRequest, type SampleRequest, type SampleResponse } from '../../backends/tinker/wire.ts';
import { TinkerError } from './errors.ts';
import { Futures, type FutureState, type ResultKind } from './futures.ts';
import type { TinkerService } from './service.ts';

export type TinkerFault =
  /** Answer this HTTP status before doing anything (408 carries a try_again body). */
  | { kind: 'status'; status: number }
  /** Do the work, then close the connection without answering. */
  | { kind: 'drop' }
  /** Submit routes: answer with a future whose work never runs (retrieve answers 410). */
  | { kind: 'lose' }
  /** Submit routes: start the work this much later. */
  | { kind: 'slow'; ms: number }
  /** retrieve_future: answer try_again even when the result is ready. */
  | { kind: 'try_again' };

export interface TinkerRouteOptions {
  /** When set, requests must carry it in X-API-Key. */
  apiKey?: string;
  /** Test hook: the fault (if any) for the n-th request (1-based) on a path. */
  faults?: (path: string, n: number) => TinkerFault | undefined;
  /** How long retrieve_future waits for a pending result before answering try_again (default 2000 ms). */
  longPollMs?: number;
  /** Datums per forward_backward request (the client config's fwdbwd_max_chunk_len; default 1024). */
  maxDatums?: number;
  /** Request body limit in bytes (default 64 MB). */
  maxBodyBytes?: number;
}

interface Reply {
  status: number;
  body: unknown;
  contentType?: string;
}

const SUBMIT = new Set(['create_model', 'forward_backward', 'forward', 'optim_step', 'save_weights', 'save_weights_for_sampler', 'load_weights', 'asample']);

export class TinkerRoutes {
  readonly futures = new Futures();
  private readonly counts = new Map<string, number>();
  private readonly replies = new Map<string, Reply>();
  /** Requests seen per path (tests read it). */
  readonly seen = new Map<string, number>();

  constructor(
    readonly service: TinkerService,
    readonly opts: TinkerRouteOptions = {},
  ) {}

  /** Handles /api/v1/* and returns true; anything else is left to the caller. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const path = (req.url ?? '/').split('?')[0].replace(/\/+$/, '');
    if (!path.startsWith('/api/v1/')) return false;
    const route = path.slice('/api/v1/'.length);
    const n = (this.counts.get(route) ?? 0) + 1;
    this.counts.set(route, n);
    this.seen.set(route, n);
    let reply: Reply;
    let drop = false;
    try {
      const raw = await readBody(req, this.opts.maxBodyBytes ?? 64 * 1024 * 1024);
      if (this.opts.apiKey !== undefined && req.headers['x-api-key'] !== this.opts.apiKey) {
        throw new TinkerError(401, 'invalid or missing API key (send it in the X-API-Key header)');
      }
      const fault = this.opts.faults?.(route, n);
      if (fault?.kind === 'status') {
        const body = fault.status === 408 ? { type: 'try_again', request_id: jsonOrNull(raw)?.request_id ?? '', queue_state: 'active' } : { error: `injected fault: HTTP ${fault.status}`, category: 'server' };
        reply = { status: fault.status, body };
      } else {
        const key = req.headers['x-idempotency-key'];
        const memo = typeof key === 'string' && req.method === 'POST' ? `${route}\n${key}` : null;
        const earlier = memo ? this.replies.get(memo) : undefined;
        if (earlier) reply = earlier;
        else {
          reply = await this.dispatch(route, req, raw, fault);
          if (memo && reply.status < 500 && fault?.kind !== 'lose') this.replies.set(memo, reply);
        }
        drop = fault?.kind === 'drop';
      }
    } catch (e) {
      const err = e instanceof TinkerError ? e : new TinkerError((e as { status?: number }).status ?? 500, (e as Error)?.message ?? String(e));
      reply = { status: err.status, body: err.body() };
    }
    if (drop) {
      res.destroy();
      return true;
    }
    send(res, reply);
    return true;
  }

  private async dispatch(route: string, req: IncomingMessage, raw: Buffer, fault: TinkerFault | undefined): Promise<Reply> {
    const s = this.service;
    const ok = (body: unknown): Reply => ({ status: 200, body });
    if (req.method === 'GET') {
      if (route === 'healthz') return ok({ status: 'ok' });
      if (route === 'get_server_capabilities') return ok({ supported_models: [{ model_name: s.model.name, max_context_length: s.model.config.maxPositions }] });
      if (route.startsWith('samplers/')) {
        const id = decodeURIComponent(route.slice('samplers/'.length));
        const sm = s.samplers.get(id);
        if (!sm) throw new TinkerError(404, `unknown sampler '${id}'`);
        return ok({ sampler_id: id, base_model: s.model.name, model_path: sm.basePath });
      }
      throw new TinkerError(404, `no Tinker route GET /api/v1/${route}`);
    }
    if (req.method !== 'POST') throw new TinkerError(405, `method ${req.method} not allowed for /api/v1/${route}`);
    const proto = String(req.headers['content-type'] ?? '').includes(PROTO_CONTENT_TYPE);
    if (proto && req.headers['content-encoding']) throw new TinkerError(415, `Content-Encoding ${String(req.headers['content-encoding'])} is not supported; this server's client config sets proto_compress_fwdbwd false`);
    if (proto && route !== 'forward_backward') throw new TinkerError(415, `/api/v1/${route} takes JSON, not protobuf`);
    const body = (proto ? null : parseJson(raw)) as Record<string, unknown>;
    if (SUBMIT.has(route)) return this.submit(route, body, proto ? raw : null, fault);
    switch (route) {
      case 'client/config':
        return ok({ pjwt_auth_enabled: false, credential_default_source: 'api_key', proto_compress_fwdbwd: false, parallel_fwdbwd_chunks: true, fwdbwd_max_chunk_len: this.opts.maxDatums ?? 1024, fwdbwd_max_chunk_bytes_count: 5_000_000, create_model_via_load_weights: false, sample_no_retries: false });
      case 'client/dynamic_config':
        return ok({});
      case 'telemetry':
        return ok({ status: 'accepted' });
      case 'create_session':
        return ok({ type: 'create_session', session_id: s.createSession(Array.isArray(body.tags) ? (body.tags as string[]) : []) });
      case 'session_heartbeat':
        s.session(body.session_id).heartbeats++;
        return ok({ type: 'session_heartbeat' });
      case 'get_info':
        return ok(s.info(body.model_id));
      case 'create_sampling_session':
        return ok(s.createSamplingSession(body.session_id, body.sampling_session_seq_id, body.base_model, body.model_path));
      case 'weights_info':
        return ok(s.savedStateInfo(body.tinker_path));
      case 'retrieve_future':
        return this.retrieve(String(body.request_id), req, fault);
      default:
        throw new TinkerError(404, `no Tinker route POST /api/v1/${route}`);
    }
  }

  private async submit(route: string, body: Record<string, unknown> | null, protoBody: Buffer | null, fault: TinkerFault | undefined): Promise<Reply> {
    const s = this.service;
    const delayMs = fault?.kind === 'slow' ? fault.ms : undefined;
    const lost = fault?.kind === 'lose';
    const future = (kind: ResultKind, work: () => Promise<unknown> | unknown, order?: { key: string; seq: number }): Reply => {
      const f = this.futures.submit(kind, async () => work(), { order, delayMs, lost });
      return { status: 200, body: { request_id: f.id, ...(order ? { model_id: order.key } : {}) } };
    };
    if (route === 'create_model') {
      const b = body!;
      return future('json', () => s.createModel(String(b.session_id), Number(b.model_seq_id), String(b.base_model), b.lora_config as never));
    }
    if (route === 'asample') {
      const b = body as unknown as SampleRequest;
      s.validateSample(b);
      s.samplerOf(b);
      return future('sample', () => s.sample(b));
    }
    // Training requests: ordered by seq_id per model. Checks that fail still use up the seq_id.
    let fb: ForwardBackwardRequest | null = null;
    let modelId: unknown;
    let seq: unknown;
    if (route === 'forward_backward' || route === 'forward') {
      try {
        fb = protoBody ? decodeForwardBackwardRequest(new Uint8Array(protoBody)) : route === 'forward' ? { model_id: String(body!.model_id), seq_id: Number(body!.seq_id), forward_backward_input: body!.forward_input as ForwardBackwardRequest['forward_backward_input'], forward_only: true } : (body as unknown as ForwardBackwardRequest);
      } catch (e) {
        throw new TinkerError(400, `the forward_backward body does not decode: ${(e as Error).message}`);
      }
      modelId = fb.model_id;
      seq = fb.seq_id;
    } else {
      modelId = body!.model_id;
      seq = body!.seq_id;
    }
    const model = s.trainingModel(modelId);
    const order = { key: model.id, seq: this.futures.checkSeq(model.id, seq) };
    try {
      if (fb) {
        const max = this.opts.maxDatums ?? 1024;
        const nData = fb.forward_backward_input?.data?.length ?? 0;
        if (nData > max) throw new TinkerError(413, `forward_backward carries ${nData} datums; this server takes at most ${max} per request (fwdbwd_max_chunk_len): split the batch`);
        s.validate(fb);
      }
    } catch (e) {
      this.futures.submit('json', async () => null, { order }); // the seq_id is used up all the same
      throw e;
    }
    const b = body ?? {};
    switch (route) {
      case 'forward_backward':
      case 'forward': {
        const r = fb!;
        return future('forward_backward', () => s.forwardBackward(r, route === 'forward' || !!r.forward_only), order);
      }
      case 'optim_step':
        return future('json', () => s.optimStep(model.id, b.adam_params as never), order);
      case 'save_weights':
        return future('json', () => s.saveWeights(model.id, b.path === undefined || b.path === null ? `seq-${order.seq}` : String(b.path)), order);
      case 'save_weights_for_sampler':
        return future('json', () => s.saveForSampler(model.id, b.path === undefined || b.path === null ? undefined : String(b.path), b.sampling_session_seq_id === undefined || b.sampling_session_seq_id === null ? undefined : Number(b.sampling_session_seq_id)), order);
      case 'load_weights':
        return future('json', () => s.loadWeights(model.id, b.path, !!b.optimizer), order);
      default:
        throw new TinkerError(404, `no Tinker route POST /api/v1/${route}`);
    }
  }

  private async retrieve(id: string, req: IncomingMessage, fault: TinkerFault | undefined): Promise<Reply> {
    const f = this.futures.get(id);
    if (!f) throw new TinkerError(404, `unknown request_id '${id}'`);
    const tryAgain: Reply = { status: 200, body: { type: 'try_again', request_id: id, queue_state: 'active' } };
    if (f.status === 'lost') throw new TinkerError(410, `the promise for ${id} is gone; submit the original request again`);
    if (fault?.kind === 'try_again') return tryAgain;
    if (f.status === 'pending') {
      const wait = this.opts.longPollMs ?? 2000;
      await Promise.race([f.settled, new Promise((r) => setTimeout(r, wait).unref())]);
    }
    if (f.status === 'pending') return tryAgain;
    return this.resultReply(f, String(req.headers.accept ?? '').includes(PROTO_CONTENT_TYPE));
  }

  private resultReply(f: FutureState, proto: boolean): Reply {
    if (f.status === 'failed') return { status: 200, body: { error: f.error!.message, category: f.error!.status < 500 ? 'user' : 'server' } };
    if (proto && f.kind === 'forward_backward') return { status: 200, body: Buffer.from(encodeForwardBackwardOutput(f.result as ForwardBackwardOutput)), contentType: PROTO_CONTENT_TYPE };
    if (proto && f.kind === 'sample') return { status: 200, body: Buffer.from(encodeSampleResponse(f.result as SampleResponse)), contentType: PROTO_CONTENT_TYPE };
    return { status: 200, body: f.result };
  }
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > limit) throw new TinkerError(413, `request body larger than ${limit} bytes; split the batch into smaller requests`);
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

function parseJson(raw: Buffer): unknown {
  const text = raw.toString('utf8');
  if (!text.trim()) return {};
  try {
    const v = JSON.parse(text);
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('expected a JSON object');
    return v;
  } catch (e) {
    throw new TinkerError(400, `the request body is not a JSON object (${(e as Error).message})`);
  }
}

function jsonOrNull(raw: Buffer): Record<string, unknown> | null {
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    return null;
  }
}

function send(res: ServerResponse, r: Reply): void {
  if (Buffer.isBuffer(r.body)) {
    res.writeHead(r.status, { 'content-type': r.contentType ?? 'application/octet-stream', 'content-length': r.body.length });
    res.end(r.body);
    return;
  }
  const text = JSON.stringify(r.body ?? null);
  res.writeHead(r.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
