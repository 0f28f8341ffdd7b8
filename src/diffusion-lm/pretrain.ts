/**
 * Pretraining a masked-diffusion LM from scratch on the math env's chain tasks (LLaDA-style
 * SFT: the prompt is never masked, the completion is masked at rate t ~ U(0, 1], loss in
 * mdlm-loss.ts). The run folder is the one of every distil run (train/run-folder.ts):
 * config.json, metrics.jsonl, eval.jsonl (sampled and greedy accuracy per level on test
 * prompts), checkpoints/step-N/ (model folder with diffusion_lm.json, AdamW state,
 * trainer-state.json). The batch of step s is a pure function of (seed, s), so a resumed run is
 * the uninterrupted one.
 */

import { createMathEnv } from '../envs/math/index.ts';
import { AdamW } from '../nn/optim.ts';
import { clipGradNorm, countParams } from '../nn/params.ts';
import { makeSchedule } from '../nn/schedule.ts';
import { Transformer } from '../nn/transformer.ts';
import { tinyTokenizer } from '../recipes/tiny.ts';
import { appendJsonl, EVAL, METRICS, openRun, saveCheckpoint } from '../train/run-folder.ts';
import { Rng } from '../util/rng.ts';
import { encodeCompletion, encodePrompt } from './encode.ts';
import { evaluateDlm } from './evaluate.ts';
import { drawMaskRate, drawMaskRates, maskedDiffusionLoss } from './mdlm-loss.ts';
import { DLM_FAMILY, maskIdOf, saveDlm, type DlmInfo } from './model.ts';
import { sampleGrid, transformerDenoiser } from './sampler.ts';

export interface DlmPretrainConfig {
  name: string;
  seed: number;
  model: { hiddenSize: number; numLayers: number; numHeads: number; intermediateSize: number };
  /** Chain levels (number of operations) of the corpus. */
  levels: number[];
  maskToken: string;
  promptLength: number;
  genLength: number;
  blockSize: number;
  /** Sampling steps over the completion (for the eval and the shipped default). */
  sampleSteps: number;
  steps: number;
  batchSize: number;
  lr: number;
  minLr: number;
  warmup: number;
  weightDecay: number;
  clip: number;
  checkpointEvery: number;
  /** Test prompts per level for the eval at each checkpoint, and samples per prompt. */
  evalPerLevel: number;
  evalSamples: number;
  evalTemperature: number;
  /** Mask rates of a batch drawn per stratum (mdlm-loss.ts drawMaskRates) instead of independently. */
  stratifiedMaskRates: boolean;
}

export const DLM_PRETRAIN_DEFAULTS: DlmPretrainConfig = {
  name: 'dlm-math', seed: 1,
  model: { hiddenSize: 96, numLayers: 4, numHeads: 4, intermediateSize: 256 },
  levels: [1, 2, 3, 4, 5, 6], maskToken: '<unk>', promptLength: 17, genLength: 48, blockSize: 8, sampleSteps: 24,
  steps: 3000, batchSize: 64, lr: 2e-3, minLr: 1e-4, warmup: 50, weightDecay: 0.01, clip: 1,
  checkpointEvery: 250, evalPerLevel: 40, evalSamples: 2, evalTemperature: 1, stratifiedMaskRates: true,
};

interface PretrainState {
  step: number;
  wall_s: number;
}

/** Step s's batch seed: a pure function of (seed, s). */
function batchSeed(seed: number, step: number): number {
  return (Math.imul(seed + 0x632be5ab, 0x9e3779b1) ^ Math.imul(step + 1, 0x85ebca6b)) >>> 0;
}

export function dlmModelConfig(c: DlmPretrainConfig, vocabSize: number) {
  const m = c.model;
  if (m.hiddenSize % m.numHeads !== 0) throw new Error(`dlm pretrain: hiddenSize ${m.hiddenSize} is not a multiple of numHeads ${m.numHeads}`);
  return {
    architecture: 'llama' as const, vocabSize, hiddenSize: m.hiddenSize, intermediateSize: m.intermediateSize, numLayers: m.numLayers,
    numHeads: m.numHeads, numKvHeads: m.numHeads, headDim: m.hiddenSize / m.numHeads, maxPositions: c.promptLength + c.genLength,
    ropeTheta: 10000, rmsNormEps: 1e-5, tieWordEmbeddings: true, attentionBias: false, qkNorm: false,
  };
}

