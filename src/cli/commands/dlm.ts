/**
 * `distil dlm pretrain | train | sample`: the tiny masked-diffusion LM (src/diffusion-lm/):
 * pretraining on the math chains, RL with d-OPSD, diffu-GRPO or RFT, and sampling from it.
 */
import { UsageError, type Command } from '../command.ts';
import { levelsFlag, num, parseArgs, readConfigFile, splitFlag, str } from '../args.ts';
import { evaluateDlmCheckpoint } from '../../diffusion-lm/evaluate.ts';
import { DLM_PRETRAIN_DEFAULTS, pretrainDlm, type DlmPretrainConfig } from '../../diffusion-lm/pretrain.ts';
import { runDlmTraining } from '../../diffusion-lm/trainer.ts';
import { DLM_TRAIN_DEFAULTS, type DlmTrainConfig } from '../../diffusion-lm/train-config.ts';
import { loadDlm } from '../../diffusion-lm/model.ts';
import { sampleDlm, transformerDenoiser } from '../../diffusion-lm/sampler.ts';
import { encodePrompt, completionText } from '../../diffusion-lm/encode.ts';
import { Rng } from '../../util/rng.ts';

function wrap(fn: () => Promise<number>): Promise<number> {
  // Bad settings are plain Errors with a clear message: show them as usage errors.
  return fn().catch((e: Error) => {
    if (e instanceof UsageError) throw e;
    if (/must|is not|not a|not in|unknown|already holds|differs|no such|not divisible/.test(e.message)) throw new UsageError(e.message);
    throw e;
  });
}

/** key=value overrides (JSON values, else strings); dotted keys reach nested settings (opsd.topK=10). */
function applyOverrides(cfg: Record<string, unknown>, overrides: string[]): void {
  for (const o of overrides) {
    const eq = o.indexOf('='), path = o.slice(0, eq).split('.'), raw = o.slice(eq + 1);
    let target = cfg;
    for (const k of path.slice(0, -1)) {
      if (typeof target[k] !== 'object' || target[k] === null) throw new UsageError(`unknown setting '${o.slice(0, eq)}'`);
      target = target[k] as Record<string, unknown>;
    }
    const key = path[path.length - 1];
    if (!(key in target)) throw new UsageError(`unknown setting '${o.slice(0, eq)}'; settings: ${Object.keys(target).join(', ')}`);
    let v: unknown = raw;
    try {
      v = JSON.parse(raw);
    } catch {
      /* a plain string */
    }
    target[key] = v;
  }
}

const pretrain: Command = {
  name: 'dlm pretrain',
  summary: 'pretrain the tiny masked-diffusion LM on the math chains (a run folder with checkpoints)',
  help: `Usage: distil dlm pretrain --out DIR [--config FILE] [--resume] [key=value ...]

Masked-diffusion (LLaDA-style) pretraining: prompt kept, completion masked at rate t ~ U(0, 1], cross-entropy
on masked positions scaled by 1/t. Writes the usual run folder: config.json, metrics.jsonl, eval.jsonl (sampled
and greedy accuracy per level), checkpoints/step-N/model (a model folder with diffusion_lm.json).
The shipped recipe: --config src/diffusion-lm/configs/pretrain-math.json. Defaults: ${JSON.stringify(DLM_PRETRAIN_DEFAULTS)}`,
  run: (argv) =>
    wrap(async () => {
      const a = parseArgs(argv, ['out', 'config', 'until'], ['resume']);
      const out = str(a.flags, 'out');
      if (!out) throw new UsageError('--out DIR is required');
      const file = str(a.flags, 'config');
      const cfg: Record<string, unknown> = { ...structuredClone(DLM_PRETRAIN_DEFAULTS), ...(file ? readConfigFile(file) : {}) };
      applyOverrides(cfg, a.overrides);
      await pretrainDlm(out, cfg as unknown as DlmPretrainConfig, { resume: a.flags.resume === true, log: console.log, until: num(a.flags, 'until') });
      return 0;
    }),
};

