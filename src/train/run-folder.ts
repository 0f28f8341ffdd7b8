/**
 * The run folder (docs/run-folder.md), one format for RL and pretraining runs:
 *
 *   config.json                  the validated config (written atomically)
 *   metrics.jsonl, eval.jsonl,   append-only logs, one JSON object per line, each with `step`
 *   samples.jsonl
 *   checkpoints/step-N/          model/ (a model folder), optimizer/ (AdamW moments as
 *                                safetensors + state.json), optional extra folders (teacher/),
 *                                trainer-state.json (written last: a folder without it is incomplete)
 *
 * Every write leaves the folder readable after a kill: files are replaced by rename, a
 * checkpoint is assembled under a temporary name and renamed, and a line torn by a kill during
 * an append is at the end of its log, where readers skip it and a resume cuts it off together
 * with every row past the checkpoint. So a resumed run's logs equal an uninterrupted run's.
 */
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadWeights, saveWeights } from '../models/checkpoint.ts';
import { loadModelFolder } from '../models/folder.ts';
import type { AdamWState } from '../nn/optim.ts';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.ts';
import { InputError } from '../util/errors.ts';

export const CONFIG = 'config.json';
export const METRICS = 'metrics.jsonl';
export const EVAL = 'eval.jsonl';
export const SAMPLES = 'samples.jsonl';
export const SUMMARY = 'summary.json';
/** The append-only logs a resume cuts back to its checkpoint. */
export const LOGS = [METRICS, EVAL, SAMPLES] as const;

/** A run-folder file that cannot be read as its format says (names the file and line): bad input. */
export class RunFormatError extends InputError {}

/**
 * A write into the run folder failed (no space, no permission, a read-only file system): the
 * run stops there. The message names the file, the cause, and the checkpoint to resume from,
 * which the failed write did not touch.
 */
export class RunWriteError extends Error {}

function writeFailed(run: string, what: string, err: unknown): RunWriteError {
  const steps = listCheckpoints(run);
  const resume = steps.length
    ? `the last complete checkpoint (step ${steps[steps.length - 1]}) is intact: free space or fix the folder's permissions, then resume with --resume`
    : 'no checkpoint was complete yet: fix the folder, then run again (a resume starts over)';
  return new RunWriteError(`could not write ${what} in ${run} (${(err as Error)?.message ?? String(err)}); the run stopped here. ${resume}`, { cause: err });
}

/** Writes a JSON file of the run (summary.json, gate.json) atomically; a failure is a RunWriteError. */
export function writeRunJson(run: string, file: string, value: unknown): void {
  try {
    writeJsonAtomic(join(run, file), value);
  } catch (err) {
    throw writeFailed(run, file, err);
  }
}

// ---------------------------------------------------------------- JSONL logs

/** JSON without NaN or infinities (JSON cannot hold them): such values are dropped. */
export function cleanJson(obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (typeof v === 'number' && !Number.isFinite(v)) continue;
    out[k] = v;
  }
  return out;
}

export function appendJsonl(dir: string, file: string, row: Record<string, unknown>): void {
  try {
    appendFileSync(join(dir, file), JSON.stringify(cleanJson(row)) + '\n');
  } catch (err) {
    throw writeFailed(dir, file, err);
  }
}

interface JsonlLine {
  row: Record<string, unknown>;
  text: string;
}

