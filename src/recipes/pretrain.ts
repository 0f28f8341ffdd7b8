/**
 * The pretraining loop of the tiny models: next-token cross-entropy (row weights mask or
 * down-weight the context) on padded batches of corpus examples, AdamW, warmup + cosine,
 * gradient clipping. Checkpoints every `checkpointEvery` steps and at the end; the teacher gate
 * runs on checkpoints and `gate.json` records it and the chosen checkpoint.
 *
 * Determinism: weights are initialised from Rng(seed) and the batch of step s is a pure
 * function of (seed, s), so resuming from a checkpoint (weights + AdamW state) continues
 * bit-for-bit; metrics.jsonl lines past the checkpoint are dropped on resume. With
 * corpus.ownAttempts > 0 the batch also holds the model's own sampled attempts (seeds from the
 * batch seed and the example's index): the model at step s is the same on resume, so they are too.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { progress } from '../util/progress.ts';
import { crossEntropy } from '../engine/ops/loss.ts';
import { loadModelFolder, saveModelFolder } from '../models/folder.ts';
import { transformerFromWeights, weightsOfTransformer } from '../models/transformer-io.ts';
import { AdamW } from '../nn/optim.ts';
import { clipGradNorm, countParams } from '../nn/params.ts';
import { makeSchedule } from '../nn/schedule.ts';
import { Transformer } from '../nn/transformer.ts';
import { LocalBackend } from '../backends/local.ts';
import { Corpus, encodeExample, modelAttemptSampler, type AttemptSampler } from './corpus.ts';
import { pickCheckpoint, runGate, type EnvSource, type GateReport, type GateFile } from './gate.ts';
import { getEnv } from '../envs/registry.ts';
import type { PretrainConfig } from './pretrain-config.ts';
import { tinyModelConfig, tinyTokenizer } from './tiny.ts';
import { appendJsonl, checkpointDir, listCheckpoints, METRICS, modelDirOf, openRun, refuseExistingRun, saveCheckpoint } from '../train/run-folder.ts';
import { writeJsonAtomic } from '../util/atomic.ts';
import { Rng, type RngState } from '../util/rng.ts';

/** What a pretraining checkpoint records besides weights and optimiser: the generator's state. */
interface PretrainState {
  step: number;
  rng: RngState;
}

export interface PretrainOptions {
  resume?: boolean;
  /** Stop after this step (a checkpoint is written there); the schedule still spans config.steps. */
  until?: number;
  /** Progress and messages (default: stderr). */
  log?: (msg: string) => void;
  /** Draw the progress bar (default true). */
  progressBar?: boolean;
}

export interface PretrainResult {
  run: string;
  step: number;
  lastLoss: number;
  gate?: GateFile;
}

/** Seed of step s's batch: independent of everything but (seed, s). */
export function batchSeed(seed: number, step: number): number {
  return (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(step + 1, 0x85ebca6b)) >>> 0;
}

export interface PackedBatch {
  ids: Int32Array;
  targets: Int32Array;
  weights: Float32Array;
  B: number;
  T: number;
  tokens: number;
  truncated: number;
}

/** One example per row, right-padded to the longest; padding and weight-0 targets are ignored. */
export function padBatch(rows: { ids: number[]; weights: number[] }[], maxLen: number, padId: number): PackedBatch {
  const B = rows.length;
  let truncated = 0;
  const T = Math.min(maxLen, Math.max(...rows.map((r) => r.ids.length - 1)));
  const ids = new Int32Array(B * T).fill(padId);
  const targets = new Int32Array(B * T).fill(-1);
  const weights = new Float32Array(B * T);
  let tokens = 0;
  rows.forEach((r, b) => {
    const n = Math.min(T, r.ids.length - 1);
    if (n < r.ids.length - 1) truncated++;
    for (let t = 0; t < n; t++) {
      ids[b * T + t] = r.ids[t];
      if (r.weights[t] > 0) {
        targets[b * T + t] = r.ids[t + 1];
        weights[b * T + t] = r.weights[t];
      }
    }
    tokens += n;
  });
  return { ids, targets, weights, B, T, tokens, truncated };
}

function readGateFile(run: string, file = 'gate.json'): GateFile {
  const p = join(run, file);
  return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as GateFile) : { checkpoints: [] };
}

