/**
 * The diffusion-LM RL trainer: rounds of "sample with the masked-diffusion sampler, score with
 * the env, update", for three algorithms that share everything but the update:
 *
 * - d-opsd: one trajectory per prompt (resampled at passkTemperature until correct, up to passk
 *   tries); per kept state, the self-future teacher (the frozen initial model shown part of the
 *   trajectory's own final answer) picks the positionsPerState most confident masked positions
 *   of the current block and the student (live model, shown the state only) is pulled toward it
 *   there with the clipped top-k reverse KL; incorrect trajectories contribute nothing.
 *   batchDivide optimiser steps per round, step i on the i-th share of every trajectory's states.
 * - diffu-grpo: groupSize samples per prompt, advantages r - mean, `iterations` optimiser steps
 *   on the PPO-clipped objective with d1's one-pass log-probability estimate, KL to the frozen
 *   initial model.
 * - rft: groupSize samples per prompt; the correct ones become masked-diffusion training data
 *   (the MDLM loss), `updates` optimiser steps per round (the SFT control).
 *
 * The run folder is the common one (train/run-folder.ts, docs/run-folder.md): config.json,
 * metrics.jsonl (one line per round, `step` = optimiser steps so far, `sampled_tokens` =
 * sampled sequences x genLength so far), eval.jsonl (sampled and greedy accuracy on test
 * prompts, read by `distil report`), checkpoints/step-N/ (model folder, AdamW state,
 * trainer-state.json). A round's randomness is a pure function of (seed, round), so a resumed run
 * is the uninterrupted one.
 */
import { resolve } from 'node:path';
import { createMathEnv } from '../envs/math/index.ts';
import type { Outcome, Task } from '../envs/types.ts';
import { noGrad } from '../engine/index.ts';
import { AdamW } from '../nn/optim.ts';
import { clipGradNorm } from '../nn/params.ts';
import type { Transformer } from '../nn/transformer.ts';
import { appendJsonl, EVAL, METRICS, openRun, saveCheckpoint } from '../train/run-folder.ts';
import { Rng } from '../util/rng.ts';
import { completionText, encodePrompt } from './encode.ts';
import { DLM_EVAL_SEED, dlmEvalTasks, evaluateDlm, type DlmEvalSettings } from './evaluate.ts';
import { groupMeanAdvantages, grpoTokenLoss } from './grpo-loss.ts';
import { drawMaskRates, maskedDiffusionLoss } from './mdlm-loss.ts';
import { loadDlm, saveDlm, type LoadedDlm } from './model.ts';
import { clippedTopKReverseKl } from './opsd-loss.ts';
import { sampleDlm, sampleGrid, transformerDenoiser, type Trajectory } from './sampler.ts';
import { selfFutureTeacherInput, supervisedPositions } from './self-future.ts';
import { validateDlmTrainConfig, type DlmTrainConfig } from './train-config.ts';

interface TrainerState {
  step: number;
  round: number;
  sampled_tokens: number;
  wall_s: number;
}

export interface DlmRunOptions {
  resume?: boolean;
  log?: (s: string) => void;
  /** Stop after this round as if interrupted (tests of resume). */
  stopAfterRound?: number;
}

interface Ctx {
  cfg: DlmTrainConfig;
  live: LoadedDlm;
  frozen: Transformer;
  opt: AdamW;
  shape: { promptLength: number; genLength: number; blockSize: number; steps: number; maskId: number; eosId: number };
  env: ReturnType<typeof createMathEnv>;
  log: (s: string) => void;
}

function roundSeed(seed: number, round: number): number {
  return (Math.imul(seed + 0x2545f491, 0x9e3779b1) ^ Math.imul(round + 1, 0xcc9e2d51)) >>> 0;
}

function sample(ctx: Ctx, tasks: Task[], temperature: number, rng: Rng, keepStates: boolean): Trajectory[] {
  const prompts = tasks.map((t) => encodePrompt(ctx.live.tokenizer, t.prompt, ctx.shape.promptLength));
  return sampleDlm(transformerDenoiser(ctx.live.model), prompts, { ...ctx.shape, temperature, keepStates }, rng);
}

