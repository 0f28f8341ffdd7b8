/**
 * The sandbox: a small pool of long-lived worker processes (worker.cjs) that evaluate
 * candidate JavaScript one job at a time each. The parent owns every limit a worker cannot
 * enforce on itself: a wall-clock deadline per job (kill and replace), the resident memory
 * of the process (kill and replace), and the classification of a death (heap exhausted vs
 * crash). See README.md for the design and the attacks it is tested against.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fromDeath, fromReply, type WorkerReply } from './result.ts';
import { hostShow } from './show.ts';
import type { JobLimits, SandboxJob, SandboxResult } from './types.ts';

const here = dirname(fileURLToPath(import.meta.url));
const WORKER = join(here, 'worker.cjs');
const HARNESS = join(here, 'harness.cjs');

export interface SandboxOptions {
  /** Worker processes (default: min(2, cores)). */
  workers?: number;
  /** V8 heap limit of each worker, MB (default 256). */
  memoryMb?: number;
  /** Resident-memory ceiling of a worker, MB, checked every 100 ms (default 2 * memoryMb + 256). */
  rssLimitMb?: number;
  /**
   * Default time per evaluation, ms (default 1000): CPU time as far as it can be told. A job
   * starved of CPU by other processes is given more wall-clock time (worker.cjs, STARVED).
   */
  timeoutMs?: number;
  /** Default characters kept of console output and of each rendered value (default 4096). */
  outputLimit?: number;
  /** Wall-clock slack beyond timeoutMs before a worker is killed, ms (default 1000). */
  graceMs?: number;
  /**
   * Fixed wall-clock limit per job, ms, instead of timeoutMs + graceMs. Only useful to test
   * the kill-and-replace path (set it below timeoutMs), or for very slow machines.
   */
  wallMs?: number;
  /** Tests only: the first run of every job loses this much wall-clock time without using CPU (a starved worker). */
  testStallMs?: number;
  /** Jobs a worker runs before it is replaced (default 5000): bounds slow leaks. */
  maxJobsPerWorker?: number;
}

interface Pending {
  id: number;
  job: SandboxJob;
  expected: string[];
  timeoutMs: number;
  outputLimit: number;
  resolve: (r: SandboxResult) => void;
  reject: (e: Error) => void;
  started: number;
  timer?: NodeJS.Timeout;
  /** The worker's CPU time (ms, from /proc) when the job was sent; undefined without /proc. */
  cpuAtStart?: number;
  /** Times the kill deadline was moved out because the worker was starved of CPU. */
  stretched: number;
  killedFor?: 'timeout' | 'memory_limit';
}

interface Slot {
  child: ChildProcess;
  ready: boolean;
  /** Takes no more jobs: killed and replaced (heap too full, or too many jobs done). */
  retiring: boolean;
  jobs: number;
  job?: Pending;
  stderr: string;
  exited: Promise<void>;
}

const MAX_CODE = 200_000;

/**
 * Node flags of a worker: the permission model lets it read its own two files and nothing
 * else (no writes, no child processes, no worker threads, no native addons), the heap is
 * capped, and code generation from strings is off in its own realm too, so that a host
 * Function reached through some unknown hole still could not compile anything.
 */
export function workerFlags(memoryMb: number): string[] {
  return [
    // Node 22.13+/23.5+ call it --permission; Node 20 only knows the experimental name.
    process.allowedNodeEnvironmentFlags.has('--permission') ? '--permission' : '--experimental-permission',
    // Node 20.20 takes one path per flag (a comma list is read as one path).
    `--allow-fs-read=${WORKER}`,
    `--allow-fs-read=${HARNESS}`,
    `--max-old-space-size=${memoryMb}`,
    '--disallow-code-generation-from-strings',
    '--no-warnings',
  ];
}

export class Sandbox {
  readonly workers: number;
  readonly memoryMb: number;
  readonly rssLimitMb: number;
  readonly timeoutMs: number;
  readonly outputLimit: number;
  readonly graceMs: number;
  readonly wallMs: number | undefined;
  readonly maxJobsPerWorker: number;
  private readonly testStallMs: number;
  private slots: Slot[] = [];
  private queue: Pending[] = [];
  private nextId = 1;
  private closed = false;
  private monitor?: NodeJS.Timeout;

  constructor(options: SandboxOptions = {}) {
    this.workers = Math.max(1, Math.floor(options.workers ?? Math.min(2, availableParallelism())));
    this.memoryMb = options.memoryMb ?? 256;
    this.rssLimitMb = options.rssLimitMb ?? 2 * this.memoryMb + 256;
    this.timeoutMs = options.timeoutMs ?? 1000;
    this.outputLimit = options.outputLimit ?? 4096;
    this.graceMs = options.graceMs ?? 1000;
    this.wallMs = options.wallMs;
    this.maxJobsPerWorker = Math.max(1, options.maxJobsPerWorker ?? 5000);
    this.testStallMs = Math.max(0, options.testStallMs ?? 0);
  }

