/**
 * The DDPO trainer (Black et al. 2023, as in TRL's DDPOTrainer): each epoch samples images with
 * DDIM (eta > 0) keeping every step's log-probability, scores the final images, turns rewards
 * into advantages (per-prompt stat tracking), then takes several optimiser steps on minibatches
 * of (image, timestep) rows with the DDPO_IS or DDPO_SF objective (ddpo-loss.ts).
 *
 * Run folder: config.json, metrics.jsonl (one line per epoch), grids/epoch-N.png (a fixed-noise
 * grid, so changes come from the model), checkpoints/epoch-N/ (resume), summary.json.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensors, writeSafetensors } from '../models/safetensors.ts';
import { clipGradNorm } from '../nn/params.ts';
import { AdamW } from '../nn/optim.ts';
import { appendJsonl, METRICS, truncateJsonl } from '../train/run-folder.ts';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.ts';
import { Rng, type RngState } from '../util/rng.ts';
import { accuracy, classify } from './classifier.ts';
import { loadDiffusion, saveDiffusion, type LoadedDiffusion } from './checkpoint.ts';
import { ddimCoefficients, ddimLogProb } from './ddim.ts';
import { validateDdpoConfig, type DdpoConfig } from './ddpo-config.ts';
import { ddpoSurrogate } from './ddpo-loss.ts';
import { IMAGE_SIZE } from './digits.ts';
import { gridPng } from './grid.ts';
import { resolveReward, scoreImages, type ImageReward } from './rewards.ts';
import { finalImages, sampleDdim, type Trajectory } from './sampler.ts';
import { batchAdvantages, clipAdvantages, PerPromptStatTracker } from './stat-tracker.ts';

export interface DdpoRunOptions {
  out: string;
  config: DdpoConfig;
  log?: (line: string) => void;
  /** Stop after this epoch as if interrupted (tests of resume). */
  stopAfterEpoch?: number;
}

interface TrainStats {
  loss: number;
  approxKl: number;
  clipFrac: number;
  ratioMean: number;
  gradNorm: number;
  updates: number;
  skippedSteps: number;
}

/** Rows per image per update: every (or a random share of the) denoising steps of each image. */
export function trainOnTrajectory(
  loaded: Pick<LoadedDiffusion, 'model'>,
  opt: AdamW,
  tr: Trajectory,
  kept: number[],
  adv: number[],
  cfg: DdpoConfig,
  rng: Rng,
): TrainStats {
  const { model } = loaded;
  const P = model.P, S = tr.steps.length;
  const K = Math.max(1, Math.round(S * cfg.timestepFraction));
  const coefs = tr.steps.map((s) => ddimCoefficients(s.abar, s.abarPrev, cfg.eta, cfg.clipSample));
  const advOf = new Map(kept.map((k, j) => [k, adv[j]]));
  const st: TrainStats = { loss: 0, approxKl: 0, clipFrac: 0, ratioMean: 0, gradNorm: 0, updates: 0, skippedSteps: 0 };
  for (let inner = 0; inner < cfg.innerEpochs; inner++) {
    const order = rng.shuffle([...kept]);
    for (let b = 0; b < order.length; b += cfg.trainBatch) {
      const images = order.slice(b, b + cfg.trainBatch);
      const rows: { i: number; k: number }[] = [];
      for (const i of images) for (const k of rng.shuffle([...Array(S).keys()]).slice(0, K)) rows.push({ i, k });
      const N = rows.length;
      const xt = new Float32Array(N * P), xPrev = new Float32Array(N * P);
      const ts = rows.map((r) => tr.steps[r.k].t), labels = rows.map((r) => tr.labels[r.i]);
      rows.forEach((r, j) => {
        xt.set(tr.latents[r.k].subarray(r.i * P, (r.i + 1) * P), j * P);
        xPrev.set(tr.latents[r.k + 1].subarray(r.i * P, (r.i + 1) * P), j * P);
      });
      opt.zeroGrad();
      const eps = model.predict(xt, ts, labels);
      const e = eps.data;
      const row = (a: Float32Array, j: number) => a.subarray(j * P, (j + 1) * P);
      const logp = rows.map((r, j) => ddimLogProb(coefs[r.k], row(xt, j), row(e, j), row(xPrev, j), P)[0]);
      const sur = ddpoSurrogate(cfg.variant, logp, rows.map((r) => tr.logps[r.k][r.i]), rows.map((r) => advOf.get(r.i)!), cfg.clipRange);
      const dEps = new Float32Array(N * P);
      rows.forEach((r, j) => ddimLogProb(coefs[r.k], row(xt, j), row(e, j), row(xPrev, j), P, { dLogp: [sur.dLogp[j]], dEps: row(dEps, j) }));
      eps.backward(dEps);
      const clip = clipGradNorm(model.params.values(), cfg.maxGradNorm);
      if (clip.finite) opt.step();
      else st.skippedSteps++;
      st.loss += sur.loss;
      st.approxKl += sur.approxKl;
      st.clipFrac += sur.clipFrac;
      st.ratioMean += sur.ratioMean;
      st.gradNorm += clip.norm;
      st.updates++;
    }
  }
  for (const k of ['loss', 'approxKl', 'clipFrac', 'ratioMean', 'gradNorm'] as const) st[k] /= Math.max(1, st.updates);
  return st;
}