async function correctOf(ctx: Ctx, task: Task, tr: Trajectory): Promise<boolean> {
  return countsAsCorrect(await ctx.env.evaluate(task, completionText(ctx.live.tokenizer, tr.final.subarray(tr.promptLength))), ctx.cfg.reward);
}

/** Whether training treats an outcome as correct (see DlmTrainConfig.reward). */
export function countsAsCorrect(o: Outcome, reward: DlmTrainConfig['reward']): boolean {
  return o.correct && (reward === 'answer' || o.components?.work === 1);
}

function optimiserStep(ctx: Ctx): number {
  const clip = clipGradNorm(ctx.live.model.parameters(), ctx.cfg.maxGradNorm);
  if (clip.finite) ctx.opt.step();
  ctx.opt.zeroGrad();
  return clip.norm;
}

type RoundStats = { steps: number; sequences: number; accuracy: number; metrics: Record<string, number> };

/** d-OPSD: see the file comment. */
async function opsdRound(ctx: Ctx, tasks: Task[], rng: Rng): Promise<RoundStats> {
  const o = ctx.cfg.opsd, { promptLength: P, blockSize: bs, maskId, eosId } = ctx.shape;
  let trs = sample(ctx, tasks, ctx.cfg.temperature, rng, true);
  let ok = await Promise.all(tasks.map((t, i) => correctOf(ctx, t, trs[i])));
  const firstCorrect = ok.filter(Boolean).length;
  let sequences = tasks.length;
  for (let attempt = 1; attempt < o.passk && ok.some((x) => !x); attempt++) {
    const wrong = tasks.flatMap((_, i) => (ok[i] ? [] : [i]));
    const again = sample(ctx, wrong.map((i) => tasks[i]), o.passkTemperature, rng, true);
    sequences += wrong.length;
    for (let j = 0; j < wrong.length; j++) {
      trs[wrong[j]] = again[j]; // keep the last try when none is correct, as the authors do
      ok[wrong[j]] = await correctOf(ctx, tasks[wrong[j]], again[j]);
    }
  }
  trs = [...trs];
  ok = [...ok];
  const V = ctx.live.model.config.vocabSize;
  let loss = 0, clipFrac = 0, gradNorm = 0, supervised = 0;
  for (let part = 0; part < o.batchDivide; part++) {
    for (let i = 0; i < trs.length; i++) {
      // Incorrect trajectories are multiplied by 0 in the authors' loss: their gradient is exactly 0, so skip the passes.
      if (!ok[i]) continue;
      const tr = trs[i];
      const states = tr.states.flatMap((s, k) => (tr.trainable[k] ? [k] : []));
      const per = Math.ceil(states.length / o.batchDivide);
      const mine = states.slice(part * per, (part + 1) * per);
      if (!mine.length) continue;
      const T = tr.final.length, B = mine.length;
      const tIn = new Int32Array(B * T), sIn = new Int32Array(B * T);
      mine.forEach((k, b) => {
        const ref = { promptLength: P, blockSize: bs, block: tr.stateBlock[k] };
        tIn.set(selfFutureTeacherInput(tr.states[k], tr.final, ref, o.teacherRetainRatio, eosId, rng).input, b * T);
        sIn.set(tr.states[k], b * T);
      });
      // Teacher (frozen initial model) logits over each state's current block.
      const blockRows = new Int32Array(B * bs);
      mine.forEach((k, b) => {
        for (let j = 0; j < bs; j++) blockRows[b * bs + j] = b * T + P + tr.stateBlock[k] * bs + j;
      });
      const tLogits = noGrad(() => Float32Array.from(ctx.frozen.forward(tIn, B, T, { causal: false, outputRows: blockRows }).data));
      const picked: number[] = [], teacherRows: number[] = [];
      mine.forEach((k, b) => {
        const base = P + tr.stateBlock[k] * bs;
        const maxLogit = (pos: number) => {
          const r = tLogits.subarray((b * bs + pos - base) * V, (b * bs + pos - base + 1) * V);
          let m = -Infinity;
          for (let v = 0; v < V; v++) if (r[v] > m) m = r[v];
          return m;
        };
        for (const pos of supervisedPositions(tr.states[k], { promptLength: P, blockSize: bs, block: tr.stateBlock[k] }, maskId, maxLogit, o.positionsPerState)) {
          picked.push(b * T + pos);
          teacherRows.push(b * bs + pos - base);
        }
      });
      const teacher = new Float32Array(picked.length * V);
      teacherRows.forEach((r, n) => teacher.set(tLogits.subarray(r * V, (r + 1) * V), n * V));
      const sLogits = ctx.live.model.forward(sIn, B, T, { causal: false, outputRows: Int32Array.from(picked) });
      // Sum over the chunk's states / their number, averaged over the round's correct trajectories.
      const scale = 1 / (B * Math.max(1, ok.filter(Boolean).length));
      const r = clippedTopKReverseKl(sLogits.data, teacher, picked.length, V, o.topK, o.tokenClip, scale);
      sLogits.backward(r.dStudent);
      loss += r.loss;
      clipFrac += r.clipFrac / o.batchDivide / Math.max(1, ok.filter(Boolean).length);
      supervised += picked.length;
    }
    gradNorm += optimiserStep(ctx) / o.batchDivide;
  }
  return {
    steps: o.batchDivide, sequences, accuracy: firstCorrect / tasks.length,
    metrics: { loss: loss / o.batchDivide, clip_frac: clipFrac, grad_norm: gradNorm, kept_correct: ok.filter(Boolean).length / tasks.length, supervised_positions: supervised },
  };
}

