/**
 * The pretraining corpus of the tiny models, generated from the envs. Two sorts of example:
 *  - plain: `prompt + solution + <eos>`, the solution being the reference, or on purpose an
 *    imperfect attempt (a slip) with probability `plainSlip`;
 *  - feedback-conditioned: `context + reference + <eos>` where context is exactly
 *    buildTeacherContext(kind, {task, completion: attempt, outcome}) — the very text the teacher
 *    sees at RL time — and the attempt is correct with probability `correctAttempt`, else slipped.
 * So the model learns to read an attempt and its feedback and then write the right solution:
 * the skill the teacher needs. Examples are a pure function of (config, seed, index range).
 *
 * On-policy attempts (`ownAttempts` > 0): with that probability a feedback-conditioned example's
 * attempt is instead sampled from the model being trained (T=1, the env's prompt), evaluated by
 * the env for the feedback as usual, the target still the reference. The model comes in through
 * one seam, an `AttemptSampler` passed to `batch()` (pretrain.ts makes it from the model; tests
 * pass a stub): it is called once per batch with every own attempt's task and seed, the seeds a
 * function of (batch seed, index), so the batch stays a pure function of (config, seed, model).
 * With ownAttempts 0 (or absent) no sampler is needed and the examples are what they always were.
 */
import type { TextSampler } from '../backends/types.ts';
import { envNames, getEnv, type EnvOptions } from '../envs/registry.ts';
import type { Env, Task } from '../envs/types.ts';
import { buildTeacherContext, teacherContextKinds } from '../feedback/contexts.ts';
import { checkKeys, checkName, ConfigError } from '../util/schema.ts';
import { Rng } from '../util/rng.ts';
import { slippedAttempt } from './slips.ts';
import { attemptBudget, tinyStopStrings } from './tiny.ts';

export interface CorpusEnvSpec {
  name: string;
  /** Relative share of examples (default 1). */
  weight?: number;
  /** Difficulty levels drawn uniformly. */
  levels: number[];
  options?: EnvOptions;
}

export interface CorpusConfig {
  envs: CorpusEnvSpec[];
  /** Share of feedback-conditioned examples (docs/tiny-setting.md: at least 0.7). */
  feedbackFraction: number;
  /** Teacher-context kind -> relative weight, among feedback-conditioned examples. */
  kinds: Record<string, number>;
  /** Probability that the shown attempt is correct (docs/tiny-setting.md: at least 0.3). */
  correctAttempt: number;
  /** A wrong attempt has 1..maxSlips slips where the env's slip model supports it. */
  maxSlips: number;
  /** Probability that a plain example's solution is a slipped (imperfect) one. */
  plainSlip: number;
  /** 'all': learn the whole text; 'solution': only the solution (and <eos>) after the context. */
  loss: 'all' | 'solution';
  /** With loss 'all': weight of context tokens relative to solution tokens (default 1). */
  contextWeight: number;
  /**
   * Probability in [0, 1] that a feedback-conditioned example's attempt (right or wrong) is the
   * model's own T=1 sample on the prompt instead of the reference or a synthetic slip; needs an
   * AttemptSampler in `batch()`. Absent = 0: the synthetic attempts only (configs that do not set
   * it resolve, and save, exactly as before the option existed).
   */
  ownAttempts?: number;
}

/** One own attempt to sample: the task (its prompt is the context) and the request's seed. */
export interface AttemptRequest {
  task: Task;
  seed: number;
}

/**
 * Samples the model's own attempts, one text per request in order; `batch()` calls it once per
 * batch (not at all when no example needs one). Made from the model by `modelAttemptSampler`.
 */
export type AttemptSampler = (reqs: AttemptRequest[]) => Promise<string[]>;


/**
 * The AttemptSampler of a model: T=1 on the env's prompt, the tiny models' stop strings, and the
 * gate's token budget (1.5x the reference's tokens + 8), all requests in one sample call.
 */
export function modelAttemptSampler(backend: TextSampler, tok: { encode(s: string): number[] }): AttemptSampler {
  return async (reqs) => {
    if (!reqs.length) return [];
    const res = await backend.sample(reqs.map((r) => ({
      prompt: tok.encode(r.task.prompt), maxTokens: attemptBudget(tok, r.task), temperature: 1, seed: r.seed, stop: tinyStopStrings(r.task.prompt),
    })));
    return res.map((c) => c.text);
  };
}

/** Seed of the own attempt of example `index` in the batch of seed `batchSeed`. */
export function ownAttemptSeed(batchSeed: number, index: number): number {
  return (Math.imul((batchSeed ^ 0x5bd1e995) >>> 0, 0x9e3779b1) ^ Math.imul(index + 1, 0xc2b2ae35)) >>> 0;
}

