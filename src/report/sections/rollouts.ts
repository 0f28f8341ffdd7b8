/**
 * Example rollouts: the prompt, the completion with each token shaded by how much teacher and
 * student disagreed there, the reward, the feedback, and (folded) the exact context the
 * teacher saw. Everything here is model or env output, so everything is escaped.
 */
import { num, str, type Row } from '../jsonl.ts';
import { esc, section } from '../html.ts';
import type { Group } from '../runs.ts';

/** Up to `per` samples of a group from its latest step: a wrong one first (it has feedback), then a right one. */
export function pickSamples(group: Group, per = 2): { row: Row; run: string }[] {
  const all = group.runs.flatMap((r) =>
    r.samples.filter((s) => (str(s, 'env') ?? r.env ?? 'default') === group.env).map((row) => ({ row, run: r.name })),
  );
  if (all.length === 0) return [];
  const lastStep = Math.max(...all.map((s) => num(s.row, 'step') ?? -Infinity));
  const latest = all.filter((s) => (num(s.row, 'step') ?? -Infinity) === lastStep);
  const wrong = latest.filter((s) => s.row.correct === false);
  const right = latest.filter((s) => s.row.correct === true);
  const other = latest.filter((s) => typeof s.row.correct !== 'boolean');
  const out: { row: Row; run: string }[] = [];
  for (const pool of [wrong, right, other, wrong.slice(1), right.slice(1)]) {
    if (out.length < per && pool.length) {
      const s = pool.find((p) => !out.includes(p));
      if (s) out.push(s);
    }
  }
  return out;
}

/** White (0) to red (>= max) as a CSS colour. */
export function shade(v: number, max: number): string {
  const t = max > 0 && Number.isFinite(v) ? Math.max(0, Math.min(1, v / max)) : 0;
  const r = Math.round(255 - 35 * t), gb = Math.round(255 - 215 * t);
  return `rgb(${r},${gb},${gb})`;
}

/** A robust top of the shading scale: the 95th percentile of the values (extremes saturate). */
export function shadeMax(values: number[]): number {
  const v = values.filter((x) => Number.isFinite(x) && x > 0).sort((a, b) => a - b);
  if (v.length === 0) return 0;
  return v[Math.min(v.length - 1, Math.floor(0.95 * (v.length - 1)))];
}

function tokensHtml(row: Row, max: number): string {
  const tokens = Array.isArray(row.tokens) ? row.tokens.map(String) : undefined;
  const dis = Array.isArray(row.disagreement) ? row.disagreement : undefined;
  if (!tokens) return `<pre>${esc(str(row, 'completion') ?? '')}</pre>`;
  const spans = tokens.map((t, i) => {
    const d = dis?.[i];
    if (typeof d !== 'number' || !Number.isFinite(d)) return `<span>${esc(t)}</span>`;
    return `<span style="background:${shade(d, max)}" title="disagreement ${d.toFixed(3)}">${esc(t)}</span>`;
  });
  return `<pre class="tokens">${spans.join('')}</pre>`;
}

function feedbackHtml(fb: unknown): string {
  if (fb === undefined || fb === null) return '<span class="muted">none</span>';
  if (typeof fb === 'string') return `<pre>${esc(fb)}</pre>`;
  if (typeof fb === 'object' && !Array.isArray(fb)) {
    const o = fb as Row;
    const items = Array.isArray(o.items) ? o.items : [];
    const lis = items.map((it) => {
      if (!it || typeof it !== 'object') return `<li>${esc(JSON.stringify(it))}</li>`;
      const r = it as Row;
      const where = r.where && typeof r.where === 'object' ? Object.entries(r.where as Row).map(([k, v]) => `${k} ${JSON.stringify(v)}`).join(', ') : '';
      const ea = [
        ...(r.expected !== undefined ? [`expected <code>${esc(r.expected)}</code>`] : []),
        ...(r.actual !== undefined ? [`got <code>${esc(r.actual)}</code>`] : []),
      ];
      const exp = ea.length ? ` <span class="muted">(${ea.join(', ')})</span>` : '';
      const act = '';
      return `<li><b>${esc(r.kind ?? '')}</b>${where ? ` <span class="muted">(${esc(where)})</span>` : ''}: ${esc(r.text ?? '')}${exp}${act}</li>`;
    });
    if (typeof o.summary === 'string' || lis.length) return `${esc(o.summary ?? '')}${lis.length ? `<ul>${lis.join('')}</ul>` : ''}`;
  }
  return `<pre>${esc(JSON.stringify(fb, null, 2))}</pre>`;
}