/** d1's masked input for the log-probability estimate: completion all [MASK], prompt tokens masked with probability p. */
function grpoMaskedInput(seq: Int32Array, P: number, maskId: number, p: number, rng: Rng): Int32Array {
  const x = Int32Array.from(seq);
  for (let i = 0; i < x.length; i++) if (i >= P || rng.next() < p) x[i] = maskId;
  return x;
}

async function grpoRound(ctx: Ctx, tasks: Task[], rng: Rng): Promise<RoundStats> {
  const g = ctx.cfg.grpo, { promptLength: P, maskId, eosId } = ctx.shape;
  const rep = tasks.flatMap((t) => Array.from({ length: g.groupSize }, () => t));
  const trs = sample(ctx, rep, ctx.cfg.temperature, rng, false);
  const rewards: number[] = await Promise.all(rep.map(async (t, i) => ((await correctOf(ctx, t, trs[i])) ? 1 : 0)));
  const adv = groupMeanAdvantages(rewards, g.groupSize);
  const T = trs[0].final.length, B = trs.length, V = ctx.live.model.config.vocabSize;
  // Completion tokens up to and including the first <eos>.
  const rows: number[] = [], tokens: number[] = [], advs: number[] = [];
  trs.forEach((tr, b) => {
    for (let i = P; i < T; i++) {
      rows.push(b * T + i);
      tokens.push(tr.final[i]);
      advs.push(adv[b]);
      if (tr.final[i] === eosId) break;
    }
  });
  const rowIdx = Int32Array.from(rows), tok = Int32Array.from(tokens), advArr = Float32Array.from(advs);
  const logpOf = (m: Transformer, x: Int32Array) => {
    const l = noGrad(() => m.forward(x, B, T, { causal: false, outputRows: rowIdx }).data);
    return grpoTokenLoss(l, rows.length, V, tok, new Float32Array(rows.length), null, advArr, g.eps, 0, 1).logp;
  };
  // One prompt mask per iteration; old and reference log-probabilities under it before any update.
  const inputs: Int32Array[] = [], old: Float32Array[] = [], ref: Float32Array[] = [];
  for (let it = 0; it < g.iterations; it++) {
    const x = new Int32Array(B * T);
    trs.forEach((tr, b) => x.set(grpoMaskedInput(tr.final, P, maskId, g.pMaskPrompt, rng), b * T));
    inputs.push(x);
    old.push(logpOf(ctx.live.model, x));
    ref.push(g.beta !== 0 ? logpOf(ctx.frozen, x) : new Float32Array(rows.length));
  }
  let loss = 0, clipFrac = 0, kl = 0, gradNorm = 0;
  for (let it = 0; it < g.iterations; it++) {
    const logits = ctx.live.model.forward(inputs[it], B, T, { causal: false, outputRows: rowIdx });
    const r = grpoTokenLoss(logits.data, rows.length, V, tok, old[it], g.beta !== 0 ? ref[it] : null, advArr, g.eps, g.beta, rows.length);
    logits.backward(r.dLogits);
    gradNorm += optimiserStep(ctx) / g.iterations;
    loss += r.loss / g.iterations;
    clipFrac += r.clipFrac / g.iterations;
    kl += r.kl / g.iterations;
  }
  return { steps: g.iterations, sequences: B, accuracy: rewards.reduce((a, b) => a + b, 0) / B, metrics: { loss, clip_frac: clipFrac, kl, grad_norm: gradNorm, reward_std_zero: zeroStdShare(rewards, g.groupSize) } };
}

