/**
 * `distil start` (npm start): the main job. The quick comparison of DistIL, GRPO and OPSD on
 * math, code and science from the shipped checkpoints, ending with the report's path and the
 * final table. The settings live in src/recipes/configs/start.json.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readConfigFile, parseArgs, str } from '../args.ts';
import { UsageError, type Command } from '../command.ts';
import { compareMain } from './compare.ts';
import type { CompareConfig } from '../../train/compare.ts';
import { applyOverrides } from '../../train/config.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const START_CONFIG = join(root, 'src/recipes/configs/start.json');

const command: Command = {
  name: 'start',
  summary: 'The main job: DistIL vs GRPO vs OPSD on math, code and science from the shipped checkpoints, with a report',
  help: `Usage: distil start [--out DIR] [--json] [key=value ...]

Runs the built-in comparison (${START_CONFIG}) from the shipped tiny checkpoints and prints
the final table and the report's path. About 15 minutes on 2 cores. key=value overrides the
shared train settings (e.g. steps=10 for a quicker look). Ctrl-C stops after the current step;
run the same command with the same --out to resume.`,
  async run(argv) {
    const a = parseArgs(argv, ['out'], ['json']);
    if (!existsSync(START_CONFIG)) throw new UsageError(`the built-in comparison config ${START_CONFIG} is missing (is this a full checkout?)`);
    const cfg = readConfigFile(START_CONFIG) as unknown as CompareConfig;
    // Checkpoint paths in the config are relative to the repository root.
    const abs = (p: string) => resolve(root, p);
    cfg.model = typeof cfg.model === 'string' ? abs(cfg.model) : Object.fromEntries(Object.entries(cfg.model).map(([k, v]) => [k, abs(v)]));
    for (const m of Object.values(typeof cfg.model === 'string' ? { all: cfg.model } : cfg.model)) {
      if (!existsSync(join(m, 'config.json'))) throw new UsageError(`shipped checkpoint ${m} is missing; rebuild it with distil pretrain (see docs/experiments.md)`);
    }
    cfg.base = applyOverrides(cfg.base ?? {}, a.overrides);
    const out = resolve(str(a.flags, 'out') ?? join('runs', 'start'));
    return compareMain(cfg, out, !!a.flags.json);
  },
};
export default command;
