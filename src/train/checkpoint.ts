/**
 * Training checkpoints: `checkpoints/step-N/` holds the student's model folder, the optimiser
 * moments, the teacher's own weights when it has any (EMA), and the trainer state. The folder
 * is assembled under a temporary name and renamed, so a kill never leaves half a checkpoint;
 * resume picks the newest complete one.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { LocalBackend } from '../backends/local.ts';
import { loadModelFolder } from '../models/folder.ts';
import { loadWeights, saveWeights } from '../models/checkpoint.ts';
import type { AdamWState } from '../nn/optim.ts';
import type { Teacher } from '../teachers/types.ts';
import { writeJsonAtomic } from '../util/atomic.ts';

export interface TrainerState {
  step: number;
  sampledTokens: number;
  wallSeconds: number;
  /** DAgger buffer and anything else an algorithm keeps across steps (JSON). */
  extra: Record<string, unknown>;
}

const DONE = 'trainer-state.json';

export function checkpointDir(runDir: string, step: number): string {
  return join(runDir, 'checkpoints', `step-${step}`);
}

export async function saveCheckpoint(runDir: string, student: LocalBackend, teacher: Teacher | null, state: TrainerState, keep: number): Promise<string> {
  const final = checkpointDir(runDir, state.step);
  const tmp = `${final}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  await student.save(join(tmp, 'model'));
  const opt = student.optimizerState();
  if (opt) {
    const tensors = new Map(Object.entries(opt.tensors).map(([k, v]) => [k, { shape: [v.length], data: v }]));
    saveWeights(join(tmp, 'optimizer'), tensors);
    writeJsonAtomic(join(tmp, 'optimizer', 'state.json'), { step: opt.step, paramSteps: opt.paramSteps });
  }
  if (teacher?.save) await teacher.save(join(tmp, 'teacher'));
  writeJsonAtomic(join(tmp, DONE), state); // written last: its presence marks a complete folder
  rmSync(final, { recursive: true, force: true });
  renameSync(tmp, final);
  pruneCheckpoints(runDir, keep);
  return final;
}

export function listCheckpoints(runDir: string): number[] {
  const dir = join(runDir, 'checkpoints');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((n) => /^step-(\d+)$/.exec(n))
    .filter((m): m is RegExpExecArray => !!m && existsSync(join(dir, m[0], DONE)))
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

function pruneCheckpoints(runDir: string, keep: number): void {
  const steps = listCheckpoints(runDir);
  for (const s of steps.slice(0, Math.max(0, steps.length - keep))) rmSync(checkpointDir(runDir, s), { recursive: true, force: true });
  const dir = join(runDir, 'checkpoints');
  for (const n of readdirSync(dir)) if (n.includes('.tmp-')) rmSync(join(dir, n), { recursive: true, force: true });
}

export interface LoadedCheckpoint {
  state: TrainerState;
  modelDir: string;
  optimizer: AdamWState | null;
  teacherDir: string | null;
}

export function loadCheckpoint(runDir: string, step: number): LoadedCheckpoint {
  const dir = checkpointDir(runDir, step);
  const state = JSON.parse(readFileSync(join(dir, DONE), 'utf8')) as TrainerState;
  let optimizer: AdamWState | null = null;
  if (existsSync(join(dir, 'optimizer', 'state.json'))) {
    const meta = JSON.parse(readFileSync(join(dir, 'optimizer', 'state.json'), 'utf8'));
    const { tensors } = loadWeights(join(dir, 'optimizer'));
    optimizer = { step: meta.step, paramSteps: meta.paramSteps, tensors: Object.fromEntries([...tensors].map(([k, v]) => [k, v.data])) };
  }
  // Fail early with a clear message if the model folder is unreadable.
  loadModelFolder(join(dir, 'model'), { weights: false });
  return { state, modelDir: join(dir, 'model'), optimizer, teacherDir: existsSync(join(dir, 'teacher')) ? join(dir, 'teacher') : null };
}
