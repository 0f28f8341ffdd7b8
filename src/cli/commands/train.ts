/** `distil train`: one training run from a config file, with key=value overrides. */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, describeSchema } from '../../util/schema.ts';
import { resolveTrainConfig, TRAIN_SCHEMA } from '../../train/config.ts';
import { train } from '../../train/loop.ts';
import { parseArgs, readConfigFile, str } from '../args.ts';
import { UsageError, type Command } from '../command.ts';
import { resolveWithSources } from '../config-source.ts';
import { progress } from '../../util/progress.ts';
import { onInterrupt } from '../interrupt.ts';
import { uiHint } from '../ui-hint.ts';

const HELP = `Usage: distil train [--config FILE.json|yaml] [--out DIR] [--resume] [key=value ...]

Trains a model from a checkpoint with one algorithm on one environment, writing a run folder
(config.json, metrics.jsonl, eval.jsonl, samples.jsonl, checkpoints/; docs/run-folder.md).
Ctrl-C finishes the current step, writes a checkpoint and exits; --resume continues it
exactly where it stopped.

Examples:
  distil train model=src/recipes/checkpoints/tiny-math algorithm=grpo steps=50
  distil train --config my.yaml algorithmOptions.topK=16 lr=1e-5

Settings (key=value, or in the config file):
${describeSchema(TRAIN_SCHEMA)}

Algorithm options go under algorithmOptions (distil algorithms lists them).`;

const command: Command = {
  name: 'train',
  summary: 'Train a model with one algorithm on one env (resumable run folder)',
  help: HELP,
  async run(argv) {
    const a = parseArgs(argv, ['config', 'out'], ['resume']);
    if (a.positional.length) throw new UsageError(`unexpected argument ${a.positional[0]}`);
    // Resuming without --config reuses the run's own config.json.
    const outFlag = str(a.flags, 'out');
    const file = str(a.flags, 'config') ?? (a.flags.resume && outFlag && existsSync(join(outFlag, 'config.json')) ? join(outFlag, 'config.json') : undefined);
    let cfg;
    try {
      cfg = resolveWithSources(file ? readConfigFile(file) : {}, a.overrides, file, resolveTrainConfig);
    } catch (e) {
      if (e instanceof ConfigError) throw new UsageError(e.message);
      throw e;
    }
    const out = resolve(outFlag ?? join('runs', `${cfg.name}-${cfg.env}-seed${cfg.seed}`));
    const interrupt = onInterrupt('stopping after this step (Ctrl-C again to abort now)...');
    const bar = progress({ total: cfg.steps, label: `${cfg.name} on ${cfg.env}` });
    try {
      const res = await train(cfg, out, {
        shouldStop: () => interrupt.requested,
        // Only once the run exists: a bad input must not be preceded by a hint to watch it.
        onOpen: () => process.stderr.write(uiHint(out)),
        onStep: (row) => bar.update(row.step, { reward: row.reward?.toFixed(2), loss: row.loss?.toFixed(3) }),
        onEval: (row) => process.stderr.write(`\n[eval] step ${row.step}: accuracy ${((row.accuracy as number) * 100).toFixed(1)}%\n`),
      }, { resume: !!a.flags.resume });
      bar.done();
      console.log(res.stopped ? `stopped at step ${res.steps}; resume with: distil train --resume --out ${out} ...` : `done: ${out}`);
      if (res.finalEval) console.log(`final test accuracy: ${(((res.finalEval.accuracy as number) ?? 0) * 100).toFixed(1)}%`);
      return 0;
    } finally {
      interrupt.dispose();
    }
  },
};
export default command;
