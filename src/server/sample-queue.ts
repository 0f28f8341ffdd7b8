/**
 * Sampling for the server, one batch at a time, one decoding step at a time. Submissions that
 * arrive while a batch runs wait for the next one and are merged into it (as in batcher.ts).
 * Between steps the event loop runs: new requests are read, streamed tokens are written, and
 * rows whose client went away are dropped. If a merged batch fails before its first token
 * (a request the sampler refuses), each submission is rerun alone, so one bad request cannot
 * fail the others.
 */
import type { Completion, SampleRequest } from '../backends/types.ts';
import type { SampleRow } from '../inference/sampler.ts';

export interface SampleListener {
  /** After every step: the submission's own rows, in request order. */
  onStep?: (rows: readonly SampleRow[]) => void;
  /** True once nobody waits for the result (the client disconnected): its rows stop. */
  cancelled?: () => boolean;
}

/** Starts a batch: a step generator (sampleSteps) that asks `cancelled(row)` before each step. */
export type StartBatch = (reqs: SampleRequest[], cancelled: (row: number) => boolean) => Generator<readonly SampleRow[], Completion[], void>;

interface Pending {
  reqs: SampleRequest[];
  listener: SampleListener;
  resolve: (out: Completion[]) => void;
  reject: (err: unknown) => void;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

export class SampleQueue {
  private queue: Pending[] = [];
  private busy = false;

  constructor(private readonly start: StartBatch) {}

  submit(reqs: SampleRequest[], listener: SampleListener = {}): Promise<Completion[]> {
    if (reqs.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      this.queue.push({ reqs, listener, resolve, reject });
      if (!this.busy) {
        this.busy = true;
        // setImmediate lets request bodies already read by the event loop join this batch.
        setImmediate(() => void this.drain());
      }
    });
  }

  /** Submissions waiting for the next batch (for tests and load reports). */
  get waiting(): number {
    return this.queue.length;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length) {
        const batch = this.queue.splice(0).filter((p) => {
          if (!p.listener.cancelled?.()) return true;
          p.reject(new Error('the request was cancelled before it ran'));
          return false;
        });
        if (batch.length) await this.run(batch);
      }
    } finally {
      this.busy = false;
    }
  }

  private async run(batch: Pending[]): Promise<void> {
    const owner: number[] = [];
    const first: number[] = [];
    batch.forEach((p, i) => {
      first.push(owner.length);
      for (let j = 0; j < p.reqs.length; j++) owner.push(i);
    });
    const own = (rows: readonly SampleRow[], i: number) => rows.slice(first[i], first[i] + batch[i].reqs.length);
    let steps: Generator<readonly SampleRow[], Completion[], void>;
    let r: IteratorResult<readonly SampleRow[], Completion[]>;
    try {
      steps = this.start(batch.flatMap((p) => p.reqs), (row) => batch[owner[row]].listener.cancelled?.() ?? false);
      r = steps.next();
    } catch (err) {
      if (batch.length === 1) batch[0].reject(err);
      else for (const p of batch) await this.run([p]);
      return;
    }
    try {
      while (!r.done) {
        const rows = r.value;
        batch.forEach((p, i) => {
          try {
            p.listener.onStep?.(own(rows, i));
          } catch {
            // A listener that fails (a client that is gone) must not stop the others' batch.
          }
        });
        await nextTurn();
        r = steps.next();
      }
    } catch (err) {
      for (const p of batch) p.reject(err);
      return;
    }
    const out = r.value;
    batch.forEach((p, i) => p.resolve(out.slice(first[i], first[i] + p.reqs.length)));
  }
}