function readLines(path: string, warnings?: string[]): JsonlLine[] {
  if (!existsSync(path)) return [];
  const lines = readFileSync(path, 'utf8').split('\n');
  const out: JsonlLine[] = [];
  lines.forEach((text, i) => {
    if (text.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      // The last line without its newline: torn by a kill, or a live run still appending it.
      if (i === lines.length - 1) {
        warnings?.push(`${path}:${i + 1}: skipped an incomplete last line (a run still writing it, or killed while writing it)`);
        return;
      }
      throw new RunFormatError(`${path}:${i + 1}: not valid JSON (${(err as Error).message}); fix or delete that line`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new RunFormatError(`${path}:${i + 1}: expected a JSON object per line, got ${Array.isArray(value) ? 'an array' : JSON.stringify(value)}`);
    }
    out.push({ row: value as Record<string, unknown>, text });
  });
  return out;
}

/**
 * The rows of a JSONL log: a missing file is no rows, an incomplete last line is skipped (and
 * reported in `warnings`), any other malformed line is a RunFormatError naming file and line.
 */
export function readJsonl(path: string, warnings?: string[]): Record<string, unknown>[] {
  return readLines(path, warnings).map((l) => l.row);
}

/** Keep only the rows whose `step` is <= lastStep, dropping an incomplete last line (atomic rewrite). */
export function truncateJsonl(dir: string, file: string, lastStep: number): void {
  const path = join(dir, file);
  if (!existsSync(path)) return;
  const kept = readLines(path).filter((l) => typeof l.row.step === 'number' && l.row.step <= lastStep);
  writeFileAtomic(path, kept.map((l) => l.text + '\n').join(''));
}

// ---------------------------------------------------------------- checkpoints

const DONE = 'trainer-state.json';

/** What a run needs besides weights to continue exactly: at least the step it stands at (JSON). */
export interface CheckpointState {
  step: number;
}

export interface CheckpointParts<S extends CheckpointState> {
  state: S;
  /** Writes the model folder into `dir` (created by the caller). */
  model(dir: string): void | Promise<void>;
  /** AdamW moments and step counts (null: a backend without local optimiser state). */
  optimizer: AdamWState | null;
  /** Further folders, e.g. { teacher: (dir) => teacher.save(dir) }. */
  extras?: Record<string, (dir: string) => void | Promise<void>>;
}

export interface LoadedCheckpoint<S extends CheckpointState> {
  step: number;
  state: S;
  modelDir: string;
  optimizer: AdamWState | null;
  /** Folder of each extra part that the checkpoint holds. */
  extras: Record<string, string>;
}

export function checkpointDir(run: string, step: number): string {
  return join(run, 'checkpoints', `step-${step}`);
}

/** Steps of the complete checkpoints, ascending. */
export function listCheckpoints(run: string): number[] {
  const dir = join(run, 'checkpoints');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((n) => /^step-(\d+)$/.exec(n))
    .filter((m): m is RegExpExecArray => !!m && existsSync(join(dir, m[0], DONE)))
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

/**
 * Writes checkpoints/step-<state.step>/ under a temporary name, then renames it into place, and
 * keeps the newest `keep` checkpoints (0 = all). Returns the checkpoint's folder.
 */
export async function saveCheckpoint<S extends CheckpointState>(run: string, parts: CheckpointParts<S>, keep = 0): Promise<string> {
  const final = checkpointDir(run, parts.state.step);
  const tmp = `${final}.tmp-${process.pid}`;
  try {
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    await parts.model(join(tmp, 'model'));
    if (parts.optimizer) {
      const opt = parts.optimizer;
      saveWeights(join(tmp, 'optimizer'), new Map(Object.entries(opt.tensors).map(([k, v]) => [k, { shape: [v.length], data: v }])));
      writeJsonAtomic(join(tmp, 'optimizer', 'state.json'), { step: opt.step, paramSteps: opt.paramSteps });
    }
    for (const [name, write] of Object.entries(parts.extras ?? {})) await write(join(tmp, name));
    writeJsonAtomic(join(tmp, DONE), parts.state); // written last: its presence marks a complete folder
    rmSync(final, { recursive: true, force: true });
    renameSync(tmp, final);
  } catch (err) {
    // The half-written folder has a temporary name, so no reader takes it for a checkpoint;
    // remove it if the folder still lets us (the next save sweeps it up otherwise).
    try {
      rmSync(tmp, { recursive: true, force: true });
    } catch {
      // the same fault that stopped the write
    }
    throw writeFailed(run, `checkpoint step ${parts.state.step}`, err);
  }
  if (keep > 0) {
    try {
      pruneCheckpoints(run, keep);
    } catch (err) {
      throw writeFailed(run, `(deleting) old checkpoints`, err);
    }
  }
  return final;
}

function pruneCheckpoints(run: string, keep: number): void {
  const steps = listCheckpoints(run);
  for (const s of steps.slice(0, Math.max(0, steps.length - keep))) rmSync(checkpointDir(run, s), { recursive: true, force: true });
  const dir = join(run, 'checkpoints');
  for (const n of readdirSync(dir)) if (n.includes('.tmp-')) rmSync(join(dir, n), { recursive: true, force: true });
}

export function loadCheckpoint<S extends CheckpointState>(run: string, step: number): LoadedCheckpoint<S> {
  const dir = checkpointDir(run, step);
  if (!existsSync(join(dir, DONE))) throw new RunFormatError(`${dir} is not a complete checkpoint (no ${DONE})`);
  const state = JSON.parse(readFileSync(join(dir, DONE), 'utf8')) as S;
  let optimizer: AdamWState | null = null;
  if (existsSync(join(dir, 'optimizer', 'state.json'))) {
    const meta = JSON.parse(readFileSync(join(dir, 'optimizer', 'state.json'), 'utf8'));
    const { tensors } = loadWeights(join(dir, 'optimizer'));
    optimizer = { step: meta.step, paramSteps: meta.paramSteps, tensors: Object.fromEntries([...tensors].map(([k, v]) => [k, v.data])) };
  }
  // Fail early with a clear message if the model folder is unreadable.
  // (A remote student's model/ holds only remote.json: the service keeps the weights.)
  if (!existsSync(join(dir, 'model', 'remote.json'))) loadModelFolder(join(dir, 'model'), { weights: false });
  const extras: Record<string, string> = {};
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory() && e.name !== 'model' && e.name !== 'optimizer') extras[e.name] = join(dir, e.name);
  }
  return { step, state, modelDir: join(dir, 'model'), optimizer, extras };
}

