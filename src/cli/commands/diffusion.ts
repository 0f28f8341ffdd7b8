/**
 * `distil diffusion pretrain | train | sample | report`: the tiny image diffusion model on
 * procedural digits and DDPO fine-tuning of it (src/diffusion/).
 */
import { existsSync } from 'node:fs';
import { UsageError, type Command } from '../command.ts';
import { list, num, parseArgs, readConfigFile, str } from '../args.ts';
import { loadDiffusion } from '../../diffusion/checkpoint.ts';
import { DDPO_DEFAULTS, type DdpoConfig } from '../../diffusion/ddpo-config.ts';
import { runDdpo } from '../../diffusion/ddpo.ts';
import { checkDigit } from '../../diffusion/digits.ts';
import { gridPng } from '../../diffusion/grid.ts';
import { pretrainDigits, PRETRAIN_DEFAULTS } from '../../diffusion/pretrain.ts';
import { writeDdpoReport } from '../../diffusion/report.ts';
import { finalImages, sampleDdim } from '../../diffusion/sampler.ts';
import { SHIPPED_DIGITS_CHECKPOINT } from '../../diffusion/shipped.ts';
import { writeFileAtomic } from '../../util/atomic.ts';
import { Rng } from '../../util/rng.ts';

function wrap(fn: () => Promise<number>): Promise<number> {
  // Bad settings inside the diffusion code are plain Errors with a clear message: show them as usage errors.
  return fn().catch((e: Error) => {
    if (e instanceof UsageError) throw e;
    if (/must|is not|not a|unknown|needs|trained for|could not|holds/.test(e.message)) throw new UsageError(e.message);
    throw e;
  });
}

const pretrain: Command = {
  name: 'diffusion pretrain',
  summary: 'train the tiny digits DDPM and its classifier (writes a checkpoint folder)',
  help: `Usage: distil diffusion pretrain --out DIR [--steps N] [--hidden H] [--depth D] [--seed S]

Trains a class-conditional DDPM (residual MLP epsilon-predictor) on procedural 16x16 digits and a
small digit classifier, then writes DIR/{model,classifier}.safetensors, config.json (with the
measured share of samples the classifier reads as the prompted digit) and samples.png.
Defaults: --steps ${PRETRAIN_DEFAULTS.steps} --hidden ${PRETRAIN_DEFAULTS.hidden} --depth ${PRETRAIN_DEFAULTS.depth} --seed ${PRETRAIN_DEFAULTS.seed} (about 10 minutes on 2 busy cores).`,
  run: (argv) =>
    wrap(async () => {
      const a = parseArgs(argv, ['out', 'steps', 'hidden', 'depth', 'seed']);
      const out = str(a.flags, 'out');
      if (!out) throw new UsageError('--out DIR is required');
      pretrainDigits({ ...PRETRAIN_DEFAULTS, out, steps: num(a.flags, 'steps') ?? PRETRAIN_DEFAULTS.steps, hidden: num(a.flags, 'hidden') ?? PRETRAIN_DEFAULTS.hidden, depth: num(a.flags, 'depth') ?? PRETRAIN_DEFAULTS.depth, seed: num(a.flags, 'seed') ?? PRETRAIN_DEFAULTS.seed, log: console.log });
      return 0;
    }),
};

/** key=value overrides of DdpoConfig fields: numbers, booleans and lists as JSON, else strings. */
function applyOverrides(cfg: Record<string, unknown>, overrides: string[]): void {
  for (const o of overrides) {
    const eq = o.indexOf('='), key = o.slice(0, eq), raw = o.slice(eq + 1);
    if (!(key in DDPO_DEFAULTS) && key !== 'checkpoint') throw new UsageError(`unknown setting '${key}'; settings: ${Object.keys(DDPO_DEFAULTS).join(', ')}`);
    let v: unknown = raw;
    try {
      v = JSON.parse(raw);
    } catch {
      if (Array.isArray(cfg[key])) v = raw.split(',').map((x) => (/^-?\d+(\.\d+)?$/.test(x) ? Number(x) : x));
    }
    cfg[key] = v;
  }
}

