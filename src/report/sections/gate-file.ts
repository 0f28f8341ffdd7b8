/**
 * The gate.json that `distil pretrain` writes ({checkpoints: [{step, env, levels, rl}], choice}):
 * one table per checkpoint with a row per difficulty level, each criterion coloured by whether
 * it passed, the chosen checkpoint, and a chart of teacher vs student over the checkpoints.
 * Only the shape is relied on, nothing is imported from the pretraining code.
 */
import type { FigureSink } from '../assets.ts';
import { esc, table } from '../html.ts';
import { lineChart } from '../charts/index.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);
const n = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** Does this gate.json have the checkpoints/levels layout? */
export function isGateFile(v: unknown): v is { checkpoints: Obj[]; choice?: Obj } {
  return isObj(v) && Array.isArray(v.checkpoints) && v.checkpoints.length > 0 && v.checkpoints.every((c) => isObj(c) && Array.isArray(c.levels));
}

const pc = (v: unknown) => (n(v) === undefined ? '–' : (n(v)! * 100).toFixed(0));
const pts = (v: unknown) => (n(v) === undefined ? '–' : `${n(v)! >= 0 ? '+' : ''}${(n(v)! * 100).toFixed(0)}`);

/** A number cell, green or red when a pass flag applies to it. */
function judged(text: string, pass: unknown): string {
  const cls = pass === true ? ' pass' : pass === false ? ' fail' : '';
  return `<span class="num${cls}">${esc(text)}</span>`;
}

function checkpointTable(c: Obj): string {
  const levels = (c.levels as unknown[]).filter(isObj);
  const kinds = [...new Set(levels.flatMap((l) => (isObj(l.kinds) ? Object.keys(l.kinds) : [])))];
  // On-policy columns (teacher shown the student's own sample), in gate files that have them.
  const ownKinds = kinds.filter((k) => levels.some((l) => isObj(l.kinds) && isObj(l.kinds[k]) && n((l.kinds[k] as Obj).own) !== undefined));
  const head = [
    'level', 'n', 'student sampled', 'student greedy', 'teacher reproduces reference',
    ...kinds.flatMap((k) => [`keep (${esc(k)})`, `fix (${esc(k)})`, `fix − student (${esc(k)}, points)`]),
    ...ownKinds.flatMap((k) => [`on own samples (${esc(k)})`, `fixes own wrong (${esc(k)})`, `keeps own right (${esc(k)})`, `own − student (${esc(k)}, points)`]),
  ];
  const rows = levels.map((l) => {
    const pass = isObj(l.pass) ? l.pass : {};
    const ks = isObj(l.kinds) ? l.kinds : {};
    return [
      esc(l.level ?? '–'),
      esc(l.n ?? '–'),
      `<span class="num">${pc(l.studentSampled)}</span>`,
      `<span class="num">${pc(l.studentGreedy)}</span>`,
      judged(pc(l.referenceExact), pass.reference),
      ...kinds.flatMap((k) => {
        const r = isObj(ks[k]) ? (ks[k] as Obj) : {};
        return [judged(pc(r.keep), pass.keep), judged(pc(r.fix), pass.fix), `<span class="num">${pts(r.advantage)}</span>`];
      }),
      ...ownKinds.flatMap((k) => {
        const r = isObj(ks[k]) ? (ks[k] as Obj) : {};
        return [pc(r.own), pc(r.ownFix), pc(r.ownKeep), pts(r.ownAdv)].map((x) => `<span class="num">${x}</span>`);
      }),
    ];
  });
  const rl = isObj(c.rl) ? c.rl : undefined;
  const rlLine = rl
    ? `<p class="small">On the RL levels: student ${pc(rl.student)}%, teacher (${esc(rl.bestKind ?? '?')}) fixes ${pc(rl.fix)}% of wrong attempts, ` +
      `${pts(rl.advantage)} points over the student.</p>`
    : '';
  const text = typeof c.table === 'string' ? `<details><summary>as printed by distil pretrain</summary><pre>${esc(c.table)}</pre></details>` : '';
  const ownNote = ownKinds.length
    ? '<p class="small muted">On own samples: the teacher shown the student\'s own sampled attempt (the student-sampled column) and its feedback; ' +
      'accuracy over all prompts, over those the student got wrong, and over those it got right.</p>'
    : '';
  return `<h4>checkpoint step ${esc(c.step ?? '?')}${c.env !== undefined ? ` · ${esc(c.env)}` : ''}</h4>\n${table(head, rows, 'gate')}\n${rlLine}${ownNote}${text}`;
}

export function gateFileHtml(g: { checkpoints: Obj[]; choice?: Obj }, runName: string, assets: FigureSink): string {
  const parts: string[] = [];
  const ch = g.choice;
  if (isObj(ch)) {
    const verdict = ch.passed === true ? '<span class="pass">passes the gate</span>' : '<span class="fail">does not pass the gate</span>';
    parts.push(`<p><b>Chosen checkpoint: step ${esc(ch.step ?? '?')}</b>, which ${verdict}. ${esc(ch.reason ?? '')}</p>`);
  }
  parts.push('<p class="small muted">All values in %. Green: the criterion passes at that level; red: it fails.</p>');
  const cps = g.checkpoints.filter((c) => isObj(c.rl) && n(c.step) !== undefined);
  if (cps.length >= 2) {
    const x = cps.map((c) => n(c.step)!);
    const series = [
      { name: 'student alone (sampled)', y: cps.map((c) => (n((c.rl as Obj).student) ?? NaN) * 100) },
      { name: 'teacher with feedback: fixes', y: cps.map((c) => (n((c.rl as Obj).fix) ?? NaN) * 100) },
    ];
    parts.push(
      assets.figure(
        `gate-${runName}`,
        () => lineChart({ title: 'Teacher vs student over pretraining (RL levels)', xLabel: 'pretraining step', yLabel: '%', series: series.map((s) => ({ ...s, x })) }),
        'teacher fix rate and student accuracy over pretraining checkpoints',
        'On the RL levels, per checkpoint: how often the student solves a task alone, and how often the teacher, shown a wrong attempt and its feedback, fixes it. The gap between them is what distillation can transfer.',
      ),
    );
  }
  parts.push(...g.checkpoints.map(checkpointTable));
  return parts.join('\n');
}