export async function pretrainDlm(run: string, config: DlmPretrainConfig, opts: { resume?: boolean; log?: (s: string) => void; until?: number } = {}): Promise<{ step: number }> {
  const log = opts.log ?? (() => {});
  const c = config;
  sampleGrid({ genLength: c.genLength, blockSize: c.blockSize, steps: c.sampleSteps });
  const tok = tinyTokenizer();
  const maskId = maskIdOf(tok, c.maskToken, 'dlm pretrain config');
  const env = createMathEnv();
  const opened = openRun<PretrainState>(run, c, { resume: opts.resume, onConfigChange: () => { throw new Error(`${run}: config.json differs from the given config; resume with the same config or choose another --out`); } });
  const model = new Transformer(dlmModelConfig(c, tok.vocabSize), new Rng(c.seed));
  const opt = new AdamW(model.params, { lr: c.lr, beta2: 0.99, weightDecay: c.weightDecay });
  let start = 0, wallBase = 0;
  if (opened.checkpoint) {
    const { loadDlm } = await import('./model.ts');
    const l = loadDlm(opened.checkpoint.modelDir);
    model.weights.set(l.model.weights);
    if (opened.checkpoint.optimizer) opt.loadStateDict(opened.checkpoint.optimizer);
    start = opened.checkpoint.step;
    wallBase = opened.checkpoint.state.wall_s;
    log(`dlm pretrain: resuming ${run} at step ${start}`);
  }
  const schedule = makeSchedule({ kind: 'cosine', lr: c.lr, minLr: c.minLr, warmup: c.warmup, total: c.steps });
  const info = (extra?: Record<string, unknown>): DlmInfo => ({ family: DLM_FAMILY, maskToken: c.maskToken, promptLength: c.promptLength, genLength: c.genLength, blockSize: c.blockSize, steps: c.sampleSteps, info: extra });
  const evalTasks = c.levels.flatMap((level) => env.tasks('test', c.evalPerLevel, 7, { levels: [level] }));
  const P = c.promptLength, G = c.genLength, T = P + G;
  log(`dlm pretrain: ${countParams(model.params)} parameters, steps ${start}..${Math.min(c.steps, opts.until ?? c.steps)} of ${c.steps}, batch ${c.batchSize} x ${T} tokens`);
  const t0 = Date.now();
  const end = Math.min(c.steps, opts.until ?? c.steps);
  for (let step = start; step < end; step++) {
    const ts = Date.now();
    const rng = new Rng(batchSeed(c.seed, step));
    const tasks = env.tasks('train', c.batchSize, rng.nextU32(), { levels: c.levels });
    const B = tasks.length;
    const ids = new Int32Array(B * T);
    const rows: number[] = [], targets: number[] = [], rates: number[] = [];
    let masked = 0;
    // Independent rates are drawn row by row, between the rows' mask draws (the shipped recipe's order).
    const batchRates = c.stratifiedMaskRates ? drawMaskRates(rng, B, true) : null;
    tasks.forEach((task, b) => {
      ids.set(encodePrompt(tok, task.prompt, P), b * T);
      const comp = encodeCompletion(tok, task.reference!, G);
      const t = batchRates ? batchRates[b] : drawMaskRate(rng);
      for (let i = 0; i < G; i++) {
        const pos = b * T + P + i;
        if (rng.next() < t) {
          ids[pos] = maskId;
          rows.push(pos);
          targets.push(comp[i]);
          rates.push(t);
          masked++;
        } else ids[pos] = comp[i];
      }
    });
    const lr = schedule(step);
    let lossValue = 0, gradNorm = 0;
    if (rows.length) {
      const logits = model.forward(ids, B, T, { causal: false, outputRows: Int32Array.from(rows) });
      const loss = maskedDiffusionLoss(logits, Int32Array.from(targets), Float32Array.from(rates), G, B);
      lossValue = loss.item();
      loss.backward();
      const clip = clipGradNorm(model.parameters(), c.clip);
      gradNorm = clip.norm;
      if (clip.finite && Number.isFinite(lossValue)) opt.step(lr);
      opt.zeroGrad();
    }
    const dt = (Date.now() - ts) / 1000;
    const wall = wallBase + (Date.now() - t0) / 1000;
    appendJsonl(run, METRICS, { step: step + 1, loss: lossValue, lr, grad_norm: gradNorm, masked, tokens: B * T, 'time/step_s': dt, wall_s: wall });
    if ((step + 1) % 50 === 0) log(`dlm pretrain: step ${step + 1}/${c.steps} loss ${lossValue.toFixed(4)} (${dt.toFixed(2)} s/step)`);
    if ((step + 1) % c.checkpointEvery === 0 || step + 1 === end) {
      const ev = await evaluateDlm(transformerDenoiser(model), tok, env, evalTasks, {
        promptLength: P, genLength: G, blockSize: c.blockSize, steps: c.sampleSteps, maskId, samples: c.evalSamples, temperature: c.evalTemperature, batch: 64, seed: 20261205,
      });
      appendJsonl(run, EVAL, { step: step + 1, wall_s: wall, env: 'math', split: 'test', temperature: c.evalTemperature, ...ev });
      log(`dlm pretrain: step ${step + 1} sampled ${(100 * ev.accuracy).toFixed(1)}% greedy ${(100 * ev.greedy).toFixed(1)}% | ` + Object.entries(ev.by_level).map(([l, v]) => `L${l} ${(100 * v.accuracy).toFixed(0)}/${(100 * v.greedy).toFixed(0)}`).join(' '));
      await saveCheckpoint<PretrainState>(run, { state: { step: step + 1, wall_s: wall }, model: (dir) => saveDlm(dir, model, tok, info({ pretrainStep: step + 1, eval: ev })), optimizer: opt.stateDict() });
    }
  }
  return { step: end };
}


