/**
 * Copies a pretraining checkpoint's model folder (weights, config, tokenizer; not the optimiser
 * state) into a shipped-checkpoint folder with `recipe.json`: the run's config, the commands
 * that reproduce it, and the gate numbers of that step.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { checkpointDir, listCheckpoints } from '../train/run-folder.ts';
import { writeJsonAtomic } from '../util/atomic.ts';
import type { GateFile } from './gate.ts';

const MODEL_FILES = ['config.json', 'model.safetensors', 'generation_config.json', 'char_tokenizer.json', 'tokenizer.json', 'tokenizer_config.json'];

export interface ShipInput {
  run: string;
  step: number;
  /** Destination folder (e.g. src/recipes/checkpoints/<name>). */
  dest: string;
  /** Shell commands that reproduce the run, in order. */
  commands: string[];
  note?: string;
  /**
   * Gate file of the run whose numbers the recipe records (default gate.json). With another
   * file (e.g. a 200-prompt gate-200.json), gate.json's numbers of the step are kept as
   * `trainingGate` and every step of the chosen file is listed in `gates`.
   */
  gateFile?: string;
}

export function shipCheckpoint(s: ShipInput): string {
  if (!listCheckpoints(s.run).includes(s.step)) throw new Error(`ship: ${checkpointDir(s.run, s.step)} is not a complete checkpoint`);
  const src = join(checkpointDir(s.run, s.step), 'model');
  const tmp = join(dirname(s.dest), `.${basename(s.dest)}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  for (const f of MODEL_FILES) if (existsSync(join(src, f))) copyFileSync(join(src, f), join(tmp, f));
  const config = JSON.parse(readFileSync(join(s.run, 'config.json'), 'utf8'));
  const readGate = (file: string) => (existsSync(join(s.run, file)) ? (JSON.parse(readFileSync(join(s.run, file), 'utf8')) as GateFile) : undefined);
  const entry = (r: GateFile['checkpoints'][number] | undefined) => (r ? { rl: r.rl, levels: r.levels, table: r.table.split('\n') } : undefined);
  const file = s.gateFile ?? 'gate.json';
  const gate = readGate(file);
  if (s.gateFile && !gate) throw new Error(`ship: ${join(s.run, s.gateFile)} does not exist`);
  const training = file === 'gate.json' ? undefined : readGate('gate.json');
  writeJsonAtomic(join(tmp, 'recipe.json'), {
    step: s.step,
    commands: s.commands,
    note: s.note,
    config,
    gate: entry(gate?.checkpoints.find((c) => c.step === s.step)),
    choice: gate?.choice,
    ...(training && { trainingGate: entry(training.checkpoints.find((c) => c.step === s.step)) }),
    ...(file !== 'gate.json' && gate && { gates: gate.checkpoints.map((c) => ({ step: c.step, rl: c.rl, table: c.table.split('\n') })) }),
  });
  rmSync(s.dest, { recursive: true, force: true });
  renameSync(tmp, s.dest);
  return s.dest;
}