export async function pretrain(config: PretrainConfig, run: string, opts: PretrainOptions = {}): Promise<PretrainResult> {
  const log = opts.log ?? ((m: string) => process.stderr.write(m + '\n'));
  const tokenizer = tinyTokenizer();
  const modelConfig = tinyModelConfig(config.model, tokenizer.vocabSize);
  let model: Transformer;
  const rng = new Rng(config.seed);
  // Inputs first, so that a bad one leaves no run folder behind.
  if (!opts.resume) refuseExistingRun(run);
  if (config.init && !(opts.resume && listCheckpoints(run).length)) loadModelFolder(modelDirOf(config.init), { weights: false });
  const { checkpoint: resumeFrom } = openRun<PretrainState>(run, config, {
    resume: opts.resume,
    onConfigChange: () => log(`pretrain: note, the config differs from the run's saved config.json; continuing with the new one`),
  });
  const start = resumeFrom?.step ?? 0;
  if (resumeFrom) {
    const folder = loadModelFolder(resumeFrom.modelDir);
    model = transformerFromWeights(folder.config, folder.weights, resumeFrom.modelDir);
    rng.setState(resumeFrom.state.rng);
    log(`pretrain: resuming ${run} from step ${start}`);
  } else {
    model = new Transformer(modelConfig, rng);
    if (config.init) {
      // Continue from another run's checkpoint (e.g. a wider curriculum): its weights, a fresh optimiser.
      const folder = loadModelFolder(modelDirOf(config.init));
      const w = weightsOfTransformer(model);
      for (const [name, t] of folder.weights) {
        if (!w.has(name)) throw new Error(`pretrain: init ${config.init} has tensor ${name}, which model '${JSON.stringify(config.model)}' lacks`);
        model.load(name, t.data);
      }
      log(`pretrain: weights from ${config.init}`);
    }
  }
  const optimizer = new AdamW(model.params, { lr: config.lr, beta2: config.beta2, weightDecay: config.weightDecay });
  if (resumeFrom?.optimizer) optimizer.loadStateDict(resumeFrom.optimizer);
  const schedule = makeSchedule({ kind: 'cosine', lr: config.lr, minLr: config.minLr, warmup: config.warmup, total: config.steps });
  const corpus = await Corpus.open(config.corpus);
  const world = await openGateWorld(config);
  // On-policy attempts: the model being trained samples them (its decoder reads the live weights).
  let ownSampleS = 0;
  let sampler: AttemptSampler | undefined;
  if (config.corpus.ownAttempts) {
    const fromModel = modelAttemptSampler(new LocalBackend(model, { tokenizer }), tokenizer);
    sampler = async (reqs) => {
      const ts = Date.now();
      try {
        return await fromModel(reqs);
      } finally {
        ownSampleS += (Date.now() - ts) / 1000;
      }
    };
  }
  const gateFile = readGateFile(run);
  const end = Math.min(config.steps, opts.until ?? config.steps);
  log(`pretrain: ${countParams(model.params)} parameters, steps ${start}..${end} of ${config.steps}, batch ${config.batchSize}`);
  const bar = opts.progressBar === false ? null : progress({ total: end - start, label: 'pretrain' });
  const t0 = Date.now();
  let lastLoss = NaN;
  let checkpointsSeen = listCheckpoints(run).length;

  const checkpoint = async (step: number) => {
    await saveCheckpoint<PretrainState>(run, {
      state: { step, rng: rng.getState() },
      model: (dir) => void saveModelFolder(dir, { config: model.config, weights: weightsOfTransformer(model), tokenizer }),
      optimizer: optimizer.stateDict(),
    });
    checkpointsSeen++;
    const g = config.gate;
    if (g.every > 0 && checkpointsSeen % g.every === 0 && !gateFile.checkpoints.some((c) => c.step === step)) {
      const report: GateReport = await runGate(model, tokenizer, g, world, step);
      gateFile.checkpoints = [...gateFile.checkpoints.filter((c) => c.step !== step), report].sort((a, b) => a.step - b.step);
      gateFile.choice = pickCheckpoint(gateFile.checkpoints, g);
      writeJsonAtomic(join(run, 'gate.json'), gateFile);
      log(report.table);
      if (gateFile.choice) log(`gate: chosen checkpoint step-${gateFile.choice.step} (${gateFile.choice.reason})`);
    }
  };

  try {
    for (let step = start; step < end; step++) {
      const ts = Date.now();
      ownSampleS = 0;
      const examples = await corpus.batch(config.batchSize, batchSeed(config.seed, step), sampler);
      const rows = examples.map((e) => encodeExample(e, (s) => tokenizer.encode(s), tokenizer.eosId, config.corpus));
      const batch = padBatch(rows, config.maxLen, tokenizer.padId);
      const lr = schedule(step);
      const logits = model.forward(batch.ids, batch.B, batch.T);
      const loss = crossEntropy(logits, batch.targets, { weights: batch.weights });
      const lossValue = loss.item();
      loss.backward();
      const clip = clipGradNorm(model.parameters(), config.clip);
      if (clip.finite && Number.isFinite(lossValue)) optimizer.step(lr);
      else log(`pretrain: step ${step} skipped (non-finite loss ${lossValue} or gradient norm ${clip.norm})`);
      optimizer.zeroGrad();
      lastLoss = lossValue;
      const dt = (Date.now() - ts) / 1000;
      const line: Record<string, number> = {
        step: step + 1, loss: lossValue, lr, grad_norm: clip.norm, tokens: batch.tokens, seq_len: batch.T,
        truncated: batch.truncated, tok_per_s: batch.tokens / Math.max(dt, 1e-3), 'time/step_s': dt, wall_s: (Date.now() - t0) / 1000,
      };
      if (sampler) {
        const own = examples.filter((e) => e.ownAttempt);
        line.own_attempts = own.length;
        line.own_correct = own.length ? own.filter((e) => e.attemptCorrect).length / own.length : 0;
        line['time/own_sample_s'] = ownSampleS;
      }
      appendJsonl(run, METRICS, line);
      bar?.tick(1, { loss: lossValue, lr });
      if ((step + 1) % config.checkpointEvery === 0 || step + 1 === end) await checkpoint(step + 1);
    }
    bar?.done();
  } finally {
    await corpus.close();
    await world.close();
  }
  return { run, step: end, lastLoss, gate: gateFile.checkpoints.length ? gateFile : undefined };
}

