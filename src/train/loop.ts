/**
 * The training loop (docs/architecture.md): each step samples G completions for a batch of train tasks,
 * lets the env check them, asks the teacher (if any) to score them after their teacher
 * context, lets the algorithm turn all that into a LossSpec, and takes one optimiser step (or
 * several: updateEpochs x miniBatches, train/updates.ts).
 * Everything random derives from the config's seed and the step number, so a run resumed from
 * a checkpoint continues exactly as if it had never stopped.
 */
import { join } from 'node:path';
import { createAlgorithm } from '../algorithms/registry.ts';
import type { Algorithm, Rollout, StepData } from '../algorithms/types.ts';
import type { PolicyBackend } from '../backends/types.ts';
import { getEnv } from '../envs/registry.ts';
import type { Tokenizer } from '../models/tokenizer.ts';
import { makeSchedule } from '../nn/schedule.ts';
import { Rng } from '../util/rng.ts';
import type { TrainConfig } from './config.ts';
import { evaluatePolicy } from './evaluate.ts';
import type { EvalSummary } from '../eval/metrics.ts';
import { collectRollouts, feedbackStart, referenceRollouts, teacherScores } from './rollouts.ts';
import { appendJsonl, checkpointDir, EVAL, listCheckpoints, METRICS, openRun, readJsonl, refuseExistingRun, SAMPLES, saveCheckpoint, SUMMARY, writeRunJson, type CheckpointParts } from './run-folder.ts';
import { loadModelFolder } from '../models/folder.ts';
import { makeTeacher } from './teachers.ts';
import { makeStudent } from './student.ts';
import { runUpdates } from './updates.ts';
import { checkEnvAnswers, hiddenStates } from './needs.ts';
import type { Teacher } from '../teachers/types.ts';
import type { Env, Task } from '../envs/types.ts';
import { buildTeacherContext } from '../feedback/contexts.ts';
import { makeJudge } from '../judges/make.ts';
import { judgeRollouts } from '../judges/rollouts.ts';
import type { Judge } from '../judges/types.ts';

export interface TrainHooks {
  /** Called after every step with its metrics row. */
  onStep?(row: Record<string, number>): void;
  onEval?(row: Record<string, unknown>): void;
  /** Checked between steps: when it returns true the loop checkpoints and returns (Ctrl-C). */
  shouldStop?(): boolean;
  /** Test hook: called in the middle of a step (after sampling), e.g. to simulate a crash. */
  midStep?(step: number): void;
  log?(msg: string): void;
  /** Called once the run folder is open (every input checked), before the step-0 evaluation. */
  onOpen?(runDir: string): void;
}

/** What an RL checkpoint records besides the weights (trainer-state.json). */
export interface TrainerState {
  step: number;
  sampledTokens: number;
  wallSeconds: number;
  /** DAgger buffer and anything else an algorithm keeps across steps (JSON). */
  extra: Record<string, unknown>;
}

export interface TrainResult {
  runDir: string;
  steps: number;
  stopped: boolean;
  finalEval: Record<string, unknown> | null;
}

function stepSeed(seed: number, step: number): number {
  const r = new Rng(seed * 1_000_003 + step);
  return r.nextU32();
}

export async function train(config: TrainConfig, runDir: string, hooks: TrainHooks = {}, opts: { resume?: boolean } = {}): Promise<TrainResult> {
  const env = await getEnv(config.env, config.envOptions);
  try {
    return await trainOn(env, config, runDir, hooks, opts);
  } finally {
    await env.close?.(); // e.g. the code sandbox's worker processes
  }
}

/** Everything a run holds between steps: the models, the algorithm, and the trainer state. */
interface Session {
  env: Env;
  config: TrainConfig;
  runDir: string;
  algo: Algorithm;
  tokenizer: Tokenizer;
  student: PolicyBackend;
  /** The initial policy, when the KL to it is measured or anchored. */
  initial: PolicyBackend | null;
  teacher: Teacher | null;
  /** The judge of ExpRL-style algorithms (needs.judge). */
  judge: Judge | null;
  log: (m: string) => void;
  schedule: (step: number) => number;
  rollIn: ReturnType<typeof rollInSettings> | null;
  state: TrainerState;
  /** DistIL's DAgger buffer of past rollouts. */
  dagger: Rollout[];
  /** Seconds since the run began, across resumes. */
  wall: () => number;
  /** Stop strings for sampling: the config's, else the starting model's. */
  stop: string[];
}

