/**
 * The teacher gate (TINY_SETTING.md): before a pretrained checkpoint is used for RL, measure on
 * the env's TEST split, per difficulty level,
 *  - the student alone: sampled (T=1) and greedy accuracy;
 *  - shown the reference (context 'reference'), does it reproduce it exactly (every line, greedy);
 *  - shown a CORRECT attempt and its feedback, does it keep it (sampled output correct);
 *  - shown a WRONG attempt and its feedback, does it fix it (sampled output correct), against
 *    the student's own sampled accuracy on the same prompts (the teacher advantage).
 * Then pick a checkpoint: student accuracy inside a window at the RL levels and a teacher
 * advantage of at least `minAdvantage`; else the closest one.
 */
import { LocalBackend } from '../backends/local.ts';
import type { Env, Outcome, Task } from '../envs/types.ts';
import { buildTeacherContext } from '../feedback/contexts.ts';
import type { Tokenizer } from '../models/tokenizer.ts';
import type { Transformer } from '../nn/transformer.ts';
import { Rng } from '../util/rng.ts';
import type { GateConfig } from './pretrain-config.ts';
import { slippedAttempt } from './slips.ts';
import { tinyStopStrings } from './tiny.ts';

export interface KindRates {
  /** Teacher shown a correct attempt + feedback: its sampled output is correct. */
  keep: number;
  /** Teacher shown a wrong attempt + feedback: its sampled output is correct. */
  fix: number;
  /** Student's sampled accuracy on the prompts that had a wrong attempt. */
  studentSame: number;
  /** fix - studentSame. */
  advantage: number;
  nWrong: number;
}

export interface LevelGate {
  level: number;
  n: number;
  studentSampled: number;
  studentGreedy: number;
  /** Shown the reference, greedy output equals it exactly. */
  referenceExact: number;
  kinds: Record<string, KindRates>;
  /** TINY_SETTING's three conditions at this level (reference >= 95%, keep >= 90%, fix > student + minAdvantage). */
  pass: { reference: boolean; keep: boolean; fix: boolean };
}

export interface GateReport {
  step: number;
  env: string;
  levels: LevelGate[];
  /** Means over the RL levels. */
  rl: { student: number; advantage: number; bestKind: string; fix: number };
  table: string;
}

export interface GateChoice {
  step: number;
  passed: boolean;
  reason: string;
}

export interface GateFile {
  checkpoints: GateReport[];
  choice?: GateChoice;
}