const GRID_PER_DIGIT = 4;

function drawGrid(loaded: LoadedDiffusion, cfg: DdpoConfig, dir: string, epoch: number): void {
  const labels = Array.from({ length: 10 * GRID_PER_DIGIT }, (_, i) => i % 10);
  // The same noise every epoch: what changes in the grid is the model.
  const images = finalImages(sampleDdim(loaded.model, loaded.schedule, labels, new Rng(cfg.seed + 9_000_001), { steps: cfg.sampleSteps, eta: cfg.eta, clipSample: cfg.clipSample }));
  writeFileAtomic(join(dir, 'grids', `epoch-${epoch}.png`), gridPng(images, IMAGE_SIZE, 10));
}

function mean(xs: number[]): number {
  const f = xs.filter(Number.isFinite);
  return f.length ? f.reduce((a, b) => a + b, 0) / f.length : NaN;
}

function std(xs: number[]): number {
  const f = xs.filter(Number.isFinite), m = mean(f);
  return f.length ? Math.sqrt(f.reduce((a, b) => a + (b - m) * (b - m), 0) / f.length) : NaN;
}

interface ResumeState {
  epoch: number;
  rng: RngState;
  tracker: Record<string, number[]>;
  optimizer: { step: number; paramSteps: Record<string, number> };
  wallS: number;
}

function latestCheckpoint(dir: string): { epoch: number; path: string } | null {
  const root = join(dir, 'checkpoints');
  if (!existsSync(root)) return null;
  const eps = readdirSync(root)
    .map((n) => /^epoch-(\d+)$/.exec(n))
    .filter((m): m is RegExpExecArray => !!m && existsSync(join(root, m[0], 'state.json')))
    .map((m) => Number(m[1]))
    .sort((a, b) => b - a);
  return eps.length ? { epoch: eps[0], path: join(root, `epoch-${eps[0]}`) } : null;
}

function saveCheckpoint(dir: string, loaded: LoadedDiffusion, opt: AdamW, state: ResumeState): void {
  const root = join(dir, 'checkpoints');
  const tmp = join(root, `.tmp-epoch-${state.epoch}`);
  rmSync(tmp, { recursive: true, force: true });
  saveDiffusion(tmp, loaded.model, loaded.schedule, loaded.classifier, { ...loaded.config.info, ddpoEpoch: state.epoch });
  const sd = opt.stateDict();
  writeSafetensors(join(tmp, 'optimizer.safetensors'), new Map(Object.entries(sd.tensors).map(([k, v]) => [k, { shape: [v.length], data: v }])));
  writeJsonAtomic(join(tmp, 'state.json'), { ...state, optimizer: { step: sd.step, paramSteps: sd.paramSteps } });
  const final = join(root, `epoch-${state.epoch}`);
  rmSync(final, { recursive: true, force: true });
  renameSync(tmp, final);
  // Only the newest checkpoint is needed to resume; older ones would only fill the disk.
  for (const n of readdirSync(root)) if (/^epoch-\d+$/.test(n) && n !== `epoch-${state.epoch}`) rmSync(join(root, n), { recursive: true, force: true });
}

/** Settings that must match for a resume (epochs may grow: continue a finished run). */
function sameRun(a: DdpoConfig, b: DdpoConfig): boolean {
  return JSON.stringify({ ...a, epochs: 0 }) === JSON.stringify({ ...b, epochs: 0 });
}