  /** Process ids of the live workers (for tests and diagnostics). */
  get pids(): number[] {
    return this.slots.map((s) => s.child.pid).filter((p): p is number => typeof p === 'number');
  }

  run(job: SandboxJob, limits: JobLimits = {}): Promise<SandboxResult> {
    if (this.closed) return Promise.reject(new Error('Sandbox.run after close()'));
    checkJob(job);
    const expected = job.mode === 'calls' ? job.tests.map((t) => hostShow(t.expected, 1e9, false)) : [];
    return new Promise((resolve, reject) => {
      this.queue.push({
        id: this.nextId++,
        job,
        expected,
        timeoutMs: Math.max(1, Math.floor(limits.timeoutMs ?? this.timeoutMs)),
        outputLimit: Math.max(16, Math.floor(limits.outputLimit ?? this.outputLimit)),
        resolve,
        reject,
        started: 0,
        stretched: 0,
      });
      this.pump();
    });
  }

  /** Kills every worker and waits for them to exit; queued jobs are rejected. */
  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0)) p.reject(new Error('sandbox closed before the job ran'));
    const exits = this.slots.map((s) => {
      s.child.kill('SIGKILL');
      return s.exited;
    });
    // The workers are unref'd: hold the event loop open until their exits are seen.
    const hold = setInterval(() => {}, 1000);
    try {
      await Promise.all(exits);
    } finally {
      clearInterval(hold);
    }
    this.slots = [];
    this.updateMonitor();
  }

  private pump(): void {
    if (this.closed) return;
    for (const slot of this.slots) {
      if (!this.queue.length) break;
      if (slot.ready && !slot.job && !slot.retiring) this.dispatch(slot, this.queue.shift()!);
    }
    // Retiring workers still count until their exit is seen (then a new one starts).
    let starting = this.slots.filter((s) => !s.ready).length;
    while (this.slots.length < this.workers && this.queue.length > starting) {
      this.spawn();
      starting++;
    }
    this.updateMonitor();
  }

  private spawn(): void {
    const child = fork(WORKER, [String(this.memoryMb), String(this.testStallMs)], {
      execArgv: workerFlags(this.memoryMb),
      env: {},
      cwd: tmpdir(),
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'json',
    });
    let onExit!: () => void;
    const slot: Slot = { child, ready: false, retiring: false, jobs: 0, stderr: '', exited: new Promise<void>((r) => (onExit = r)) };
    this.slots.push(slot);
    // None of the worker's handles may keep this process alive; the monitor timer does that
    // while work is pending.
    child.unref();
    (child as unknown as { channel?: { unref(): void } }).channel?.unref();
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (d: string) => {
      slot.stderr = (slot.stderr + d).slice(-4096);
    });
    (child.stderr as unknown as { unref(): void }).unref();
    child.on('message', (msg: { ready?: boolean; id?: number; result?: WorkerReply; internalError?: string; retire?: boolean }) => {
      if (msg.ready) {
        slot.ready = true;
        this.pump();
        return;
      }
      const p = slot.job;
      if (!p || msg.id !== p.id) return;
      if (typeof (msg as { extend?: unknown }).extend === 'number') {
        // The worker reruns a starved job with more wall-clock time: move the kill out with it.
        if (this.wallMs === undefined) this.armKill(slot, p, (msg as { extend: number }).extend + this.graceMs);
        return;
      }
      this.finish(slot);
      if (msg.retire || ++slot.jobs >= this.maxJobsPerWorker) {
        slot.retiring = true;
        slot.child.kill('SIGKILL');
      }
      if (msg.result) p.resolve(fromReply(p.job, p.expected, msg.result));
      else p.resolve(fromDeath(p.job, p.expected, 'crash', Date.now() - p.started, `sandbox worker error: ${msg.internalError}`));
      this.pump();
    });
    child.on('error', (err) => {
      // Spawning failed (or a kill failed): fail the job on this slot, if any.
      const p = slot.job;
      if (p) {
        this.finish(slot);
        p.reject(new Error(`sandbox worker failed: ${err.message}`));
      }
    });
    child.on('exit', (code, signal) => {
      this.slots = this.slots.filter((s) => s !== slot);
      const p = slot.job;
      if (p) {
        this.finish(slot);
        const ms = Date.now() - p.started;
        if (this.closed) p.reject(new Error('sandbox closed while the job ran'));
        else if (p.killedFor) p.resolve(fromDeath(p.job, p.expected, p.killedFor, ms));
        else if (/heap out of memory|Allocation failed|Reached heap limit/i.test(slot.stderr))
          p.resolve(fromDeath(p.job, p.expected, 'memory_limit', ms));
        else
          p.resolve(fromDeath(p.job, p.expected, 'crash', ms, `sandbox worker exited (code ${code}, signal ${signal})`));
      }
      onExit();
      if (!slot.ready && !this.closed) {
        // The worker died before it could take work: retrying would loop forever.
        const why = `the sandbox worker could not start (exit code ${code}, signal ${signal}): ${slot.stderr.trim().slice(-1000)}`;
        for (const q of this.queue.splice(0)) q.reject(new Error(why));
      }
      this.pump();
    });
  }

  private dispatch(slot: Slot, p: Pending): void {
    slot.job = p;
    p.started = Date.now();
    p.cpuAtStart = slot.child.pid === undefined ? undefined : processCpuMs(slot.child.pid);
    this.armKill(slot, p, this.wallMs ?? p.timeoutMs + this.graceMs);
    const { job } = p;
    const msgJob =
      job.mode === 'calls'
        ? { mode: 'calls', code: job.code, entry: job.entry, args: job.tests.map((t) => JSON.stringify(t.args)) }
        : { mode: 'script', code: job.code, testCode: job.testCode };
    slot.child.send({ id: p.id, job: { ...msgJob, timeoutMs: p.timeoutMs, outputLimit: p.outputLimit } });
  }

  /**
   * Kills the worker after `ms` of wall-clock time, unless /proc shows it used less than half
   * its allowance (wallMs, else the job's time limit) in CPU time since the job was sent: a
   * worker starved by other processes gets 4 times more, up to 3 times, as worker.cjs does with
   * its own deadline.
   */
  private armKill(slot: Slot, p: Pending, ms: number): void {
    if (p.timer) clearTimeout(p.timer);
    p.timer = setTimeout(() => {
      const now = slot.child.pid === undefined ? undefined : processCpuMs(slot.child.pid);
      const used = now !== undefined && p.cpuAtStart !== undefined ? now - p.cpuAtStart : undefined;
      if (used !== undefined && used < 0.5 * (this.wallMs ?? p.timeoutMs) && p.stretched < 3) {
        p.stretched++;
        this.armKill(slot, p, ms * 4);
        return;
      }
      p.killedFor = 'timeout';
      slot.child.kill('SIGKILL');
    }, ms);
  }

  private finish(slot: Slot): void {
    const p = slot.job;
    if (p?.timer) clearTimeout(p.timer);
    slot.job = undefined;
  }

  /** Runs while work is pending: checks worker memory and keeps this process alive. */
  private updateMonitor(): void {
    const pending = this.queue.length > 0 || this.slots.some((s) => s.job);
    if (pending && !this.monitor) this.monitor = setInterval(() => this.checkMemory(), 100);
    else if (!pending && this.monitor) {
      clearInterval(this.monitor);
      this.monitor = undefined;
    }
  }

  private checkMemory(): void {
    for (const slot of this.slots) {
      const p = slot.job;
      if (!p || p.killedFor || slot.child.pid === undefined) continue;
      let rssMb: number;
      try {
        const m = /VmRSS:\s*(\d+) kB/.exec(readFileSync(`/proc/${slot.child.pid}/status`, 'utf8'));
        if (!m) continue;
        rssMb = Number(m[1]) / 1024;
      } catch {
        continue; // no /proc (not Linux) or the process just ended
      }
      if (rssMb > this.rssLimitMb) {
        p.killedFor = 'memory_limit';
        slot.child.kill('SIGKILL');
      }
    }
  }
}

