/** `distil pretrain`: pretrain a built-in tiny model on a generated corpus, with the teacher gate. */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UsageError, type Command } from '../command.ts';
import { readConfigFile, resolvePretrainConfig } from '../../recipes/pretrain-config.ts';
import { gateCheckpoints, pretrain } from '../../recipes/pretrain.ts';

const help = `Usage: distil pretrain --config FILE.json|yaml [--out DIR] [--resume] [--steps N] [--until N] [key.path=value ...]

Pretrains a built-in tiny model (character tokenizer, Llama-style with RoPE) on a corpus
generated from the envs: plain solutions and "problem, attempt, feedback, corrected solution"
examples rendered with the same teacher-context templates the teacher sees at RL time.

Writes a run folder (docs/run-folder.md): config.json, metrics.jsonl (loss, lr, grad_norm,
tok_per_s per step), checkpoints/step-N/ (model/, optimizer/, trainer-state.json), and gate.json:
the teacher gate (docs/tiny-setting.md) measured on the env's test split at each checkpoint, with
the checkpoint chosen by the rule (student accuracy in gate.studentRange at gate.rlLevels and
teacher-with-feedback advantage >= gate.minAdvantage; else the closest).

Options:
  --config FILE   JSON or YAML config; defaults fill what it leaves out.
                  Built-in ones: src/recipes/configs/{math,science,code,multi}.json
  --out DIR       run folder (default runs/<config name>)
  --resume        continue the run in DIR from its last checkpoint (bit-for-bit)
  --steps N       total steps (the schedule's length), same as steps=N
  --until N       stop after step N (a checkpoint is written); resume later
  --gate          do not train: run the gate on the run's checkpoints that the gate file
                  lacks (use gate.n=..., gate.levels=[...] to change it)
  --gate-file F   gate results file inside the run folder (default gate.json)
  --gate-steps L  with --gate: only these checkpoint steps, comma-separated
  key.path=value  override any config field, e.g. batchSize=16 corpus.correctAttempt=0.4
                  gate.rlLevels=[6,7,8] model.shape=tiny-1.2m (values parsed as JSON when they parse)

Corpus keys (corpus.*): envs, feedbackFraction, kinds, correctAttempt, maxSlips, plainSlip,
loss, contextWeight, and ownAttempts: the probability in [0, 1] (default 0) that a
feedback-conditioned example's attempt is the model's own T=1 sample on the prompt (evaluated
by the env for the feedback) instead of the reference or a synthetic slip; it costs one batched
sampling call per step (metrics: own_attempts, own_correct, time/own_sample_s).`;

const cmd: Command = {
  name: 'pretrain',
  summary: 'Pretrain a built-in tiny model on a generated feedback corpus, with the teacher gate',
  help,
  async run(argv) {
    let configPath: string | undefined, out: string | undefined, steps: number | undefined, until: number | undefined;
    let resume = false, gateOnly = false;
    let gateFile: string | undefined, gateSteps: number[] | undefined;
    const overrides: string[] = [];
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i];
      const val = () => {
        const v = argv[++i];
        if (v === undefined) throw new UsageError(`${a} needs a value`);
        return v;
      };
      const int = (v: string) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${a} needs a positive integer, got '${v}'`);
        return n;
      };
      if (a === '--config') configPath = val();
      else if (a === '--out') out = val();
      else if (a === '--resume') resume = true;
      else if (a === '--gate') gateOnly = true;
      else if (a === '--gate-file') gateFile = val();
      else if (a === '--gate-steps') gateSteps = val().split(',').map(int);
      else if (a === '--steps') steps = int(val());
      else if (a === '--until') until = int(val());
      else if (!a.startsWith('-') && a.includes('=')) overrides.push(a);
      else throw new UsageError(`unknown argument '${a}'`);
    }
    if (!configPath && !((resume || gateOnly) && out)) throw new UsageError('--config FILE is required (or --resume --out DIR to continue a run with its saved config)');
    let raw: Record<string, unknown>;
    if (configPath) {
      if (!existsSync(configPath)) throw new UsageError(`config file ${configPath} does not exist`);
      raw = readConfigFile(configPath);
    } else raw = readConfigFile(join(out!, 'config.json'));
    if (steps !== undefined) overrides.push(`steps=${steps}`);
    let config;
    try {
      config = resolvePretrainConfig(raw, overrides);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const run = resolve(out ?? join('runs', config.name));
    if (gateOnly) {
      const g = await gateCheckpoints(config, run, { file: gateFile, steps: gateSteps });
      if (g.choice) console.log(`gate: chosen checkpoint step-${g.choice.step}: ${g.choice.reason}`);
      return 0;
    }
    const res = await pretrain(config, run, { resume, until });
    console.log(`pretrain: ${run} at step ${res.step}, last loss ${res.lastLoss.toFixed(4)}`);
    if (res.gate?.choice) console.log(`gate: chosen checkpoint step-${res.gate.choice.step}: ${res.gate.choice.reason}`);
    return 0;
  },
};
export default cmd;