function zeroStdShare(rewards: number[], G: number): number {
  let z = 0;
  for (let i = 0; i < rewards.length; i += G) if (rewards.slice(i, i + G).every((r) => r === rewards[i])) z++;
  return z / (rewards.length / G);
}

async function rftRound(ctx: Ctx, tasks: Task[], rng: Rng): Promise<RoundStats> {
  const f = ctx.cfg.rft, { promptLength: P, genLength: G, maskId } = ctx.shape;
  const rep = tasks.flatMap((t) => Array.from({ length: f.groupSize }, () => t));
  const trs = sample(ctx, rep, ctx.cfg.temperature, rng, false);
  const ok = await Promise.all(rep.map((t, i) => correctOf(ctx, t, trs[i])));
  const kept = trs.filter((_, i) => ok[i]);
  const accuracy = kept.length / rep.length;
  if (!kept.length) return { steps: 0, sequences: rep.length, accuracy, metrics: { kept: 0 } };
  const T = P + G, B = kept.length;
  let loss = 0, gradNorm = 0;
  for (let u = 0; u < f.updates; u++) {
    const ids = new Int32Array(B * T), rows: number[] = [], targets: number[] = [], rates: number[] = [];
    const ts = drawMaskRates(rng, B, true);
    kept.forEach((tr, b) => {
      ids.set(tr.final, b * T);
      for (let i = P; i < T; i++)
        if (rng.next() < ts[b]) {
          ids[b * T + i] = maskId;
          rows.push(b * T + i);
          targets.push(tr.final[i]);
          rates.push(ts[b]);
        }
    });
    if (!rows.length) continue;
    const logits = ctx.live.model.forward(ids, B, T, { causal: false, outputRows: Int32Array.from(rows) });
    const l = maskedDiffusionLoss(logits, Int32Array.from(targets), Float32Array.from(rates), G, B);
    loss += l.item() / f.updates;
    l.backward();
    gradNorm += optimiserStep(ctx) / f.updates;
  }
  return { steps: f.updates, sequences: rep.length, accuracy, metrics: { loss, grad_norm: gradNorm, kept: B } };
}

