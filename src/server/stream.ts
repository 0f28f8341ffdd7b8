/**
 * Server-sent events for `stream: true` (OpenAI's wire format): `data: {chunk}` events, then
 * `data: [DONE]`. Text goes out as it is sampled, held back only where it could still change:
 * the end of the text that might be the start of a stop string, and a trailing partial UTF-8
 * character (a byte-level token that holds half of one decodes to U+FFFD until the rest comes).
 */
import type { ServerResponse } from 'node:http';
import type { Completion } from '../backends/types.ts';
import { rowText, type SampleRow } from '../inference/sampler.ts';
import type { SampleListener } from './sample-queue.ts';
import { badParam } from './errors.ts';
import type { Body } from './params.ts';

/** `stream` and `stream_options` of a request; stream_options without stream is a 400, as in OpenAI's API. */
export function parseStream(b: Body): { stream: boolean; includeUsage: boolean } {
  const stream = b.bool('stream') ?? false;
  const opts = b.raw('stream_options');
  if (opts === undefined || opts === null) return { stream, includeUsage: false };
  if (!stream) throw badParam('stream_options', "'stream_options' is only allowed when 'stream' is true", 'invalid_value');
  if (typeof opts !== 'object' || Array.isArray(opts)) throw badParam('stream_options', "'stream_options' must be an object like {\"include_usage\": true}", 'invalid_type');
  const o = opts as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (k !== 'include_usage') throw badParam(`stream_options.${k}`, `unknown field 'stream_options.${k}' (known: include_usage)`, 'unknown_parameter');
  }
  if (o.include_usage !== undefined && typeof o.include_usage !== 'boolean') throw badParam('stream_options.include_usage', "'stream_options.include_usage' must be true or false", 'invalid_type');
  return { stream, includeUsage: o.include_usage === true };
}

export class EventStream {
  private closed = false;

  constructor(private readonly res: ServerResponse) {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
    res.flushHeaders();
    // A client that goes away mid-stream: stop writing, and let the sampler drop its rows.
    res.on('close', () => {
      this.closed = true;
    });
  }

  /** True once the client disconnected (or the stream ended). */
  get gone(): boolean {
    return this.closed || this.res.destroyed;
  }

  send(chunk: unknown): void {
    if (!this.gone) this.res.write(`data: ${JSON.stringify(chunk)}\n\n`);
  }

  /** Ends the stream; `error` is sent as an event first (headers are already out, so no status). */
  end(error?: { message: string; type: string; code?: string | null }): void {
    if (this.gone) return;
    if (error) this.send({ error: { ...error, param: null, code: error.code ?? null } });
    this.res.end('data: [DONE]\n\n');
    this.closed = true;
  }
}

/**
 * Per row of one submission: what text was sent, and whether its end was. `emit(row, delta,
 * finish)` writes one chunk; finish is null until the row's last chunk.
 */
export class TextDeltas {
  private sent: string[];
  private finished: boolean[];
  private readonly hold: number;

  constructor(
    n: number,
    stops: readonly string[],
    private readonly decode: (ids: number[]) => string,
    private readonly emit: (row: number, delta: string, finish: 'stop' | 'length' | null) => void,
  ) {
    this.sent = Array(n).fill('');
    this.finished = Array(n).fill(false);
    this.hold = Math.max(0, ...stops.map((s) => s.length - 1));
  }

  /** A sampling step: send what is safe of each row, and the end of each row that finished. */
  step(rows: readonly SampleRow[]): void {
    rows.forEach((row, i) => {
      if (this.finished[i]) return;
      const text = rowText(row, { decode: this.decode });
      if (row.done) this.finish(i, text, row.stopReason);
      else {
        let safe = text.slice(0, Math.max(0, text.length - this.hold));
        while (safe.endsWith('\uFFFD')) safe = safe.slice(0, -1);
        this.push(i, safe);
      }
    });
  }

  /** The batch ended: rows not finished yet end with their completion's text. */
  done(completions: readonly Completion[]): void {
    completions.forEach((c, i) => {
      if (!this.finished[i]) this.finish(i, c.text, c.stopReason);
    });
  }

  private push(i: number, text: string): void {
    // Text only grows at its end; if a decoder ever rewrote what was sent, send nothing more.
    if (text.length > this.sent[i].length && text.startsWith(this.sent[i])) {
      this.emit(i, text.slice(this.sent[i].length), null);
      this.sent[i] = text;
    }
  }

  private finish(i: number, text: string, reason: 'stop' | 'length'): void {
    const delta = text.startsWith(this.sent[i]) ? text.slice(this.sent[i].length) : '';
    this.finished[i] = true;
    this.sent[i] = text;
    this.emit(i, delta, reason);
  }
}

/** A listener for Engine.sample that streams `deltas` and stops when the client is gone. */
export function streamListener(events: EventStream, deltas: TextDeltas): SampleListener {
  return { onStep: (rows) => deltas.step(rows), cancelled: () => events.gone };
}

/** For a request answered in one piece: stop sampling for it once its client has gone. */
export function clientGone(res: ServerResponse | undefined): SampleListener | undefined {
  return res ? { cancelled: () => res.destroyed || res.socket === null || res.socket.destroyed } : undefined;
}