export const DEFAULT_CORPUS: CorpusConfig = {
  envs: [{ name: 'math', levels: [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12] }],
  feedbackFraction: 0.75,
  kinds: { critique: 2, feedback: 1, reference: 0.5, binary: 0.25, peer: 0.25 },
  correctAttempt: 0.35,
  maxSlips: 2,
  plainSlip: 0,
  loss: 'all',
  contextWeight: 1,
};

export interface Example {
  /** The task the example was made from (train split). */
  task: Task;
  env: string;
  taskId: string;
  level: number;
  /** 'plain', 'plain-slip', or the teacher-context kind. */
  sort: string;
  /** Feedback-conditioned only: the attempt shown in the context, and whether it was correct. */
  attempt?: string;
  attemptCorrect?: boolean;
  /** Set (true) only when the attempt is the model's own sample (ownAttempts). */
  ownAttempt?: true;
  /** What precedes the solution (the prompt, or the teacher context). */
  context: string;
  /** The text after the context, without <eos>. */
  solution: string;
}

const CORPUS_KEYS = [...Object.keys(DEFAULT_CORPUS), 'ownAttempts'];
const CORPUS_ENV_KEYS = ['name', 'weight', 'levels', 'options'];

export function validateCorpusConfig(c: CorpusConfig): CorpusConfig {
  const bad = (m: string) => { throw new ConfigError(`corpus config: ${m}`); };
  checkKeys(c, CORPUS_KEYS, 'corpus config');
  if (!Array.isArray(c.envs) || c.envs.length === 0) bad('envs must list at least one env');
  for (const [i, e] of c.envs.entries()) {
    checkKeys(e, CORPUS_ENV_KEYS, `corpus config: envs[${i}]`);
    checkName(e.name, envNames(), `corpus config: envs[${i}].name`);
    if (!e.levels?.length) bad(`env '${e.name}' needs a non-empty levels list`);
    if ((e.weight ?? 1) < 0) bad(`env '${e.name}' weight must be >= 0`);
  }
  if (!(c.feedbackFraction >= 0 && c.feedbackFraction <= 1)) bad(`feedbackFraction must be in [0, 1], got ${c.feedbackFraction}`);
  if (!(c.correctAttempt >= 0 && c.correctAttempt <= 1)) bad(`correctAttempt must be in [0, 1], got ${c.correctAttempt}`);
  if (!(c.plainSlip >= 0 && c.plainSlip <= 1)) bad(`plainSlip must be in [0, 1], got ${c.plainSlip}`);
  if (c.feedbackFraction > 0 && !Object.values(c.kinds).some((w) => w > 0)) bad('kinds needs a positive weight for some teacher context');
  checkKeys(c.kinds, teacherContextKinds(), 'corpus config: kinds', 'teacher context');
  checkName(c.loss, ['all', 'solution'], 'corpus config: loss');
  if (!(c.contextWeight >= 0)) bad(`contextWeight must be >= 0`);
  if (!(Number.isInteger(c.maxSlips) && c.maxSlips >= 1)) bad('maxSlips must be an integer >= 1');
  if (c.ownAttempts !== undefined && !(typeof c.ownAttempts === 'number' && c.ownAttempts >= 0 && c.ownAttempts <= 1))
    bad(`ownAttempts must be a number in [0, 1] (the share of feedback-conditioned attempts the model samples itself), got ${JSON.stringify(c.ownAttempts)}`);
  return c;
}

function pickWeighted<T>(rng: Rng, items: [T, number][]): T {
  const total = items.reduce((t, [, w]) => t + w, 0);
  let r = rng.next() * total;
  for (const [x, w] of items) if ((r -= w) < 0) return x;
  return items[items.length - 1][0];
}

/** Opens the configured envs once; `batch(n, seed)` then makes examples. */
export class Corpus {
  private constructor(readonly config: CorpusConfig, private envs: Map<string, Env>) {}

  static async open(config: CorpusConfig): Promise<Corpus> {
    validateCorpusConfig(config);
    const envs = new Map<string, Env>();
    for (const e of config.envs) if (!envs.has(e.name)) envs.set(e.name, await getEnv(e.name, e.options ?? {}));
    return new Corpus(config, envs);
  }

  async close(): Promise<void> {
    for (const e of this.envs.values()) await e.close?.();
  }

  env(name: string): Env {
    const e = this.envs.get(name);
    if (!e) throw new Error(`corpus: env '${name}' is not open`);
    return e;
  }

