/**
 * Futures of the Tinker protocol: every mutating request is answered at once with a
 * request_id and runs later; `retrieve_future` polls for the result. Training requests of one
 * model run strictly in seq_id order (a request that arrives early waits for its
 * predecessors; a seq_id seen before is refused), whatever order the HTTP requests come in.
 */

export type ResultKind = 'json' | 'forward_backward' | 'sample';

export interface FutureState {
  id: string;
  kind: ResultKind;
  status: 'pending' | 'done' | 'failed' | 'lost';
  result?: unknown;
  error?: { status: number; message: string };
  /** Resolves when the future leaves 'pending'. */
  settled: Promise<void>;
}

interface Queue {
  next: number;
  waiting: Map<number, () => void>;
  chain: Promise<void>;
}

export class Futures {
  private readonly all = new Map<string, FutureState>();
  private readonly queues = new Map<string, Queue>();
  private count = 0;

  get(id: string): FutureState | undefined {
    return this.all.get(id);
  }

  /**
   * Registers work. With an `order` (model id and seq_id) it runs after that model's earlier
   * seq_ids; `delayMs` holds it back first (slow futures); `lost` registers a future whose work
   * never runs and whose seq_id stays free (what a 410 reports).
   */
  submit(kind: ResultKind, work: () => Promise<unknown>, o: { order?: { key: string; seq: number }; delayMs?: number; lost?: boolean } = {}): FutureState {
    const id = `req-${++this.count}`;
    let settle!: () => void;
    const f: FutureState = { id, kind, status: 'pending', settled: new Promise((r) => (settle = r)) };
    this.all.set(id, f);
    if (o.lost) {
      f.status = 'lost';
      settle();
      return f;
    }
    const run = async () => {
      if (o.delayMs) await new Promise((r) => setTimeout(r, o.delayMs));
      try {
        f.result = await work();
        f.status = 'done';
      } catch (e) {
        f.status = 'failed';
        const status = (e as { status?: number }).status ?? 500;
        f.error = { status, message: (e as Error).message ?? String(e) };
      }
      settle();
    };
    if (!o.order) {
      void run();
      return f;
    }
    const q = this.queue(o.order.key);
    q.waiting.set(o.order.seq, () => {
      q.chain = q.chain.then(run);
    });
    this.pump(q);
    return f;
  }

  /** Throws when seq_id was already used for this model (or is not a whole number >= 1). */
  checkSeq(key: string, seq: unknown): number {
    const q = this.queue(key);
    if (!Number.isInteger(seq) || (seq as number) < 1) throw Object.assign(new Error(`seq_id must be a whole number >= 1, got ${String(seq)}`), { status: 400 });
    if ((seq as number) < q.next || q.waiting.has(seq as number)) throw Object.assign(new Error(`seq_id ${String(seq)} was already used for ${key} (next expected: ${q.next}); seq_ids increase by one per request`), { status: 409 });
    return seq as number;
  }

  private queue(key: string): Queue {
    let q = this.queues.get(key);
    if (!q) this.queues.set(key, (q = { next: 1, waiting: new Map(), chain: Promise.resolve() }));
    return q;
  }

  private pump(q: Queue): void {
    for (let start = q.waiting.get(q.next); start; start = q.waiting.get(q.next)) {
      q.waiting.delete(q.next);
      q.next++;
      start();
    }
  }
}
