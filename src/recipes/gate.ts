/**
 * The teacher gate (docs/tiny-setting.md): before a pretrained checkpoint is used for RL, measure on
 * the env's TEST split, per difficulty level,
 *  - the student alone: sampled (T=1) and greedy accuracy;
 *  - shown the reference (context 'reference'), does it reproduce it exactly (every line, greedy);
 *  - shown a CORRECT attempt and its feedback, does it keep it (sampled output correct);
 *  - shown a WRONG attempt and its feedback, does it fix it (sampled output correct), against
 *    the student's own sampled accuracy on the same prompts (the teacher advantage);
 *  - on-policy ("own"): shown the student's OWN T=1 sample (the one of the sampled column) and
 *    its env feedback, is its sampled output correct: what the RL methods show the teacher;
 *    and the same decoded greedily (`ownGreedy`), against the student's GREEDY accuracy: the
 *    learning-regime rule, where a teacher must know what the student's best guess does not.
 * Then pick a checkpoint: student accuracy inside a window at the RL levels and a teacher
 * advantage of at least `minAdvantage` (rule 'sampled': the student's T=1 accuracy and the fix
 * rate on synthetic slips; rule 'greedy': the student's greedy accuracy and the teacher's greedy
 * accuracy on the student's own samples); else the closest one.
 */
import { LocalBackend } from '../backends/local.ts';
import type { TextSampler } from '../backends/types.ts';
import type { Env, Outcome, Task } from '../envs/types.ts';
import { buildTeacherContext } from '../feedback/contexts.ts';
import type { Tokenizer } from '../models/tokenizer.ts';
import type { Transformer } from '../nn/transformer.ts';
import { Rng } from '../util/rng.ts';
import type { GateConfig } from './pretrain-config.ts';
import { slippedAttempt } from './slips.ts';
import { attemptBudget, tinyStopStrings } from './tiny.ts';

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
  /**
   * On-policy: teacher's sampled (T=1) accuracy over ALL prompts when shown the student's own T=1
   * sample (the one behind studentSampled) and its feedback = the accuracy of "the student
   * samples, the teacher rewrites after feedback". Optional: gate files before it lack it.
   */
  own?: number;
  /** `own` over the prompts where the student's sample was wrong (its own wrong attempts). */
  ownFix?: number;
  /** `own` over the prompts where the student's sample was right (keeps its own correct attempts). */
  ownKeep?: number;
  /**
   * own - studentSampled (same prompts, all of them) = (1-s)*ownFix - s*(1-ownKeep), s the
   * student's accuracy: what rewriting the student's own attempts after feedback gains.
   */
  ownAdv?: number;
  /** Prompts whose own sample was wrong (the ownFix denominator; n - ownWrong is ownKeep's). */
  ownWrong?: number;
  /** As `own`, the teacher decoding greedily (T=0): over all prompts. */
  ownGreedy?: number;
  /** `ownGreedy` over the prompts where the student's sample was wrong. */
  ownGreedyFix?: number;
  /** ownGreedy - studentGreedy (same prompts): the learning-regime advantage. */
  ownGreedyAdv?: number;
}

export interface LevelGate {
  level: number;
  n: number;
  studentSampled: number;
  studentGreedy: number;
  /** Shown the reference, greedy output equals it exactly. */
  referenceExact: number;
  kinds: Record<string, KindRates>;
  /** The gate's three conditions at this level (reference >= 95%, keep >= 90%, fix > student + minAdvantage). */
  pass: { reference: boolean; keep: boolean; fix: boolean };
}