export async function runDdpo(o: DdpoRunOptions): Promise<{ lastEpoch: number; metrics: Record<string, number>[] }> {
  const cfg = validateDdpoConfig(o.config);
  const log = o.log ?? (() => {});
  mkdirSync(o.out, { recursive: true });
  const cfgPath = join(o.out, 'config.json');
  if (existsSync(cfgPath)) {
    const prev = JSON.parse(readFileSync(cfgPath, 'utf8')) as DdpoConfig;
    if (!sameRun(prev, cfg)) throw new Error(`${o.out} holds a DDPO run with other settings (config.json differs); resume with the same settings or choose another --out`);
  }
  writeJsonAtomic(cfgPath, cfg);
  const ck = latestCheckpoint(o.out);
  const loaded = loadDiffusion(ck ? ck.path : cfg.checkpoint);
  if (loaded.config.denoiser.imageSize !== IMAGE_SIZE)
    throw new Error(`checkpoint ${cfg.checkpoint} was trained on ${loaded.config.denoiser.imageSize}x${loaded.config.denoiser.imageSize} images; DDPO here works on the ${IMAGE_SIZE}x${IMAGE_SIZE} digits`);
  const reward = await resolveReward(cfg.reward, loaded.classifier);
  const queries: ImageReward[] = [];
  for (const q of cfg.queries) queries.push(await resolveReward(q, loaded.classifier));
  const rng = new Rng(cfg.seed);
  const opt = new AdamW(loaded.model.params, { lr: cfg.lr, weightDecay: cfg.weightDecay });
  const tracker = new PerPromptStatTracker(cfg.trackerBuffer, cfg.trackerMinCount);
  let start = 1, wallBase = 0;
  if (ck) {
    const st = JSON.parse(readFileSync(join(ck.path, 'state.json'), 'utf8')) as ResumeState;
    const moments = readSafetensors(join(ck.path, 'optimizer.safetensors')).tensors;
    opt.loadStateDict({ ...st.optimizer, tensors: Object.fromEntries([...moments].map(([k, v]) => [k, v.data])) });
    rng.setState(st.rng);
    tracker.load(st.tracker);
    start = st.epoch + 1;
    wallBase = st.wallS;
    truncateJsonl(o.out, METRICS, st.epoch);
    log(`resuming ${o.out} after epoch ${st.epoch}`);
  } else {
    truncateJsonl(o.out, METRICS, 0);
    drawGrid(loaded, cfg, o.out, 0);
  }
  const t0 = Date.now();
  const metrics: Record<string, number>[] = [];
  for (let epoch = start; epoch <= cfg.epochs; epoch++) {
    const tS = Date.now();
    const prompts = Array.from({ length: cfg.samplesPerEpoch }, () => rng.pick(cfg.prompts));
    const tr = sampleDdim(loaded.model, loaded.schedule, prompts, rng, { steps: cfg.sampleSteps, eta: cfg.eta, clipSample: cfg.clipSample });
    const images = finalImages(tr);
    const scored = scoreImages(reward, images, prompts, IMAGE_SIZE);
    for (const f of scored.failures.slice(0, 3)) log(`epoch ${epoch}: reward failed on sample ${f.index} (prompt ${prompts[f.index]}): ${f.error}; sample skipped`);
    const kept = prompts.flatMap((_, i) => (Number.isFinite(scored.rewards[i]) ? [i] : []));
    const keptRewards = kept.map((i) => scored.rewards[i]);
    const rawAdv = cfg.perPromptTracking ? tracker.update(kept.map((i) => prompts[i]), keptRewards) : batchAdvantages(keptRewards);
    const adv = clipAdvantages(rawAdv, cfg.advClip);
    const sampleS = (Date.now() - tS) / 1000;
    const row: Record<string, number> = { step: epoch, epoch, reward: mean(scored.rewards), reward_std: std(scored.rewards), reward_failures: scored.failures.length, samples_kept: kept.length };
    for (const q of queries) row[`query/${q.name}`] = mean(scoreImages(q, images, prompts, IMAGE_SIZE).rewards);
    if (loaded.classifier) row.accuracy = accuracy(classify(loaded.classifier, images), prompts);
    const tT = Date.now();
    if (kept.length) {
      const st = trainOnTrajectory(loaded, opt, tr, kept, adv, cfg, rng);
      Object.assign(row, { loss: st.loss, approx_kl: st.approxKl, clip_frac: st.clipFrac, ratio_mean: st.ratioMean, grad_norm: st.gradNorm, updates: st.updates, skipped_steps: st.skippedSteps });
    }
    drawGrid(loaded, cfg, o.out, epoch);
    const wallS = wallBase + (Date.now() - t0) / 1000;
    Object.assign(row, { 'time/sample_s': sampleS, 'time/train_s': (Date.now() - tT) / 1000, wall_s: wallS });
    appendJsonl(o.out, METRICS, row);
    metrics.push(row);
    log(`epoch ${epoch}/${cfg.epochs} ${reward.name} ${row.reward.toFixed(4)}${row.accuracy !== undefined ? ` accuracy ${(100 * row.accuracy).toFixed(0)}%` : ''} kl ${(row.approx_kl ?? 0).toExponential(2)} clip ${(row.clip_frac ?? 0).toFixed(3)}`);
    if (epoch % cfg.checkpointEvery === 0 || epoch === cfg.epochs || epoch === o.stopAfterEpoch) {
      const sd = opt.stateDict();
      saveCheckpoint(o.out, loaded, opt, { epoch, rng: rng.getState(), tracker: tracker.state(), optimizer: { step: sd.step, paramSteps: sd.paramSteps }, wallS });
    }
    if (epoch === o.stopAfterEpoch) return { lastEpoch: epoch, metrics };
  }
  writeJsonAtomic(join(o.out, 'summary.json'), { epochs: cfg.epochs, final: metrics[metrics.length - 1] ?? null });
  return { lastEpoch: cfg.epochs, metrics };
}
