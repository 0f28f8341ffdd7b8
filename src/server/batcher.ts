/**
 * One model, two cores: requests are served one batch at a time. Submissions that arrive
 * while the model is busy (or in the same event-loop turn) are merged into the next batch,
 * so concurrent clients share one forward pass per decoding step instead of queueing behind
 * each other token by token. If a merged batch fails, each submission is rerun on its own so
 * that one bad request cannot fail the others.
 */
interface Pending<Req, Res> {
  reqs: Req[];
  resolve: (out: Res[]) => void;
  reject: (err: unknown) => void;
}

export class Batcher<Req, Res> {
  private queue: Pending<Req, Res>[] = [];
  private scheduled = false;

  constructor(private readonly run: (reqs: Req[]) => Res[]) {}

  submit(reqs: Req[]): Promise<Res[]> {
    if (reqs.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      this.queue.push({ reqs, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        // setImmediate lets request bodies already read by the event loop join this batch.
        setImmediate(() => this.drain());
      }
    });
  }

  private drain(): void {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (!batch.length) return;
    try {
      const out = this.run(batch.flatMap((p) => p.reqs));
      let at = 0;
      for (const p of batch) {
        p.resolve(out.slice(at, at + p.reqs.length));
        at += p.reqs.length;
      }
    } catch (err) {
      if (batch.length === 1) batch[0].reject(err);
      else {
        for (const p of batch) {
          try {
            p.resolve(this.run(p.reqs));
          } catch (e) {
            p.reject(e);
          }
        }
      }
    }
    if (this.queue.length && !this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.drain());
    }
  }
}