export interface GateReport {
  step: number;
  env: string;
  levels: LevelGate[];
  /** Means over the RL levels. */
  rl: {
    student: number; advantage: number; bestKind: string; fix: number; own?: Record<string, number>;
    /** Greedy student and, per kind, the greedy teacher on the student's own samples. */
    studentGreedy?: number; ownGreedy?: Record<string, number>;
    /** Best kind by ownGreedy - studentGreedy, and that difference. */
    greedyBestKind?: string; greedyAdvantage?: number;
  };
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

/** What the gate samples with (a LocalBackend does; tests pass a stub). */
export type GateSampler = TextSampler;

const isSampler = (m: Transformer | GateSampler): m is GateSampler => typeof (m as Partial<GateSampler>).sample === 'function';

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

/** `model`: the checkpoint to gate, or anything that samples (a stub in tests). */
export async function runGate(model: Transformer | GateSampler, tokenizer: Tokenizer, cfg: GateConfig, envs: EnvSource & { config?: { envs: { name: string }[] } }, step: number): Promise<GateReport> {
  const envName = cfg.env ?? envs.config?.envs[0].name ?? 'math';
  const env = envs.env(envName);
  const backend: GateSampler = isSampler(model) ? model : new LocalBackend(model, { tokenizer });
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
  const own = Object.fromEntries(cfg.kinds.map((k) => [k, mean(rlRows.map((l) => l.kinds[k].own ?? 0))]));
  const studentGreedy = mean(rlRows.map((l) => l.studentGreedy));
  const ownGreedy = Object.fromEntries(cfg.kinds.map((k) => [k, mean(rlRows.map((l) => l.kinds[k].ownGreedy ?? 0))]));
  const greedyBestKind = cfg.kinds.reduce((a, b) => (ownGreedy[b] > ownGreedy[a] ? b : a), cfg.kinds[0] ?? '');
  const greedyAdvantage = (ownGreedy[greedyBestKind] ?? 0) - studentGreedy;
  const report: GateReport = {
    step, env: envName, levels: out, table: '',
    rl: { student, advantage, bestKind, fix, own, studentGreedy, ownGreedy, greedyBestKind, greedyAdvantage },
  };
  report.table = gateTable(report, cfg);
  return report;
}

async function gateLevel(env: Env, backend: GateSampler, tok: Tokenizer, cfg: GateConfig, level: number): Promise<LevelGate> {
  const tasks = env.tasks('test', cfg.n, cfg.seed, { levels: [level] });
  const seed = (i: number, what: number) => (Math.imul(cfg.seed + 1, 0x9e3779b1) ^ Math.imul(level * 1000 + i + 1, 0x85ebca6b) ^ Math.imul(what + 1, 0xc2b2ae35)) >>> 0;
  const budget = (t: Task) => attemptBudget(tok, t);
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

  // On-policy: the teacher shown the student's own T=1 sample (drawn above) and its feedback. It
  // needs those samples, so it is a second request list of the level (all kinds in one list).
  const ownOutcomes: Outcome[] = await Promise.all(tasks.map((t, i) => env.evaluate(t, texts[atSampled + i])));
  // Each kind twice: sampled (T=1) then greedy (T=0), same contexts.
  const ownReqs: Req[] = [1, 0].flatMap((temperature) => cfg.kinds.flatMap((kind, k) => tasks.map((t, i) => ({
    context: buildTeacherContext(kind, { task: t, completion: texts[atSampled + i], outcome: ownOutcomes[i], group: group(i) }), task: t, temperature, seed: seed(i, 100 + k),
  }))));
  const ownTexts = await gen(ownReqs);
  const ownOk = await Promise.all(ownReqs.map((r, j) => correct(r.task, ownTexts[j])));
  const greedyOk = tasks.map((_, i) => ok[atGreedy + i]);
  const referenceExact = mean(tasks.map((t, i) => (texts[atCopy + i].trim() === t.reference!.trim() ? 1 : 0)));
  const kinds: Record<string, KindRates> = {};
  cfg.kinds.forEach((kind, k) => {
    const keep = mean(tasks.map((_, i) => (ok[atKind[k].keep + i] ? 1 : 0)));
    const fix = mean(wrong.map((_, j) => (ok[atKind[k].fix + j] ? 1 : 0)));
    const studentSame = mean(wrong.map((w) => (studentOk[w.i] ? 1 : 0)));
    const teacher = tasks.map((_, i) => (ownOk[k * tasks.length + i] ? 1 : 0));
    const teacherGreedy = tasks.map((_, i) => (ownOk[(cfg.kinds.length + k) * tasks.length + i] ? 1 : 0));
    const own = mean(teacher);
    const ownWrongIdx = tasks.map((_, i) => i).filter((i) => !ownOutcomes[i].correct);
    const ownRightIdx = tasks.map((_, i) => i).filter((i) => ownOutcomes[i].correct);
    kinds[kind] = {
      keep, fix, studentSame, advantage: fix - studentSame, nWrong: wrong.length,
      own,
      ownFix: mean(ownWrongIdx.map((i) => teacher[i])),
      ownKeep: mean(ownRightIdx.map((i) => teacher[i])),
      ownAdv: own - mean(studentOk.map(Number)),
      ownWrong: ownWrongIdx.length,
      ownGreedy: mean(teacherGreedy),
      ownGreedyFix: mean(ownWrongIdx.map((i) => teacherGreedy[i])),
      ownGreedyAdv: mean(teacherGreedy) - mean(greedyOk.map(Number)),
    };
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

/**
 * The printed gate: per level the student (stuT1, greedy), ref=, per kind keep/fix/adv on the
 * synthetic attempts, then per kind the on-policy `own` (all prompts) and `ownfix` (the student's
 * wrong samples); ownKeep/ownAdv are in the report (gate.json) only.
 */
export function gateTable(r: GateReport, cfg: GateConfig): string {
  const head = ['level', '   n', 'stuT1', 'greedy', ' ref='];
  for (const k of cfg.kinds) head.push(`keep:${k}`, `fix:${k}`, `adv:${k}`);
  for (const k of cfg.kinds) head.push(`own:${k}`, `ownfix:${k}`);
  for (const k of cfg.kinds) head.push(`ownG:${k}`);
  const lines = [`gate at step ${r.step} (${r.env}, test split, %)`, head.join(' | ')];
  for (const l of r.levels) {
    const row = [String(l.level).padStart(5), String(l.n).padStart(4), pct(l.studentSampled).padStart(5), pct(l.studentGreedy).padStart(6), pct(l.referenceExact).padStart(5)];
    for (const k of cfg.kinds) {
      const x = l.kinds[k];
      row.push(pct(x.keep).padStart(5 + k.length), pct(x.fix).padStart(4 + k.length), `${x.advantage >= 0 ? '+' : ''}${(100 * x.advantage).toFixed(0)}`.padStart(4 + k.length));
    }
    for (const k of cfg.kinds) {
      const x = l.kinds[k];
      const p = (v: number | undefined, w: number) => (v === undefined ? '–' : pct(v).trim()).padStart(w);
      row.push(p(x.own, 4 + k.length), p(x.ownFix, 7 + k.length));
    }
    for (const k of cfg.kinds) {
      const v = l.kinds[k].ownGreedy;
      row.push((v === undefined ? '–' : pct(v).trim()).padStart(5 + k.length));
    }
    lines.push(row.join(' | ') + (cfg.rlLevels.includes(l.level) ? '  (RL)' : ''));
  }
  lines.push(`RL levels ${cfg.rlLevels.join(',')}: student ${pct(r.rl.student).trim()}%, teacher (${r.rl.bestKind}) fix ${pct(r.rl.fix).trim()}%, advantage ${(100 * r.rl.advantage).toFixed(0)} points`);
  if (r.rl.own && Object.keys(r.rl.own).length) {
    const parts = Object.entries(r.rl.own).map(([k, v]) => `${k} ${pct(v).trim()}%`);
    lines.push(`  on the student's own samples, teacher after feedback: ${parts.join(', ')} (student ${pct(r.rl.student).trim()}%)`);
  }
  if (r.rl.ownGreedy && r.rl.studentGreedy !== undefined) {
    const parts = Object.entries(r.rl.ownGreedy).map(([k, v]) => `${k} ${pct(v).trim()}%`);
    lines.push(`  greedy: student ${pct(r.rl.studentGreedy).trim()}%, teacher on the student's own samples after feedback: ${parts.join(', ')} (advantage ${(100 * (r.rl.greedyAdvantage ?? 0)).toFixed(0)} points, ${r.rl.greedyBestKind})`);
  }
  return lines.join('\n');
}

/** How far a checkpoint is from the rule (0 = passes). */
export function gateDistance(r: GateReport, cfg: GateConfig): number {
  const [lo, hi] = cfg.studentRange;
  const { student, advantage } = ruleValues(r, cfg);
  return Math.max(0, lo - student, student - hi) + Math.max(0, cfg.minAdvantage - advantage);
}

/** The student accuracy and teacher advantage the config's rule judges. */
function ruleValues(r: GateReport, cfg: GateConfig): { student: number; advantage: number; kind: string } {
  if (cfg.rule !== 'greedy') return { student: r.rl.student, advantage: r.rl.advantage, kind: r.rl.bestKind };
  if (r.rl.studentGreedy === undefined || r.rl.greedyAdvantage === undefined) return { student: NaN, advantage: -Infinity, kind: '' };
  return { student: r.rl.studentGreedy, advantage: r.rl.greedyAdvantage, kind: r.rl.greedyBestKind ?? '' };
}

/**
 * The rule: among checkpoints whose RL-level student accuracy is inside the window and whose
 * teacher advantage reaches minAdvantage, the one with the largest advantage; else the one
 * closest to passing (later step on ties).
 */
export function pickCheckpoint(reports: GateReport[], cfg: GateConfig): GateChoice | undefined {
  if (!reports.length) return undefined;
  const passing = reports.filter((r) => gateDistance(r, cfg) === 0);
  const describe = (r: GateReport) => {
    const v = ruleValues(r, cfg);
    const how = cfg.rule === 'greedy' ? 'greedy student' : 'student';
    return `${how} ${(100 * v.student).toFixed(0)}% at levels ${cfg.rlLevels.join(',')}, teacher (${v.kind}) advantage ${(100 * v.advantage).toFixed(0)} points`;
  };
  if (passing.length) {
    const best = passing.reduce((a, b) => (ruleValues(b, cfg).advantage > ruleValues(a, cfg).advantage ? b : a));
    return { step: best.step, passed: true, reason: `passes: ${describe(best)}` };
  }
  const best = reports.reduce((a, b) => (gateDistance(b, cfg) <= gateDistance(a, cfg) ? b : a));
  return { step: best.step, passed: false, reason: `none passes; closest: ${describe(best)} (distance ${gateDistance(best, cfg).toFixed(2)})` };
}