export interface GateOnlyOptions {
  /** File inside the run folder (default gate.json); another name keeps a differently configured gate apart. */
  file?: string;
  /** Only these checkpoint steps (default: all). */
  steps?: number[];
  log?: (msg: string) => void;
}

/**
 * Runs the gate of `config.gate` on a run's checkpoints that the gate file does not hold yet
 * (e.g. those skipped by gate.every, or with a larger n into another file), updating the choice.
 */
export async function gateCheckpoints(config: PretrainConfig, run: string, opts: GateOnlyOptions = {}): Promise<GateFile> {
  const log = opts.log ?? ((m: string) => process.stderr.write(m + '\n'));
  const file = opts.file ?? 'gate.json';
  const gateFile = readGateFile(run, file);
  const found = listCheckpoints(run);
  if (found.length === 0) throw new Error(`gate: ${run} holds no finished checkpoint (checkpoints/step-N/ with trainer-state.json); give the folder of a pretraining run`);
  const missing = (opts.steps ?? []).filter((s) => !found.includes(s));
  if (missing.length) throw new Error(`gate: ${run} has no checkpoint at step ${missing.join(', ')} (it has ${found.join(', ')})`);
  const world = await openGateWorld(config);
  const tokenizer = tinyTokenizer();
  try {
    for (const step of listCheckpoints(run)) {
      if (opts.steps && !opts.steps.includes(step)) continue;
      if (gateFile.checkpoints.some((c) => c.step === step)) continue;
      const dir = join(checkpointDir(run, step), 'model');
      const folder = loadModelFolder(dir);
      const model = transformerFromWeights(folder.config, folder.weights, dir);
      const report = await runGate(model, tokenizer, config.gate, world, step);
      gateFile.checkpoints = [...gateFile.checkpoints, report].sort((a, b) => a.step - b.step);
      gateFile.choice = pickCheckpoint(gateFile.checkpoints, config.gate);
      writeJsonAtomic(join(run, file), gateFile);
      log(report.table);
    }
  } finally {
    await world.close();
  }
  if (gateFile.choice) log(`gate: chosen checkpoint step-${gateFile.choice.step} (${gateFile.choice.reason})`);
  return gateFile;
}

/**
 * The env the gate measures in: the RL world (the gate's envOptions, default the env's own
 * defaults, which are the RL world's), never the corpus's options.
 */
async function openGateWorld(config: PretrainConfig): Promise<EnvSource & { config: { envs: { name: string }[] }; close(): Promise<void> }> {
  const name = config.gate.env ?? config.corpus.envs[0]?.name ?? 'math';
  const env = await getEnv(name, config.gate.envOptions ?? {});
  return {
    config: { envs: [{ name }] },
    env(n: string) {
      if (n !== name) throw new Error(`internal: the gate measures in the ${name} world, asked for ${n}`);
      return env;
    },
    close: async () => void (await env.close?.()),
  };
}