  /**
   * n examples, a pure function of (config, seed) (and, with ownAttempts > 0, of the model behind
   * `sampler`, called once with every own attempt). Train split only.
   */
  async batch(n: number, seed: number, sampler?: AttemptSampler): Promise<Example[]> {
    const c = this.config;
    const rng = new Rng(seed);
    // Which env each example comes from, then the env's tasks in one deterministic draw each.
    const specs = c.envs.map((e, i) => [i, e.weight ?? 1] as [number, number]);
    const which = Array.from({ length: n }, () => pickWeighted(rng, specs));
    const tasks: Task[][] = c.envs.map((e, i) => {
      const k = which.filter((w) => w === i).length;
      return k ? this.env(e.name).tasks('train', k, rng.nextU32(), { levels: e.levels }) : [];
    });
    const cursor = c.envs.map(() => 0);
    const kinds = Object.entries(c.kinds).filter(([, w]) => w > 0);
    // Draw every example's plan first (each from its own fork, in order), then sample the own
    // attempts in one call, then evaluate and render.
    const plans = which.map((i) => this.plan(tasks[i][cursor[i]++], rng.fork(), kinds));
    const own = plans.flatMap((p, j) => (p.attempt === OWN ? [j] : []));
    const texts = new Map<number, string>();
    if (own.length) {
      if (!sampler) throw new Error(`corpus: ownAttempts is ${c.ownAttempts}, so batch() needs an AttemptSampler (the model's own attempts)`);
      const got = await sampler(own.map((j) => ({ task: plans[j].task, seed: ownAttemptSeed(seed, j) })));
      if (got.length !== own.length) throw new Error(`corpus: the attempt sampler returned ${got.length} texts for ${own.length} requests`);
      own.forEach((j, k) => texts.set(j, got[k]));
    }
    const out: Example[] = [];
    for (let j = 0; j < plans.length; j++) out.push(await this.render(plans[j], texts.get(j)));
    return out;
  }

  private plan(task: Task, rng: Rng, kinds: [string, number][]): Plan {
    const c = this.config;
    if (task.reference === undefined) throw new Error(`corpus: task ${task.id} has no reference solution`);
    if (rng.next() >= c.feedbackFraction) {
      const slip = rng.next() < c.plainSlip;
      return { task, sort: slip ? 'plain-slip' : 'plain', plain: slip ? slippedAttempt(task, rng, c.maxSlips) : task.reference };
    }
    const kind = pickWeighted(rng, kinds);
    // Drawn only when the option is on, so ownAttempts 0 leaves every other draw where it was.
    if (c.ownAttempts && rng.next() < c.ownAttempts) return { task, sort: kind, attempt: OWN };
    let attempt = task.reference;
    if (rng.next() >= c.correctAttempt) attempt = slippedAttempt(task, rng, c.maxSlips);
    return { task, sort: kind, attempt };
  }

  private async render(p: Plan, ownText: string | undefined): Promise<Example> {
    const task = p.task;
    const base = { task, env: task.env, taskId: task.id, level: task.level };
    if (p.plain !== undefined) return { ...base, sort: p.sort, context: task.prompt, solution: p.plain };
    const isOwn = p.attempt === OWN;
    const attempt = isOwn ? ownText! : (p.attempt as string);
    const env = this.env(task.env);
    const outcome = await env.evaluate(task, attempt);
    // The peer context is filled from the group: the reference stands for a successful sibling.
    const group = [{ completion: task.reference!, outcome: await env.evaluate(task, task.reference!) }];
    const context = buildTeacherContext(p.sort, { task, completion: attempt, outcome, group });
    return { ...base, sort: p.sort, attempt, attemptCorrect: outcome.correct, ...(isOwn ? { ownAttempt: true as const } : {}), context, solution: task.reference! };
  }
}

/** Marks a plan whose attempt the model samples. */
const OWN: unique symbol = Symbol('own attempt');

/** An example before its attempt is evaluated: plain (its solution) or feedback-conditioned. */
interface Plan {
  task: Task;
  sort: string;
  plain?: string;
  attempt?: string | typeof OWN;
}

/** The training text of an example (without <eos>, which the tokenised form appends). */
export function exampleText(e: Example): string {
  return e.context + e.solution;
}

export interface EncodedExample {
  /** context + solution + eos. */
  ids: number[];
  /** Loss weight of predicting ids[t+1] from ids[..t], length ids.length - 1. */
  weights: number[];
}

/** Tokenises an example and weighs its next-token targets per the config's loss option. */
export function encodeExample(e: Example, encode: (s: string) => number[], eosId: number, c: Pick<CorpusConfig, 'loss' | 'contextWeight'>): EncodedExample {
  const ctx = encode(e.context);
  const sol = encode(e.solution);
  const ids = [...ctx, ...sol, eosId];
  const ctxW = c.loss === 'solution' ? 0 : c.contextWeight;
  // Target t is ids[t+1]: targets inside the context (t+1 < ctx.length) get the context weight.
  const weights = Array.from({ length: ids.length - 1 }, (_, t) => (t + 1 < ctx.length ? ctxW : 1));
  return { ids, weights };
}