/**
 * The model folder a path names: a model folder itself, or a checkpoint folder (its model/).
 * Checkpoints of pretraining runs written before the one format were model folders themselves.
 */
export function modelDirOf(path: string): string {
  return existsSync(join(path, DONE)) ? join(path, 'model') : path;
}

// ---------------------------------------------------------------- opening a run

export interface OpenedRun<S extends CheckpointState> {
  /** The newest complete checkpoint when resuming, else null (a fresh start). */
  checkpoint: LoadedCheckpoint<S> | null;
}

/**
 * Opens a run folder before any work: a fresh start needs a folder without a run (no
 * metrics.jsonl); a resume loads the newest complete checkpoint and cuts every log back to its
 * step (a run killed before its first checkpoint starts over, so all its rows go). config.json
 * is written on a fresh start; on a resume it is kept, and `onConfigChange` is told when the
 * given config differs from it.
 */
/** A fresh start into a folder that already holds a run is bad input. Touches nothing. */
export function refuseExistingRun(run: string): void {
  if (existsSync(join(run, METRICS))) {
    throw new InputError(`${run} already holds a run (metrics.jsonl exists); resume it with --resume or choose another folder`);
  }
}

export function openRun<S extends CheckpointState>(
  run: string,
  config: unknown,
  opts: { resume?: boolean; onConfigChange?: (saved: unknown) => void } = {},
): OpenedRun<S> {
  mkdirSync(run, { recursive: true });
  if (!opts.resume) {
    refuseExistingRun(run);
    writeJsonAtomic(join(run, CONFIG), config);
    return { checkpoint: null };
  }
  const steps = listCheckpoints(run);
  if (!steps.length) {
    if (existsSync(join(run, 'checkpoints')) && readdirSync(join(run, 'checkpoints')).some((n) => existsSync(join(run, 'checkpoints', n, 'state.json')))) {
      throw new RunFormatError(`${run}: its checkpoints are in the pretraining format of earlier distil versions, which cannot be resumed; each checkpoints/step-N/ is a model folder (use it as init or --model) - start a new run from it`);
    }
    for (const f of LOGS) truncateJsonl(run, f, -1);
    writeJsonAtomic(join(run, CONFIG), config);
    return { checkpoint: null };
  }
  const checkpoint = loadCheckpoint<S>(run, steps[steps.length - 1]);
  for (const f of LOGS) truncateJsonl(run, f, checkpoint.step);
  const savedPath = join(run, CONFIG);
  if (existsSync(savedPath)) {
    const saved = JSON.parse(readFileSync(savedPath, 'utf8'));
    if (JSON.stringify(saved) !== JSON.stringify(config)) opts.onConfigChange?.(saved);
  }
  writeJsonAtomic(savedPath, config);
  return { checkpoint };
}