async function trainOn(env: Env, config: TrainConfig, runDir: string, hooks: TrainHooks, opts: { resume?: boolean }): Promise<TrainResult> {
  const log = hooks.log ?? ((m: string) => process.stderr.write(m + '\n'));
  const s = await openSession(env, config, runDir, log, opts.resume ?? false);
  hooks.onOpen?.(runDir);
  const save = () => saveCheckpoint(runDir, checkpointParts(s), config.keepCheckpoints);

  const evaluate = async (step: number) => {
    const r = await evaluatePolicy(s.student, env, s.tokenizer, {
      prompts: config.evalPrompts, samples: config.evalSamples, temperature: config.evalTemperature,
      maxTokens: config.maxTokens, levels: config.evalLevels ?? config.levels ?? undefined, stop: s.stop, greedy: config.evalGreedy,
      split: config.evalSplit,
    });
    const split = config.evalSplit !== 'test' ? { split: config.evalSplit } : {};
    const row = { step, sampled_tokens: s.state.sampledTokens, wall_s: s.wall(), env: config.env, ...split, ...evalRow(r) };
    appendJsonl(runDir, EVAL, row);
    hooks.onEval?.(row);
    return row;
  };
  // On resume, the checkpoint step's evaluation (if it was made) is already in eval.jsonl:
  // a finished run resumed is not evaluated again.
  let lastEval: Record<string, unknown> | null =
    s.state.step === 0 ? await evaluate(0) : (readJsonl(join(runDir, EVAL)).filter((r) => r.step === s.state.step).pop() ?? null);
  let stopped = false;
  const budgetLeft = () => !config.sampledTokenBudget || s.state.sampledTokens < config.sampledTokenBudget;
  while (s.state.step < config.steps && budgetLeft()) {
    // The step's work is synchronous compute behind promises; yield to the event loop once a
    // step so that signals (Ctrl-C) and timers are seen.
    await new Promise((r) => setImmediate(r));
    if (hooks.shouldStop?.()) {
      stopped = true;
      break;
    }
    const row = await trainStep(s, hooks);
    hooks.onStep?.(row);
    const step = s.state.step;
    if (config.evalEvery > 0 && step % config.evalEvery === 0) lastEval = await evaluate(step);
    if (config.checkpointEvery > 0 && step % config.checkpointEvery === 0) await save();
  }
  // A stopped (Ctrl-C) run resumes later; it is evaluated when it really ends.
  if (!stopped && (!lastEval || lastEval.step !== s.state.step)) lastEval = await evaluate(s.state.step);
  if (!listCheckpoints(runDir).includes(s.state.step) && s.state.step > 0) await save();
  s.student.close?.();
  s.judge?.close?.();
  if (!stopped) writeRunJson(runDir, SUMMARY, { steps: s.state.step, sampled_tokens: s.state.sampledTokens, wall_s: s.state.wallSeconds, final_eval: lastEval });
  return { runDir, steps: s.state.step, stopped, finalEval: lastEval };
}