export async function runDlmTraining(run: string, config: DlmTrainConfig, o: DlmRunOptions = {}): Promise<{ step: number; round: number }> {
  const cfg = validateDlmTrainConfig(config);
  const log = o.log ?? (() => {});
  const init = loadDlm(resolve(cfg.checkpoint));
  const opened = openRun<TrainerState>(run, cfg, { resume: o.resume, onConfigChange: () => { throw new Error(`${run}: config.json differs from the given config; resume with the same config or choose another --out`); } });
  const live = opened.checkpoint ? loadDlm(opened.checkpoint.modelDir) : init;
  const frozen = opened.checkpoint ? init.model : loadDlm(resolve(cfg.checkpoint)).model;
  const opt = new AdamW(live.model.params, { lr: cfg.lr, weightDecay: cfg.weightDecay, beta2: 0.99 });
  if (opened.checkpoint?.optimizer) opt.loadStateDict(opened.checkpoint.optimizer);
  const shape = { promptLength: live.dlm.promptLength, genLength: live.dlm.genLength, blockSize: cfg.blockSize ?? live.dlm.blockSize, steps: cfg.sampleSteps ?? live.dlm.steps, maskId: live.maskId, eosId: live.tokenizer.eosId! };
  sampleGrid(shape);
  const env = createMathEnv();
  const ctx: Ctx = { cfg, live, frozen, opt, shape, env, log };
  const st: TrainerState = opened.checkpoint ? { ...opened.checkpoint.state } : { step: 0, round: 0, sampled_tokens: 0, wall_s: 0 };
  const evalTasks = dlmEvalTasks(env, cfg.evalSplit, cfg.levels, cfg.evalPerLevel);
  const evalSettings: DlmEvalSettings = { ...shape, samples: cfg.evalSamples, temperature: cfg.evalTemperature, batch: 64, seed: DLM_EVAL_SEED };
  const evaluate = async () => {
    const ev = await evaluateDlm(transformerDenoiser(live.model), live.tokenizer, env, evalTasks, evalSettings);
    appendJsonl(run, EVAL, { step: st.step, sampled_tokens: st.sampled_tokens, wall_s: st.wall_s, env: 'math', split: cfg.evalSplit, ...ev });
    log(`${cfg.algorithm} step ${st.step}: ${cfg.evalSplit} sampled ${(100 * ev.accuracy).toFixed(1)}% greedy ${(100 * ev.greedy).toFixed(1)}%`);
  };
  if (!opened.checkpoint) await evaluate();
  const t0 = Date.now(), wallBase = st.wall_s;
  for (let round = st.round + 1; round <= cfg.rounds; round++) {
    const rng = new Rng(roundSeed(cfg.seed, round));
    const tasks = env.tasks('train', cfg.promptsPerRound, rng.nextU32(), { levels: cfg.levels });
    const ts = Date.now();
    const r = cfg.algorithm === 'd-opsd' ? await opsdRound(ctx, tasks, rng) : cfg.algorithm === 'diffu-grpo' ? await grpoRound(ctx, tasks, rng) : await rftRound(ctx, tasks, rng);
    const before = st.step;
    st.step += r.steps;
    st.round = round;
    st.sampled_tokens += r.sequences * shape.genLength;
    st.wall_s = wallBase + (Date.now() - t0) / 1000;
    appendJsonl(run, METRICS, { step: st.step, round, sampled_tokens: st.sampled_tokens, wall_s: st.wall_s, accuracy: r.accuracy, reward: r.accuracy, sequences: r.sequences, ...r.metrics, 'time/round_s': (Date.now() - ts) / 1000 });
    log(`${cfg.algorithm} round ${round}/${cfg.rounds}: step ${st.step}, rollout accuracy ${(100 * r.accuracy).toFixed(0)}%, loss ${(r.metrics.loss ?? 0).toExponential(2)}, ${((Date.now() - ts) / 1000).toFixed(1)} s`);
    if (Math.floor(st.step / cfg.evalEvery) > Math.floor(before / cfg.evalEvery) || round === cfg.rounds) await evaluate();
    if (round % cfg.checkpointEvery === 0 || round === cfg.rounds || round === o.stopAfterRound)
      await saveCheckpoint<TrainerState>(run, { state: { ...st }, model: (dir) => saveDlm(dir, live.model, live.tokenizer, { ...live.dlm, info: { ...live.dlm.info, trainedBy: cfg.algorithm, step: st.step } }), optimizer: opt.stateDict() }, 2);
    if (round === o.stopAfterRound) return { step: st.step, round };
  }
  return { step: st.step, round: st.round };
}

