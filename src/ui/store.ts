/**
 * The run folders `distil ui` watches. Every poll it looks for run folders under the paths it
 * was given (a comparison adds folders as it goes), compares each folder's files by size and
 * modification time, and re-reads only the runs that changed. It never writes anything.
 * A folder that cannot be read (torn JSON in the middle of a file, deleted while open) becomes
 * a run with an `error` or `deleted` status instead of stopping the server.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { num } from '../report/jsonl.ts';
import { disambiguateLabels, readRun, RUN_FILES, findRunDirs, isRunDir, type Run } from '../report/runs.ts';

export type RunStatus = 'running' | 'finished' | 'stopped' | 'error' | 'deleted';

export interface WatchedRun {
  /** Stable id for URLs: its index in discovery order. */
  id: number;
  dir: string;
  /** Parsed contents; the last good read when the folder later became unreadable. */
  run?: Run;
  status: RunStatus;
  error?: string;
  /** Size and mtime of every run file, to notice changes cheaply. */
  signature: string;
  /** Last time any of its files changed (ms since epoch). */
  lastChange: number;
}

/** A path given on the command line that holds no run (yet). */
export interface PathProblem {
  path: string;
  message: string;
}

/** A run whose files changed in the last two minutes is taken to be running. */
const RUNNING_WINDOW_MS = 120_000;

function fileSignature(dir: string): { sig: string; mtime: number } {
  let mtime = 0;
  const parts: string[] = [];
  for (const f of [...RUN_FILES, 'checkpoints']) {
    try {
      const s = statSync(join(dir, f));
      const extra = f === 'checkpoints' && s.isDirectory() ? readdirSync(join(dir, f)).sort().join(',') : '';
      parts.push(`${f}:${s.size}:${s.mtimeMs}:${extra}`);
      mtime = Math.max(mtime, s.mtimeMs);
    } catch {
      parts.push(`${f}:-`);
    }
  }
  return { sig: parts.join('|'), mtime };
}

export class RunStore {
  readonly runs: WatchedRun[] = [];
  problems: PathProblem[] = [];
  /** Bumped whenever anything visible changed. */
  version = 0;
  private byDir = new Map<string, WatchedRun>();

  constructor(readonly paths: readonly string[], private now: () => number = Date.now) {}

  /** Look for new run folders and re-read changed ones; returns the ids that changed. */
  poll(): number[] {
    const changed: number[] = [];
    const problems: PathProblem[] = [];
    for (const p of this.paths) {
      const dir = resolve(p);
      if (!existsSync(dir)) {
        problems.push({ path: p, message: `${p}: no such folder (deleted?)` });
        continue;
      }
      let found: string[];
      try {
        found = isRunDir(dir) ? [dir] : findRunDirs(dir, 4);
      } catch (e) {
        problems.push({ path: p, message: `${p}: cannot be read (${(e as Error).message})` });
        continue;
      }
      if (found.length === 0) problems.push({ path: p, message: `${p}: not a run folder (none of ${RUN_FILES.join(', ')}) and holds no run folders yet` });
      for (const d of found) {
        if (!this.byDir.has(d)) {
          const w: WatchedRun = { id: this.runs.length, dir: d, status: 'stopped', signature: '', lastChange: 0 };
          this.runs.push(w);
          this.byDir.set(d, w);
        }
      }
    }
    if (JSON.stringify(problems) !== JSON.stringify(this.problems)) {
      this.problems = problems;
      changed.push(-1);
    }
    let relabel = false;
    for (const w of this.runs) {
      const before = `${w.status}|${w.error ?? ''}`;
      if (!existsSync(w.dir)) {
        w.status = 'deleted';
        w.error = `${w.dir} was deleted; showing what was read before`;
        w.signature = '';
      } else {
        const { sig, mtime } = fileSignature(w.dir);
        if (sig !== w.signature) {
          w.signature = sig;
          w.lastChange = Math.max(w.lastChange, mtime);
          try {
            w.run = readRun(w.dir);
            w.error = undefined;
            relabel = true;
          } catch (e) {
            w.error = (e as Error).message;
          }
          changed.push(w.id);
        }
        w.status = w.error ? 'error' : this.statusOf(w);
      }
      if (`${w.status}|${w.error ?? ''}` !== before && !changed.includes(w.id)) changed.push(w.id);
    }
    // Seeds and ablations get their labels from comparing configs, so relabel all together.
    if (relabel) disambiguateLabels(this.runs.flatMap((w) => (w.run ? [w.run] : [])));
    if (changed.length) this.version++;
    return changed;
  }

  private statusOf(w: WatchedRun): RunStatus {
    if (w.run?.summary !== undefined) return 'finished';
    const steps = num(w.run?.config, 'steps');
    const last = lastStep(w.run);
    if (steps !== undefined && last !== undefined && last >= steps && w.run!.evals.some((e) => num(e, 'step') === last)) return 'finished';
    return this.now() - w.lastChange < RUNNING_WINDOW_MS ? 'running' : 'stopped';
  }

  get(id: number): WatchedRun | undefined {
    return this.runs[id];
  }
}

export function lastStep(run: Run | undefined): number | undefined {
  if (!run) return undefined;
  let last: number | undefined;
  for (const m of run.metrics) {
    const s = num(m, 'step');
    if (s !== undefined && (last === undefined || s > last)) last = s;
  }
  return last;
}