/** Opens (or resumes) the run folder and builds the student, its initial copy and the teacher. */
async function openSession(env: Env, config: TrainConfig, runDir: string, log: (m: string) => void, resume: boolean): Promise<Session> {
  const algo = createAlgorithm(config.algorithm, config.algorithmOptions);
  if (algo.needs.answers) await checkEnvAnswers(env, config.algorithm);
  // Every input is checked before the run folder is touched, so that a bad one leaves no
  // folder (or half-opened run) behind: the folder's state, the models, the teacher's model.
  if (!resume) refuseExistingRun(runDir);
  const resumeStep = resume ? listCheckpoints(runDir).at(-1) : undefined;
  const resumeModelDir = resumeStep !== undefined ? join(checkpointDir(runDir, resumeStep), 'model') : null;
  if (config.teacherModel) loadModelFolder(config.teacherModel, { weights: false });
  const needRef = config.klInit || !!algo.needs.refLogprobs;
  const { student, tokenizer, initial, generation } = await makeStudent(config, resumeModelDir, needRef, log);
  let resumeFrom;
  try {
    ({ checkpoint: resumeFrom } = openRun<TrainerState>(runDir, config, {
      resume,
      onConfigChange: () => log(`note: the config differs from the run's saved config.json; continuing with the new one`),
    }));
    if ((resumeFrom?.step ?? undefined) !== resumeStep) throw new Error(`${runDir}: its newest checkpoint changed while the run was being opened`);
  } catch (e) {
    student.close?.();
    throw e;
  }
  // Stop strings: the config's, else the ones the starting model ships with (generation_config.json).
  const stop = config.stop ?? generation.stopStrings ?? [];
  if (config.stop === null && stop.length) log(`stop strings ${JSON.stringify(stop)} (from ${config.model}/generation_config.json; set stop=[] for none)`);
  const teacher = await makeTeacher(algo.needs, student, tokenizer, config.teacherModel);
  const judge = algo.needs.judge ? await makeJudge(algo.needs.judge, env, tokenizer, student) : null;
  const schedule = scheduleOf(config);
  let state: TrainerState = { step: 0, sampledTokens: 0, wallSeconds: 0, extra: {} };
  if (resumeFrom) {
    state = resumeFrom.state;
    if (resumeFrom.optimizer) student.loadOptimizerState?.(resumeFrom.optimizer, optimOptions(config, schedule, 0));
    const teacherDir = resumeFrom.extras.teacher;
    if (teacher?.load && teacherDir) await teacher.load(teacherDir);
    if (teacher?.name === 'frozen' && !teacherDir) throw new Error('checkpoint has no frozen-teacher weights; cannot resume exactly');
    if (algo.loadState) {
      if (state.extra.algorithm === undefined) throw new Error(`checkpoint has no state of algorithm '${algo.name}' (e.g. the RND predictor); cannot resume exactly`);
      algo.loadState(state.extra.algorithm);
    }
    log(`resuming ${runDir} from step ${state.step}`);
  }

  const rollIn = algo.needs.rollIn ? rollInSettings(algo.needs.rollIn, teacher, student) : null;
  const dagger: Rollout[] = (state.extra.dagger as Rollout[] | undefined)?.map(reviveRollout) ?? [];
  const wallStart = performance.now() / 1000 - state.wallSeconds;
  const wall = () => performance.now() / 1000 - wallStart;
  return { env, config, runDir, algo, tokenizer, student, initial, teacher, judge, log, schedule, rollIn, state, dagger, wall, stop };
}

function checkpointParts(s: Session): CheckpointParts<TrainerState> {
  const teacher = s.teacher;
  return {
    // What the algorithm learned across steps (RND's predictor) is taken as of this checkpoint.
    state: s.algo.state ? { ...s.state, extra: { ...s.state.extra, algorithm: s.algo.state() } } : s.state,
    model: (dir) => s.student.save(dir),
    optimizer: s.student.optimizerState?.() ?? null,
    extras: teacher?.save ? { teacher: (dir) => teacher.save!(dir) } : {},
  };
}

/**
 * One training step: sample G completions for a batch of train tasks, let the env check
 * them, let the teacher score them after their teacher context, turn that into a LossSpec,
 * take one optimiser step; append the step's metrics and samples. Advances s.state.
 */
