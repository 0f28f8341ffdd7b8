/**
 * Learning curves: greedy and sampled accuracy against training steps, sampled tokens and wall
 * time, one line per method (mean over seeds) with its 95% band; then training-side metrics over steps,
 * including how far the teacher is from the student.
 */
import type { Assets } from '../assets.ts';
import { evalRows, gapKeys, MASS_GAP, METRIC_NAME, METRICS, SAMPLE_DISAGREEMENT, X_AXES } from '../analyze.ts';
import { accuracyFigure, metricFigure } from '../figures.ts';
import { esc, section } from '../html.ts';
import type { Group } from '../runs.ts';

function byEnv(groups: readonly Group[]): Map<string, Group[]> {
  const m = new Map<string, Group[]>();
  for (const g of groups) m.set(g.env, [...(m.get(g.env) ?? []), g]);
  return m;
}

export function curvesSection(groups: readonly Group[], pctFactor: number, assets: Assets): string {
  const parts: string[] = [];
  for (const [env, gs] of byEnv(groups)) {
    const figs: string[] = [];
    // Groups without evaluations are drawn from their training batches; say so.
    const trainOnly = gs.filter((g) => g.runs.every((r) => evalRows(r, env).length === 0)).map((g) => g.label);
    const note = trainOnly.length ? ` ${esc(trainOnly.join(', '))}: accuracy on training batches (no eval.jsonl).` : '';
    // Greedy accuracy first (absent in runs made before it was recorded), then sampled.
    for (const metric of METRICS) {
      for (const ax of X_AXES) {
        const fig = accuracyFigure(env, gs, ax, pctFactor, metric);
        if (!fig) continue;
        const what = METRIC_NAME[metric];
        const missing = gs.length - fig.spec.series.length;
        figs.push(
          assets.figure(
            `${metric === 'greedy' ? 'greedy' : 'curve'}-${env}-${ax.name}`,
            () => fig,
            `${env}: ${what} against ${fig.unit}`,
            `${esc(env)}: ${esc(what)} against ${esc(fig.unit)}. Line: mean over seeds; shaded: 95% interval over seeds` +
              (ax.key === 'step' ? '.' : ' (seeds interpolated onto a common grid where their x values differ).') +
              (metric === 'sampled' ? note : missing ? ` ${missing} method(s) recorded no greedy accuracy.` : ''),
          ),
        );
      }
    }
    if (figs.length) parts.push(`<h3>${esc(env)}</h3>\n${figs.join('\n')}`);
  }
  const body = parts.length ? parts.join('\n') : '<p class="muted">No accuracy over training was recorded.</p>';
  return section('curves', 'Learning curves', body);
}

const DESCRIBE: Record<string, string> = {
  [MASS_GAP]: 'teacher mass minus student mass on the sampled tokens',
  gap: 'teacher-student gap',
  teacher_mass: 'probability the teacher gives the sampled tokens',
  [SAMPLE_DISAGREEMENT]: 'average over the tokens of the few rollouts logged at each step',
};

export function gapSection(groups: readonly Group[], assets: Assets): string {
  const metricKeys = gapKeys(groups);
  // Without a logged gap, the disagreement recorded on the sampled rollouts measures it too.
  const hasGap = metricKeys.some((k) => k === MASS_GAP || /gap/i.test(k));
  const keys = hasGap ? metricKeys : [...metricKeys, SAMPLE_DISAGREEMENT];
  const parts: string[] = [];
  for (const [env, gs] of byEnv(groups)) {
    const figs: string[] = [];
    for (const key of keys) {
      const fig = metricFigure(env, gs, key);
      if (!fig) continue;
      figs.push(
        assets.figure(
          `gap-${env}-${key}`,
          () => fig,
          `${env}: ${key} over training`,
          `${esc(env)}: <code>${esc(key)}</code>${DESCRIBE[key] ? ` (${esc(DESCRIBE[key])})` : ''} from ` +
            `${key === SAMPLE_DISAGREEMENT ? 'the logged rollouts' : 'metrics.jsonl'}, mean over seeds with 95% band.`,
        ),
      );
    }
    if (figs.length) parts.push(`<h3>${esc(env)}</h3>\n${figs.join('\n')}`);
  }
  const intro =
    '<p>How far the teacher (which sees the feedback) is from the student (which does not), measured on the ' +
    "student's own rollouts. A gap that shrinks means the student has absorbed what the feedback taught the teacher; " +
    'a gap near zero from the start means there was little to distil.</p>';
  const body = parts.length ? intro + parts.join('\n') : '<p class="muted">No teacher-student metric (gap, teacher KL or masses) in metrics.jsonl.</p>';
  return section('gap', 'Teacher-student gap over training', body);
}

export function trainingSection(groups: readonly Group[], assets: Assets): string {
  const parts: string[] = [];
  for (const [env, gs] of byEnv(groups)) {
    const figs: string[] = [];
    for (const key of ['reward', 'loss', 'grad_norm', 'kl_init']) {
      const fig = metricFigure(env, gs, key, `${env}: training ${key}`);
      if (!fig) continue;
      figs.push(
        assets.figure(
          `train-${env}-${key}`,
          () => fig,
          `${env}: training ${key}`,
          `${esc(env)}: <code>${esc(key)}</code> on training batches (metrics.jsonl), mean over seeds with 95% band.`,
        ),
      );
    }
    if (figs.length) parts.push(`<h3>${esc(env)}</h3>\n${figs.join('\n')}`);
  }
  if (!parts.length) return '';
  return section(
    'training',
    'Training signals',
    `<details><summary>Reward, loss, gradient norm and drift from the initial policy during training</summary>\n${parts.join('\n')}\n</details>`,
  );
}