/** CPU time (user + system) of a process in ms, from /proc; undefined where there is none. */
function processCpuMs(pid: number): number | undefined {
  try {
    // Fields after the command name (which may hold spaces, hence the last ')'): utime is the
    // 12th, stime the 13th, in clock ticks (100 per second on Linux).
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
  } catch {
    return undefined;
  }
}

function checkJob(job: SandboxJob): void {
  if (typeof job.code !== 'string') throw new Error('sandbox job: code must be a string');
  if (job.code.length > MAX_CODE) throw new Error(`sandbox job: code is ${job.code.length} characters, the limit is ${MAX_CODE}`);
  if (job.mode === 'calls') {
    if (!/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(job.entry))
      throw new Error(`sandbox job: entry point ${JSON.stringify(job.entry)} is not a JavaScript identifier`);
    if (!Array.isArray(job.tests)) throw new Error('sandbox job: tests must be an array of {args, expected}');
    job.tests.forEach((t, i) => {
      if (!t || !Array.isArray(t.args)) throw new Error(`sandbox job: test ${i} needs an args array`);
    });
  } else if (job.mode === 'script') {
    if (typeof job.testCode !== 'string') throw new Error('sandbox job: testCode must be a string');
  } else {
    throw new Error(`sandbox job: unknown mode ${JSON.stringify((job as { mode: unknown }).mode)}`);
  }
}