async function trainStep(s: Session, hooks: TrainHooks): Promise<Record<string, number>> {
  const { env, config, algo, tokenizer, student, initial, teacher, dagger } = s;
  const levels = config.levels ?? undefined;
  const step = s.state.step + 1;
  const seed = stepSeed(config.seed, step);
  const t0 = performance.now();
  const wire0 = student.wireStats?.();
  const tasks = env.tasks('train', config.promptsPerStep, seed, levels ? { levels } : undefined);
  const fresh = algo.needs.sampling
    ? await collectRollouts(student, env, tokenizer, tasks, {
        groupSize: config.groupSize, maxTokens: config.maxTokens, temperature: config.temperature, topP: config.topP, seedBase: (seed % 100_000_000) * 64,
        stop: s.stop,
        rollIn: s.rollIn ?? undefined,
      })
    : referenceRollouts(env, tokenizer, tasks);
  const sampledTokens = algo.needs.sampling ? fresh.reduce((a, r) => a + r.tokens.length, 0) : 0;
  let rollouts = fresh;
  if (algo.needs.dagger && dagger.length) {
    const rng = new Rng(seed);
    const picked = rng.shuffle([...dagger]).slice(0, algo.needs.dagger.sample).map((r, i) => ({ ...r, group: tasks.length + i }));
    rollouts = [...fresh, ...picked];
  }
  hooks.midStep?.(step);
  const t1 = performance.now();

  const data: StepData = { rollouts, seed };
  if (algo.needs.teacher && teacher) {
    data.teacher = await teacherScores(teacher, tokenizer, rollouts, algo.needs.teacher.context, algo.needs.teacher.topK);
    data.feedbackStarts = rollouts.map((r) => feedbackStart(r, tokenizer));
  }
  if (algo.needs.judge && s.judge) {
    data.judged = await judgeRollouts(s.judge, rollouts, algo.needs.judge.view, tokenizer);
    // An unreadable verdict is scored lowest, counted in the metrics (exprl/unreadable) and shown here.
    if (data.judged.unreadable) s.log(`step ${step}: judge ${s.judge.name}: ${data.judged.unreadable} of ${data.judged.requests} answers had no readable 1-5 score (scored 1), e.g. ${JSON.stringify(data.judged.example?.slice(0, 200))}`);
  }
  if (algo.needs.hidden) {
    data.hidden = await hiddenStates(student, rollouts);
    data.feedbackStarts ??= rollouts.map((r) => feedbackStart(r, tokenizer));
  }
  let klInit: number | undefined;
  if (initial) {
    const ref = await initial.score(rollouts.map((r) => ({ prompt: r.prompt, completion: r.tokens })));
    data.refLogprobs = ref.map((x) => x.logprobs);
    // KL(student || initial) estimated on the student's own fresh samples (k1: mean log-ratio);
    // reference rollouts (SFT) and replayed DAgger rollouts are not samples of the current student.
    if (algo.needs.sampling) {
      let sum = 0, n = 0;
      fresh.forEach((r, i) => r.logprobs.forEach((lp, t) => { sum += lp - ref[i].logprobs[t]; n++; }));
      klInit = n ? sum / n : 0;
    }
  }
  const t2 = performance.now();

  const built = algo.build(data);
  const row: Record<string, number> = {};
  let tOptim = t2;
  if (built) {
    const plan = { epochs: config.updateEpochs, miniBatches: config.miniBatches, seed };
    const { first: u, extra, optimMs } = await runUpdates(student, built.batch, built.loss, plan, optimOptions(config, s.schedule, step - 1));
    // The optimiser steps' time, counted from where it would start had they run last.
    tOptim = performance.now() - optimMs;
    Object.assign(row, { loss: u.loss, grad_norm: u.gradNorm, skipped: u.skipped ? 1 : 0, lr: u.lr, trained_tokens: u.tokens }, u.metrics, built.metrics, extra);
    if (teacher?.afterStep) await teacher.afterStep(student);
  } else {
    Object.assign(row, { loss: 0, grad_norm: 0, skipped: 1, lr: s.schedule(step - 1), trained_tokens: 0 });
  }
  const t3 = performance.now();
  if (!built) tOptim = t3;

  if (algo.needs.dagger) {
    dagger.push(...fresh);
    if (dagger.length > algo.needs.dagger.size) dagger.splice(0, dagger.length - algo.needs.dagger.size);
  }
  s.state = { step, sampledTokens: s.state.sampledTokens + sampledTokens, wallSeconds: s.wall(), extra: algo.needs.dagger ? { dagger } : {} };
  const nTok = fresh.reduce((a, r) => a + r.tokens.length, 0);
  Object.assign(row, {
    step, sampled_tokens: s.state.sampledTokens, wall_s: s.state.wallSeconds,
    reward: mean(fresh.map((r) => r.outcome.reward)),
    accuracy: mean(fresh.map((r) => (r.outcome.correct ? 1 : 0))),
    // Share of the step's prompts none of whose samples is correct (sparse RL learns nothing from them).
    unsolved_prompts: unsolvedShare(fresh),
    completion_len: nTok / Math.max(fresh.length, 1),
    entropy: algo.needs.sampling ? -fresh.reduce((a, r) => a + r.logprobs.reduce((x, y) => x + y, 0), 0) / Math.max(nTok, 1) : NaN,
    'time/sample_s': (t1 - t0) / 1000, 'time/score_s': (t2 - t1) / 1000, 'time/train_s': (t3 - t2) / 1000,
    'time/forward_backward_s': (tOptim - t2) / 1000, 'time/optim_s': (t3 - tOptim) / 1000,
    tok_per_s: sampledTokens / Math.max((t1 - t0) / 1000, 1e-9),
  });
  if (klInit !== undefined) row.kl_init = klInit;
  // A remote student: what the step cost on the wire (round trips, bytes, seconds waiting).
  if (wire0) for (const [k, v] of Object.entries(student.wireStats!())) row[`remote/${k}`] = v - (wire0[k] ?? 0);
  if (data.teacher) row.teacher_mass = mean(data.teacher.map((t) => mean(sumRows(t.scored.topProbs!, t.scored.k!))));
  appendJsonl(s.runDir, METRICS, row);
  writeSamples(s.runDir, step, rollouts.slice(0, config.samplesPerStep), data, tokenizer, config.env);
  return row;
}

/**
 * An evaluation as eval.jsonl stores it: one snake_case name per metric (accuracy is avg@k with
 * k = samples; greedy the share of prompts whose greedy decoding is correct, when it was made;
 * pass_at_k by k; by_level per difficulty level). Rows written before this held most metrics
 * twice (also passAtK, byLevel, avg_at_k, meanReward); readers use these names, which both
 * kinds of row have.
 */