const train: Command = {
  name: 'dlm train',
  summary: 'RL on a masked-diffusion LM: d-OPSD, diffu-GRPO or RFT (run folder, resumable, read by distil report)',
  help: `Usage: distil dlm train --out DIR --config FILE [--algorithm d-opsd|diffu-grpo|rft] [--seed S]
                          [--checkpoint DIR] [--resume] [key=value ...]

d-opsd: self-distillation with the model's own future as the teacher's extra context (clipped top-k reverse KL
at the 2 most teacher-confident masked positions of each state's block; correct trajectories only).
diffu-grpo: d1's GRPO with one-pass masked log-probabilities. rft: masked-diffusion loss on own correct samples.
The config's checkpoint is a masked-diffusion model folder (e.g. src/diffusion-lm/checkpoints/dlm-math).
Settings: ${JSON.stringify(DLM_TRAIN_DEFAULTS)}`,
  run: (argv) =>
    wrap(async () => {
      const a = parseArgs(argv, ['out', 'config', 'algorithm', 'seed', 'checkpoint', 'name'], ['resume']);
      const out = str(a.flags, 'out');
      if (!out) throw new UsageError('--out DIR is required');
      const file = str(a.flags, 'config');
      const cfg: Record<string, unknown> = { ...structuredClone(DLM_TRAIN_DEFAULTS), ...(file ? readConfigFile(file) : {}) };
      for (const k of ['algorithm', 'checkpoint', 'name'] as const) if (str(a.flags, k) !== undefined) cfg[k] = str(a.flags, k);
      if (num(a.flags, 'seed') !== undefined) cfg.seed = num(a.flags, 'seed');
      cfg.name ??= cfg.algorithm;
      applyOverrides(cfg, a.overrides);
      await runDlmTraining(out, cfg as unknown as DlmTrainConfig, { resume: a.flags.resume === true, log: console.log });
      return 0;
    }),
};

const sample: Command = {
  name: 'dlm sample',
  summary: 'sample completions from a masked-diffusion LM for a prompt',
  help: `Usage: distil dlm sample --checkpoint DIR --prompt TEXT [--n N] [--temperature T] [--seed S] [--states]

Prints N completions (Gumbel temperature T, default 1; 0 = greedy) and, with --states, every intermediate state.`,
  run: (argv) =>
    wrap(async () => {
      const a = parseArgs(argv, ['checkpoint', 'prompt', 'n', 'temperature', 'seed'], ['states']);
      const dir = str(a.flags, 'checkpoint'), prompt = str(a.flags, 'prompt');
      if (!dir || prompt === undefined) throw new UsageError('--checkpoint DIR and --prompt TEXT are required');
      const l = loadDlm(dir);
      const p = encodePrompt(l.tokenizer, prompt.replace(/\\n/g, '\n'), l.dlm.promptLength);
      const n = num(a.flags, 'n') ?? 4;
      const trs = sampleDlm(transformerDenoiser(l.model), Array.from({ length: n }, () => p), { ...l.dlm, maskId: l.maskId, eosId: l.tokenizer.eosId!, temperature: num(a.flags, 'temperature') ?? 1, keepStates: a.flags.states === true }, new Rng(num(a.flags, 'seed') ?? 1));
      for (const tr of trs) {
        if (a.flags.states === true) for (const s of tr.states) console.log('  ' + JSON.stringify(l.tokenizer.decode([...s.subarray(tr.promptLength)]).replace(/<unk>/g, '_')));
        console.log(JSON.stringify(completionText(l.tokenizer, tr.final.subarray(tr.promptLength))));
      }
      return 0;
    }),
};

const evaluate: Command = {
  name: 'dlm eval',
  summary: 'accuracy of a masked-diffusion LM on the math chains (sampled and greedy, with standard errors)',
  help: `Usage: distil dlm eval --checkpoint DIR --levels 2,3 [--n N] [--samples S] [--temperature T] [--split test|val]

N prompts per level (default 100), S samples each at Gumbel temperature T (default 4, 1) and one greedy
completion. The prompts and the sampling seed are those of \`distil dlm train\` with evalPerLevel=N, so the
numbers equal a run's step-0 eval. Prints one JSON row (accuracy, greedy, their standard errors over prompts, by level).`,
  run: (argv) =>
    wrap(async () => {
      const a = parseArgs(argv, ['checkpoint', 'levels', 'n', 'samples', 'temperature', 'split'], []);
      const dir = str(a.flags, 'checkpoint');
      const levels = levelsFlag(a.flags, '--levels 2,3');
      if (!dir || !levels?.length) throw new UsageError('--checkpoint DIR and --levels (e.g. 2,3) are required');
      const row = await evaluateDlmCheckpoint(dir, { levels, perLevel: num(a.flags, 'n') ?? 100, samples: num(a.flags, 'samples') ?? 4, temperature: num(a.flags, 'temperature') ?? 1, split: splitFlag(a.flags) });
      console.log(JSON.stringify(row));
      return 0;
    }),
};

export default [pretrain, train, sample, evaluate];