function contextHtml(ctx: unknown): string {
  if (ctx === undefined || ctx === null) return '<p class="muted">not recorded</p>';
  if (typeof ctx === 'string') return `<pre>${esc(ctx)}</pre>`;
  if (Array.isArray(ctx) && ctx.every((m) => m && typeof m === 'object' && 'content' in m)) {
    return ctx.map((m) => `<div><b>${esc((m as Row).role ?? 'message')}</b><pre>${esc((m as Row).content)}</pre></div>`).join('');
  }
  return `<pre>${esc(JSON.stringify(ctx, null, 2))}</pre>`;
}

/** One rollout: prompt, completion shaded by disagreement (max: top of the scale), feedback, and the teacher's context folded. */
export function rolloutCard(row: Row, label: string, run: string, max: number): string {
  const correct = row.correct === true ? '<span class="badge ok">correct</span>' : row.correct === false ? '<span class="badge bad">wrong</span>' : '';
  const reward = num(row, 'reward');
  return `<div class="rollout">
<h4>${esc(label)} ${correct} <span class="muted small">run ${esc(run)}, step ${esc(num(row, 'step') ?? '?')}${row.task_id !== undefined ? `, task ${esc(row.task_id)}` : ''}${reward !== undefined ? `, reward ${reward.toFixed(2)}` : ''}</span></h4>
<div class="small muted">prompt</div><pre>${esc(str(row, 'prompt') ?? '')}</pre>
<div class="small muted">completion</div>${tokensHtml(row, max)}
<div class="small muted">feedback</div>${feedbackHtml(row.feedback)}
<details><summary>What the teacher saw (its context)</summary>${contextHtml(row.teacher_context)}</details>
</div>`;
}

export function rolloutsSection(groups: readonly Group[]): string {
  const picked = groups.map((g) => ({ g, samples: pickSamples(g) })).filter((x) => x.samples.length);
  if (picked.length === 0) return section('rollouts', 'Example rollouts', '<p class="muted">No samples.jsonl in these runs.</p>');
  const allDis = picked.flatMap((x) => x.samples.flatMap((s) => (Array.isArray(s.row.disagreement) ? (s.row.disagreement as unknown[]).filter((d): d is number => typeof d === 'number') : [])));
  const max = shadeMax(allDis);
  const legend = max > 0
    ? `<p>Token shading: how much the teacher disagreed with the student at that token (per-token divergence, e.g. KL(q‖p)). ` +
      `<span class="muted">0</span> <span class="legend-bar"></span> <span class="muted">≥ ${esc(max.toPrecision(3))}</span>. Hover a token for its value.</p>`
    : '<p class="muted">No per-token disagreement recorded, so tokens are not shaded.</p>';
  const envs = [...new Set(picked.map((x) => x.g.env))];
  const which = '<p class="muted small">For each method: rollouts from the latest step that logged any, a wrong one first (it has feedback), then a right one.</p>';
  const body = envs.map((env) => {
    const cards = picked.filter((x) => x.g.env === env).flatMap(({ g, samples }) => samples.map(({ row, run }) => rolloutCard(row, g.label, run, max)));
    return `<h3>${esc(env)}</h3>\n${cards.join('\n')}`;
  });
  return section('rollouts', 'Example rollouts', legend + which + body.join('\n'));
}
