/**
 * A progress bar with an ETA for long work (training, evaluation, pretraining, reports).
 * On a terminal it redraws one line in place (at most 10 times a second); in a log file or CI
 * it prints a plain line at every 10% and at least every `everyS` seconds, so logs stay short
 * yet show that the work is alive.
 *
 *   const bar = progress({ total: steps, label: 'train' });
 *   bar.tick(1, { loss: 0.42 });   // or bar.tick(1, 'loss 0.42')
 *   bar.done();
 */

export interface ProgressStream {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressOptions {
  /** Units of work; 0 when unknown (then only the count and elapsed time are shown). */
  total: number;
  label?: string;
  /** Where to draw; default process.stderr (stdout stays clean for results). */
  stream?: ProgressStream;
  /** Clock in milliseconds (tests pass a fake one). */
  now?: () => number;
  /** Without a TTY: print at least this often, in seconds, besides every 10%. Default 30. */
  everyS?: number;
}

export type Extra = string | Record<string, string | number | boolean | undefined>;

export interface Progress {
  /** Advance by n (default 1) units; `extra` is shown after the bar. */
  tick(n?: number, extra?: Extra): void;
  /** Set the absolute count. */
  update(done: number, extra?: Extra): void;
  /** Finish: draw the final state and end the line. Further calls are ignored. */
  done(extra?: Extra): void;
}

/** 75 -> "1m15s"; 4000 -> "1h06m"; 9 -> "9s". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

function extraText(extra?: Extra): string {
  if (extra === undefined) return '';
  if (typeof extra === 'string') return extra;
  return Object.entries(extra)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k} ${typeof v === 'number' ? fmtNum(v) : v}`)
    .join(', ');
}

function fmtNum(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(3);
}

export function progress(opts: ProgressOptions): Progress {
  const stream = opts.stream ?? process.stderr;
  const now = opts.now ?? (() => Date.now());
  const tty = !!stream.isTTY;
  const total = Math.max(0, opts.total);
  const everyMs = (opts.everyS ?? 30) * 1000;
  const start = now();
  let count = 0;
  let extra = '';
  let finished = false;
  let lastDraw = -Infinity;
  let lastDecile = -1;
  let lastLen = 0;
  let lastPrinted = -1;

  const line = (withBar: boolean): string => {
    const elapsed = (now() - start) / 1000;
    const frac = total > 0 ? Math.min(1, count / total) : 1;
    const eta = count > 0 && total > 0 ? ((total - count) * elapsed) / count : NaN;
    const parts: string[] = [];
    if (opts.label) parts.push(opts.label);
    if (total === 0) {
      parts.push(String(count), `${formatDuration(elapsed)}${finished ? ' total' : ' elapsed'}`);
      return parts.join(' ') + (extra ? ` | ${extra}` : '');
    }
    if (withBar) {
      const width = Math.max(10, Math.min(30, (stream.columns ?? 80) - 60));
      const full = Math.round(frac * width);
      parts.push(`[${'#'.repeat(full)}${'.'.repeat(width - full)}]`);
    }
    parts.push(`${count}/${total}`, `${Math.floor(frac * 100)}%`);
    const time = finished ? `${formatDuration(elapsed)} total` : `${formatDuration(elapsed)} elapsed, ETA ${formatDuration(eta)}`;
    parts.push(time);
    return parts.join(' ') + (extra ? ` | ${extra}` : '');
  };

  const draw = (force: boolean) => {
    const t = now();
    if (tty) {
      if (!force && t - lastDraw < 100) return;
      let s = line(true);
      const cols = stream.columns ?? 0;
      if (cols > 1 && s.length >= cols) s = s.slice(0, cols - 1); // a wrapped line cannot be redrawn
      // \r returns to the line start; spaces erase a longer previous line (no escape codes needed).
      stream.write(`\r${s}${' '.repeat(Math.max(0, lastLen - s.length))}${finished ? '\n' : ''}`);
      lastLen = s.length;
    } else {
      // Unknown total: no deciles, only the heartbeat.
      const decile = total > 0 ? Math.floor((10 * Math.min(count, total)) / total) : lastDecile;
      if (!force && decile === lastDecile && t - lastDraw < everyMs) return;
      // done() right after the last tick would repeat the same numbers in the log: skip it.
      if (finished && total > 0 && lastPrinted === count && count >= total) return;
      lastDecile = decile;
      lastPrinted = count;
      stream.write(line(false) + '\n');
    }
    lastDraw = t;
  };

  return {
    tick(n = 1, ex?: Extra) {
      this.update(count + n, ex);
    },
    update(done: number, ex?: Extra) {
      if (finished) return;
      count = Math.max(0, done);
      if (ex !== undefined) extra = extraText(ex);
      draw(false);
    },
    done(ex?: Extra) {
      if (finished) return;
      if (ex !== undefined) extra = extraText(ex);
      finished = true;
      draw(true);
    },
  };
}