const train: Command = {
  name: 'diffusion train',
  summary: 'DDPO: fine-tune the digits diffusion model toward a reward (run folder, resumable)',
  help: `Usage: distil diffusion train --out DIR [--checkpoint DIR] [--reward R] [--variant is|sf]
                              [--epochs N] [--seed S] [--config FILE] [key=value ...]

Rewards: compressibility (minus the deflate size of the 8-bit image), brightness (mean pixel),
alignment (classifier probability of the prompted digit), or module:PATH (an ES module whose
default export is (image: Float32Array in [-1, 1], prompt: digit, size) => number).
Variants: is = DDPO_IS (importance-sampled, ratio clipped to 1 +- clipRange), sf = DDPO_SF (REINFORCE).
Any setting can be given as key=value (e.g. samplesPerEpoch=64 innerEpochs=2 perPromptTracking=false);
defaults: ${JSON.stringify(DDPO_DEFAULTS)}.
--checkpoint defaults to the shipped digits checkpoint. Running again with the same --out resumes
from its last checkpoint (same settings required; epochs may grow).`,
  run: (argv) =>
    wrap(async () => {
      const a = parseArgs(argv, ['out', 'checkpoint', 'reward', 'variant', 'epochs', 'seed', 'config']);
      const out = str(a.flags, 'out');
      if (!out) throw new UsageError('--out DIR is required');
      const file = str(a.flags, 'config');
      const cfg: Record<string, unknown> = { ...DDPO_DEFAULTS, checkpoint: SHIPPED_DIGITS_CHECKPOINT, ...(file ? readConfigFile(file) : {}) };
      for (const k of ['checkpoint', 'reward', 'variant'] as const) if (str(a.flags, k) !== undefined) cfg[k] = str(a.flags, k);
      for (const k of ['epochs', 'seed'] as const) if (num(a.flags, k) !== undefined) cfg[k] = num(a.flags, k);
      applyOverrides(cfg, a.overrides);
      if (a.positional.length) throw new UsageError(`unexpected argument '${a.positional[0]}'`);
      await runDdpo({ out, config: cfg as unknown as DdpoConfig, log: console.log });
      return 0;
    }),
};

const sample: Command = {
  name: 'diffusion sample',
  summary: 'draw a grid of digits from a diffusion checkpoint into a PNG',
  help: `Usage: distil diffusion sample --out FILE.png [--checkpoint DIR] [--digits 0,1,...] [--per-digit N]
                               [--steps N] [--eta E] [--seed S] [--size PX]

One row per sample index, one column per digit. --size (optional) must equal the checkpoint's image size.`,
  run: (argv) =>
    wrap(async () => {
      const a = parseArgs(argv, ['out', 'checkpoint', 'digits', 'per-digit', 'steps', 'eta', 'seed', 'size']);
      const out = str(a.flags, 'out');
      if (!out) throw new UsageError('--out FILE.png is required');
      const l = loadDiffusion(str(a.flags, 'checkpoint') ?? SHIPPED_DIGITS_CHECKPOINT);
      const size = num(a.flags, 'size');
      if (size !== undefined && size !== l.config.denoiser.imageSize)
        throw new UsageError(`--size ${size}: the checkpoint was trained for ${l.config.denoiser.imageSize}x${l.config.denoiser.imageSize} images; drop --size or train a checkpoint for that size`);
      const digits = (list(a.flags, 'digits') ?? ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']).map(Number);
      digits.forEach((d) => checkDigit(d, '--digits entry'));
      const per = num(a.flags, 'per-digit') ?? 4;
      const labels = Array.from({ length: per * digits.length }, (_, i) => digits[i % digits.length]);
      const tr = sampleDdim(l.model, l.schedule, labels, new Rng(num(a.flags, 'seed') ?? 1), { steps: num(a.flags, 'steps') ?? 20, eta: num(a.flags, 'eta') ?? 1 });
      writeFileAtomic(out, gridPng(finalImages(tr), l.config.denoiser.imageSize, digits.length));
      console.log(`wrote ${out} (${labels.length} samples)`);
      return 0;
    }),
};

const report: Command = {
  name: 'diffusion report',
  summary: 'an HTML page (and markdown table) of DDPO runs: reward curves beside the sample grids',
  help: `Usage: distil diffusion report --out DIR RUN_DIR...

Writes DIR/index.html (reward and reward-query curves per run, the fixed-noise sample grid of
selected epochs side by side), DIR/summary.md (final numbers per run group, mean +- std over
seeds) and copies the grids it shows into DIR/.`,
  run: (argv) =>
    wrap(async () => {
      const a = parseArgs(argv, ['out']);
      const out = str(a.flags, 'out');
      if (!out || a.positional.length === 0) throw new UsageError('--out DIR and at least one run folder are required');
      for (const r of a.positional) if (!existsSync(`${r}/config.json`) || !existsSync(`${r}/metrics.jsonl`)) throw new UsageError(`${r} is not a DDPO run folder (needs config.json and metrics.jsonl)`);
      const md = writeDdpoReport(out, a.positional);
      console.log(md);
      return 0;
    }),
};

export default [pretrain, train, sample, report];