function evalRow(r: EvalSummary) {
  const levels = Object.entries(r.byLevel).map(([l, b]) => [l, { n: b.n, accuracy: b.accuracy, greedy: b.greedy, pass_at_k: b.passAtK }]);
  return { n: r.n, samples: r.samples, accuracy: r.accuracy, greedy: r.greedy, mean_reward: r.meanReward, pass_at_k: r.passAtK, by_level: Object.fromEntries(levels) };
}

/** The roll-in teacher samples before the attempt exists, so its context has no attempt or outcome. */
function rollInSettings(r: { beta: number; context: string }, teacher: Teacher | null, student: PolicyBackend) {
  if (!teacher?.backend || !student.sampleWithRollIn || !teacher.backend.sampleWithRollIn) {
    throw new Error(`roll-in (rollInBeta ${r.beta}) needs a teacher held in this process (live, frozen or ema, not ${teacher?.name ?? 'none'}) and a student in this process (not a remote backend)`);
  }
  const none = { reward: 0, correct: false, feedback: { summary: '', items: [] } };
  return {
    teacher: teacher.backend,
    beta: r.beta,
    context: (task: Task) => buildTeacherContext(r.context, { task, completion: '', outcome: none }),
  };
}

function scheduleOf(c: TrainConfig) {
  return makeSchedule(
    c.schedule === 'constant'
      ? { kind: 'constant', lr: c.lr, warmup: c.warmupSteps }
      : { kind: c.schedule, lr: c.lr, warmup: c.warmupSteps, total: Math.max(c.steps, c.warmupSteps + 1) },
  );
}

function optimOptions(c: TrainConfig, schedule: (step: number) => number, stepIndex: number) {
  return { lr: schedule(stepIndex), beta1: c.beta1, beta2: c.beta2, eps: c.adamEps, weightDecay: c.weightDecay, maxGradNorm: c.maxGradNorm };
}

function unsolvedShare(rs: Rollout[]): number {
  const solved = new Map<number, boolean>();
  for (const r of rs) solved.set(r.group, (solved.get(r.group) ?? false) || r.outcome.correct);
  return solved.size ? [...solved.values()].filter((x) => !x).length / solved.size : NaN;
}

function mean(xs: number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
}

function sumRows(x: Float32Array, k: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < x.length; i += k) {
    let s = 0;
    for (let j = 0; j < k; j++) s += x[i + j];
    out.push(s);
  }
  return out;
}

function writeSamples(runDir: string, step: number, rs: Rollout[], data: StepData, tokenizer: Tokenizer, env: string): void {
  rs.forEach((r, i) => {
    const t = data.teacher?.[i];
    appendJsonl(runDir, SAMPLES, {
      step, env, task_id: r.task.id, prompt: r.task.prompt, completion: r.text, reward: r.outcome.reward, correct: r.outcome.correct,
      feedback: r.outcome.feedback.summary + (r.outcome.feedback.items.length ? '\n' + r.outcome.feedback.items.map((f) => `- ${f.text}`).join('\n') : ''),
      teacher_context: t?.context,
      tokens: r.tokens.map((id) => (id < tokenizer.vocabSize ? tokenizer.decode([id]) : `<${id}>`)), // past the tokenizer: no text
      // log q(y_t) - log p(y_t): how much more (or less) the teacher likes each sampled token.
      disagreement: t ? Array.from(r.logprobs, (lp, j) => Math.abs(t.scored.logprobs[j] - lp)) : undefined,
      teacher_minus_student: t ? Array.from(r.logprobs, (lp, j) => t.scored.logprobs[j] - lp) : undefined,
      // The first flagged token (absent when nothing is flagged): where a critique points.
      feedback_start: Number.isFinite(data.feedbackStarts?.[i]) ? data.feedbackStarts![i] : undefined,
      judge_scores: data.judged?.rollouts[i].scores,
    });
  });
}

/** Rollouts kept in a checkpoint's JSON come back with plain arrays: restore the typed ones. */
function reviveRollout(r: Rollout): Rollout {
  const f32 = (x: unknown) => (x instanceof Float32Array ? x : Float32Array.from(Object.values(x as Record<string, number>)));
  return { ...r, logprobs: f32(r.logprobs), maxLogprobs: r.maxLogprobs ? f32(r.maxLogprobs) : undefined, selfCertainty: r.selfCertainty ? f32(r.selfCertainty) : undefined };
}