/** Anything that can hand out an opened env by name (a Corpus does). */
export interface EnvSource {
  env(name: string): Env;
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

export async function runGate(model: Transformer, tokenizer: Tokenizer, cfg: GateConfig, envs: EnvSource & { config?: { envs: { name: string }[] } }, step: number): Promise<GateReport> {
  const envName = cfg.env ?? envs.config?.envs[0].name ?? 'math';
  const env = envs.env(envName);
  const backend = new LocalBackend(model, { tokenizer });
  const levels = cfg.levels ?? cfg.rlLevels;
  const out: LevelGate[] = [];
  for (const level of levels) out.push(await gateLevel(env, backend, tokenizer, cfg, level));
  const rlRows = out.filter((l) => cfg.rlLevels.includes(l.level));
  const student = mean(rlRows.map((l) => l.studentSampled));
  let bestKind = cfg.kinds[0] ?? '';
  let advantage = -Infinity;
  let fix = 0;
  for (const k of cfg.kinds) {
    const a = mean(rlRows.map((l) => l.kinds[k].advantage));
    if (a > advantage) [advantage, bestKind, fix] = [a, k, mean(rlRows.map((l) => l.kinds[k].fix))];
  }
  const report: GateReport = { step, env: envName, levels: out, rl: { student, advantage, bestKind, fix }, table: '' };
  report.table = gateTable(report, cfg);
  return report;
}

async function gateLevel(env: Env, backend: LocalBackend, tok: Tokenizer, cfg: GateConfig, level: number): Promise<LevelGate> {
  const tasks = env.tasks('test', cfg.n, cfg.seed, { levels: [level] });
  const seed = (i: number, what: number) => (Math.imul(cfg.seed + 1, 0x9e3779b1) ^ Math.imul(level * 1000 + i + 1, 0x85ebca6b) ^ Math.imul(what + 1, 0xc2b2ae35)) >>> 0;
  const budget = (t: Task) => Math.ceil(tok.encode(t.reference ?? '').length * 1.5) + 8;
  const gen = async (reqs: { context: string; task: Task; temperature: number; seed: number }[]) => {
    const texts: string[] = [];
    for (let i = 0; i < reqs.length; i += cfg.batch) {
      const chunk = reqs.slice(i, i + cfg.batch);
      const res = await backend.sample(chunk.map((r) => ({ prompt: tok.encode(r.context), maxTokens: budget(r.task), temperature: r.temperature, seed: r.seed, stop: tinyStopStrings(r.task.prompt) })));
      texts.push(...res.map((c) => c.text));
    }
    return texts;
  };
  const correct = async (task: Task, text: string) => (await env.evaluate(task, text)).correct;

  // Every generation of the level goes into one request list, so the decoder runs few, wide batches.
  const refOutcomes: Outcome[] = await Promise.all(tasks.map((t) => env.evaluate(t, t.reference!)));
  const group = (i: number) => [{ completion: tasks[i].reference!, outcome: refOutcomes[i] }];
  // One wrong attempt per prompt (the same for every kind), from a per-prompt generator.
  const wrong: { i: number; attempt: string; outcome: Outcome }[] = [];
  for (let i = 0; i < tasks.length; i++) {
    const attempt = slippedAttempt(tasks[i], new Rng(seed(i, 3)), 1);
    const outcome = await env.evaluate(tasks[i], attempt);
    if (!outcome.correct) wrong.push({ i, attempt, outcome });
  }
  type Req = { context: string; task: Task; temperature: number; seed: number };
  const reqs: Req[] = [];
  const add = (rs: Req[]) => {
    const at = reqs.length;
    reqs.push(...rs);
    return at;
  };
  const atSampled = add(tasks.map((t, i) => ({ context: t.prompt, task: t, temperature: 1, seed: seed(i, 0) })));
  const atGreedy = add(tasks.map((t, i) => ({ context: t.prompt, task: t, temperature: 0, seed: seed(i, 1) })));
  const atCopy = add(tasks.map((t, i) => ({
    context: buildTeacherContext('reference', { task: t, completion: t.reference!, outcome: refOutcomes[i], group: group(i) }), task: t, temperature: 0, seed: seed(i, 2),
  })));
  const atKind = cfg.kinds.map((kind, k) => ({
    keep: add(tasks.map((t, i) => ({
      context: buildTeacherContext(kind, { task: t, completion: t.reference!, outcome: refOutcomes[i], group: group(i) }), task: t, temperature: 1, seed: seed(i, 10 + 2 * k),
    }))),
    fix: add(wrong.map((w) => ({
      context: buildTeacherContext(kind, { task: tasks[w.i], completion: w.attempt, outcome: w.outcome, group: group(w.i) }), task: tasks[w.i], temperature: 1, seed: seed(w.i, 11 + 2 * k),
    }))),
  }));
  const texts = await gen(reqs);
  const ok = await Promise.all(reqs.map((r, j) => correct(r.task, texts[j])));
  const studentOk = tasks.map((_, i) => ok[atSampled + i]);
  const greedyOk = tasks.map((_, i) => ok[atGreedy + i]);
  const referenceExact = mean(tasks.map((t, i) => (texts[atCopy + i].trim() === t.reference!.trim() ? 1 : 0)));
  const kinds: Record<string, KindRates> = {};
  cfg.kinds.forEach((kind, k) => {
    const keep = mean(tasks.map((_, i) => (ok[atKind[k].keep + i] ? 1 : 0)));
    const fix = mean(wrong.map((_, j) => (ok[atKind[k].fix + j] ? 1 : 0)));
    const studentSame = mean(wrong.map((w) => (studentOk[w.i] ? 1 : 0)));
    kinds[kind] = { keep, fix, studentSame, advantage: fix - studentSame, nWrong: wrong.length };
  });
  const rates = Object.values(kinds);
  return {
    level,
    n: tasks.length,
    studentSampled: mean(studentOk.map(Number)),
    studentGreedy: mean(greedyOk.map(Number)),
    referenceExact,
    kinds,
    pass: {
      reference: referenceExact >= 0.95,
      keep: rates.length > 0 && Math.max(...rates.map((r) => r.keep)) >= 0.9,
      fix: rates.length > 0 && Math.max(...rates.map((r) => r.advantage)) >= cfg.minAdvantage,
    },
  };
}

const pct = (x: number) => `${(100 * x).toFixed(0)}`.padStart(4);

export function gateTable(r: GateReport, cfg: GateConfig): string {
  const head = ['level', '   n', 'stuT1', 'greedy', ' ref='];
  for (const k of cfg.kinds) head.push(`keep:${k}`, `fix:${k}`, `adv:${k}`);
  const lines = [`gate at step ${r.step} (${r.env}, test split, %)`, head.join(' | ')];
  for (const l of r.levels) {
    const row = [String(l.level).padStart(5), String(l.n).padStart(4), pct(l.studentSampled).padStart(5), pct(l.studentGreedy).padStart(6), pct(l.referenceExact).padStart(5)];
    for (const k of cfg.kinds) {
      const x = l.kinds[k];
      row.push(pct(x.keep).padStart(5 + k.length), pct(x.fix).padStart(4 + k.length), `${x.advantage >= 0 ? '+' : ''}${(100 * x.advantage).toFixed(0)}`.padStart(4 + k.length));
    }
    lines.push(row.join(' | ') + (cfg.rlLevels.includes(l.level) ? '  (RL)' : ''));
  }
  lines.push(`RL levels ${cfg.rlLevels.join(',')}: student ${pct(r.rl.student).trim()}%, teacher (${r.rl.bestKind}) fix ${pct(r.rl.fix).trim()}%, advantage ${(100 * r.rl.advantage).toFixed(0)} points`);
  return lines.join('\n');
}

/** How far a checkpoint is from the rule (0 = passes). */
export function gateDistance(r: GateReport, cfg: GateConfig): number {
  const [lo, hi] = cfg.studentRange;
  return Math.max(0, lo - r.rl.student, r.rl.student - hi) + Math.max(0, cfg.minAdvantage - r.rl.advantage);
}

/**
 * The rule: among checkpoints whose RL-level student accuracy is inside the window and whose
 * teacher advantage reaches minAdvantage, the one with the largest advantage; else the one
 * closest to passing (later step on ties).
 */
export function pickCheckpoint(reports: GateReport[], cfg: GateConfig): GateChoice | undefined {
  if (!reports.length) return undefined;
  const passing = reports.filter((r) => gateDistance(r, cfg) === 0);
  const describe = (r: GateReport) => `student ${(100 * r.rl.student).toFixed(0)}% at levels ${cfg.rlLevels.join(',')}, teacher (${r.rl.bestKind}) advantage ${(100 * r.rl.advantage).toFixed(0)} points`;
  if (passing.length) {
    const best = passing.reduce((a, b) => (b.rl.advantage > a.rl.advantage ? b : a));
    return { step: best.step, passed: true, reason: `passes: ${describe(best)}` };
  }
  const best = reports.reduce((a, b) => (gateDistance(b, cfg) <= gateDistance(a, cfg) ? b : a));
  return { step: best.step, passed: false, reason: `none passes; closest: ${describe(best)} (distance ${gateDistance(best, cfg).toFixed(2)})` };
}
