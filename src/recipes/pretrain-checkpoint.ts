/**
 * Pretraining checkpoints: `<run>/checkpoints/step-N/` holds a model folder (loadable by
 * loadModelFolder) plus `optimizer.bin` / `optimizer.json` (AdamW moments and step counts) and
 * `state.json` (step, RNG state). The folder is built under a temporary name and renamed, so
 * a checkpoint is complete or absent.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { saveModelFolder } from '../models/folder.ts';
import type { Tokenizer } from '../models/tokenizer.ts';
import { weightsOfTransformer } from '../models/transformer-io.ts';
import type { AdamWState } from '../nn/optim.ts';
import type { Transformer } from '../nn/transformer.ts';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.ts';
import type { RngState } from '../util/rng.ts';

export interface CheckpointState {
  step: number;
  rng: RngState;
}

export function checkpointDir(run: string, step: number): string {
  return join(run, 'checkpoints', `step-${step}`);
}

/** Completed checkpoint steps, ascending. */
export function listCheckpoints(run: string): number[] {
  const dir = join(run, 'checkpoints');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((n) => /^step-(\d+)$/.exec(n))
    .filter((m): m is RegExpExecArray => !!m && existsSync(join(dir, m[0], 'state.json')))
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

export function saveCheckpoint(run: string, model: Transformer, tokenizer: Tokenizer, opt: AdamWState, state: CheckpointState): string {
  const final = checkpointDir(run, state.step);
  const tmp = join(run, 'checkpoints', `.step-${state.step}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(join(run, 'checkpoints'), { recursive: true });
  saveModelFolder(tmp, { config: model.config, weights: weightsOfTransformer(model), tokenizer });
  const names = Object.keys(opt.tensors);
  const index: { name: string; offset: number; length: number }[] = [];
  let total = 0;
  for (const n of names) {
    index.push({ name: n, offset: total, length: opt.tensors[n].length });
    total += opt.tensors[n].length;
  }
  const buf = new Float32Array(total);
  for (const e of index) buf.set(opt.tensors[e.name], e.offset);
  writeFileAtomic(join(tmp, 'optimizer.bin'), new Uint8Array(buf.buffer));
  writeJsonAtomic(join(tmp, 'optimizer.json'), { step: opt.step, paramSteps: opt.paramSteps, index });
  writeJsonAtomic(join(tmp, 'state.json'), state); // last: its presence marks a complete folder
  rmSync(final, { recursive: true, force: true });
  renameSync(tmp, final);
  return final;
}

export function loadCheckpointState(dir: string): { opt: AdamWState; state: CheckpointState } {
  const meta = JSON.parse(readFileSync(join(dir, 'optimizer.json'), 'utf8')) as { step: number; paramSteps: Record<string, number>; index: { name: string; offset: number; length: number }[] };
  const bytes = readFileSync(join(dir, 'optimizer.bin'));
  const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const tensors: Record<string, Float32Array> = {};
  for (const e of meta.index) tensors[e.name] = all.slice(e.offset, e.offset + e.length);
  const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as CheckpointState;
  return { opt: { step: meta.step, paramSteps: meta.paramSteps, tensors }, state };
}
