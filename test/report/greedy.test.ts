import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finalResult, learnedBeyondStart, startAccuracy } from '../../src/report/analyze.ts';
import { efficiency } from '../../src/report/efficiency.ts';
import { writeReport } from '../../src/report/index.ts';
import { loadRuns, type Group } from '../../src/report/runs.ts';
import { REPO_ROOT } from '../../src/report/summary.ts';
import { finalRows, formatTable, learnedLines } from '../../src/report/final-table.ts';

let root = '';
let groups: Group[] = [];
const dirs: string[] = [];

/** A run folder with (tokens, sampled, greedy) evaluation points; greedy null = a run made before greedy was recorded. */
function runFolder(name: string, seed: number, points: [number, number, number | null][], extra: Record<string, unknown> = {}): void {
  const dir = join(root, 'runs', name, 'math', `seed-${seed}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ name, algorithm: name === 'grpo' ? 'grpo' : 'distil', env: 'math', seed, ...extra }));
  const rows = points.map(([tokens, acc, greedy], i) =>
    JSON.stringify({
      step: i * 5, sampled_tokens: tokens, wall_s: i * 10, env: 'math', n: 200, accuracy: acc, ...(greedy === null ? {} : { greedy }),
      by_level: { '5': { n: 200, accuracy: acc, ...(greedy === null ? {} : { greedy }) } },
    }));
  writeFileSync(join(dir, 'eval.jsonl'), rows.join('\n') + '\n');
  dirs.push(dir);
}

before(() => {
  root = mkdtempSync(join(tmpdir(), 'distil-greedy-report-'));
  // GRPO sharpens: sampled 20% -> 60%, greedy stays near its start of 30% (final 30 and 32).
  const ckpt = { model: join(REPO_ROOT, 'src', 'recipes', 'checkpoints', 'tiny-math-2to6'), levels: [5, 6] };
  runFolder('grpo', 0, [[0, 0.2, 0.3], [1000, 0.4, 0.31], [2000, 0.6, 0.3]], { lr: 1e-4, ...ckpt });
  runFolder('grpo', 1, [[0, 0.2, 0.3], [1000, 0.4, 0.33], [2000, 0.6, 0.32]], { lr: 1e-4, ...ckpt });
  // DistIL learns: greedy 30% -> 50 and 52 (mean 51, t-interval 51 +- 12.706 = [38.3, 63.7], above 30).
  runFolder('distil', 0, [[0, 0.2, 0.3], [1000, 0.3, 0.4], [2000, 0.5, 0.5]], { lr: 3e-5, ...ckpt });
  runFolder('distil', 1, [[0, 0.2, 0.3], [1000, 0.3, 0.42], [2000, 0.5, 0.52]], { lr: 3e-5, ...ckpt });
  // A run folder from before greedy accuracy was recorded.
  runFolder('old', 0, [[0, 0.2, null], [2000, 0.45, null]]);
  groups = loadRuns(dirs).groups;
});
after(() => rmSync(root, { recursive: true, force: true }));

const close = (a: number | undefined, b: number, what: string) => assert.ok(a !== undefined && Math.abs(a - b) < 1e-6, `${what}: expected ${b}, got ${a}`);
const g = (label: string) => groups.find((x) => x.label === label)!;

test('final greedy accuracy per method, and the verdict: learned only when the final interval is above the start', () => {
  const distil = finalResult(g('distil'), 100)!;
  close(distil.greedy!.final.mean, 51, 'distil greedy');
  close(distil.greedy!.final.lo, 51 - 12.706, 'distil greedy lo');
  close(distil.greedy!.initial, 30, 'distil greedy start');
  close(distil.final.mean, 50, 'distil sampled');
  assert.equal(distil.greedy!.metric, 'greedy');
  assert.equal(learnedBeyondStart(distil.greedy), true);
  const grpo = finalResult(g('grpo'), 100)!;
  close(grpo.greedy!.final.mean, 31, 'grpo greedy');
  assert.equal(learnedBeyondStart(grpo.greedy), false, 'a final interval reaching below the start is not learning');
  // The old run: sampled accuracy as before, greedy missing (not 0), verdict unknown.
  const old = finalResult(g('old'), 100)!;
  close(old.final.mean, 45, 'old sampled');
  assert.equal(old.greedy, undefined);
  assert.equal(finalResult(g('old'), 100, 'greedy'), undefined);
  assert.equal(learnedBeyondStart(old.greedy), undefined);
  close(startAccuracy(groups, 'math', 100, 'greedy'), 30, 'start greedy');
  close(startAccuracy(groups, 'math', 100, 'sampled'), 20, 'start sampled');
});

test('efficiency on greedy accuracy: tokens to reach the reference\'s final greedy accuracy', () => {
  const e = efficiency(groups, 'math', { metric: 'greedy' })!;
  assert.equal(e.metric, 'greedy');
  close(e.target, 31, 'target = grpo final greedy');
  // GRPO's mean greedy curve 30, 32, 31 first reaches 31 halfway to 1000 tokens; DistIL's 30, 41, 51 at 1000/11.
  close(e.referenceTokens, 500, 'grpo crossing');
  close(e.rows.find((r) => r.label === 'distil')!.tokens, 1000 / 11, 'distil crossing');
  assert.ok(!e.rows.some((r) => r.label === 'old'), 'a method without greedy accuracy has no greedy row');
  const sampled = efficiency(groups, 'math')!;
  close(sampled.target, 60, 'the sampled target is unchanged');
});

test('the report shows greedy first (tables, charts, efficiency), and old runs as not recorded', () => {
  const out = join(root, 'report');
  const md = join(root, 'results.md');
  const res = writeReport(dirs, out, { markdown: md, now: new Date(0) });
  const html = readFileSync(res.htmlPath, 'utf8');
  const results = html.slice(html.indexOf('<section id="results">'), html.indexOf('</section>', html.indexOf('<section id="results">')));
  assert.match(results, /Learned beyond the start's greedy accuracy \(final interval above it\): <b>distil<\/b>\./);
  assert.match(results, /<th>method<\/th><th>greedy final \(%\)<\/th>.*<th>sampled final \(%\)<\/th>/);
  // Rows by greedy accuracy: distil, grpo, then old (no greedy).
  const rowsAt = ['distil', 'grpo', 'old'].map((l) => results.search(new RegExp(`<tr><td>(<strong>)?${l}(</strong>)?</td>`)));
  assert.ok(rowsAt[0] > 0 && rowsAt[0] < rowsAt[1] && rowsAt[1] < rowsAt[2], rowsAt.join(' '));
  assert.match(results, /<td>(<strong>)?distil(<\/strong>)?<\/td><td><span class="num"><strong>51\.0<\/strong><\/span><\/td>.*?<span class="pass">yes<\/span>/);
  assert.match(results, /<td>old<\/td><td><span class="muted">not recorded<\/span><\/td>/);
  // Per level: greedy first, then pass@k and sampled; the old run's greedy cell is missing.
  assert.match(results, /<th>method<\/th><th>level 5 greedy<\/th><th>level 5 sampled<\/th>/);
  assert.match(results, /<td>distil<\/td><td><span class="num">51\.0<\/span><\/td><td><span class="num">50\.0<\/span><\/td>/);
  assert.match(results, /<td>old<\/td><td><span class="num">–<\/span><\/td><td><span class="num">45\.0<\/span><\/td>/);
  for (const f of ['final-greedy.png', 'final-accuracy.png', 'greedy-math-tokens.png', 'curve-math-tokens.png']) assert.ok(existsSync(join(out, f)), f);
  const eff = html.slice(html.indexOf('<section id="efficiency">'));
  assert.ok(eff.indexOf('<h4>greedy accuracy (T=0)</h4>') >= 0 && eff.indexOf('<h4>greedy accuracy (T=0)</h4>') < eff.indexOf('<h4>sampled accuracy (avg@k)</h4>'));
  // The markdown export writes summary.json beside the charts.
  assert.equal(res.summaryPath, join(out, 'summary.json'));
  const text = readFileSync(md, 'utf8');
  assert.ok(text.includes('| distil | 2 | 30.0% | 51.0% | [38.3, 63.7] | yes | 20.0% | 50.0% | [50.0, 50.0] |'), text);
  assert.ok(text.includes('| old | 1 | – | not recorded | – | – | 20.0% | 45.0% |'));
  assert.ok(text.indexOf("reach grpo's final greedy accuracy (T=0)") < text.indexOf("reach grpo's final sampled accuracy (avg@k)"));
  assert.ok(text.indexOf('greedy-math-tokens.png') > 0 && text.indexOf('greedy-math-tokens.png') < text.indexOf('curve-math-tokens.png'));
});

test('the comparison table: greedy first, the learned verdict, and one line per env saying who learned', () => {
  const rows = finalRows(groups);
  assert.deepEqual(rows.map((r) => r.method), ['distil', 'grpo', 'old']);
  assert.deepEqual([rows[0].learned, rows[1].learned, rows[2].learned], [true, false, undefined]);
  close(rows[0].greedy!.mean, 51, 'distil greedy');
  close(rows[0].greedy!.initial, 30, 'distil greedy start');
  assert.equal(rows[2].greedy, undefined);
  const text = formatTable(rows).split('\n');
  assert.match(text[0], /^env +method +seeds +greedy start +greedy final \(95% interval\) +learned +sampled start +sampled final \(95% interval\)$/);
  assert.match(text[1], /^math +distil +2 +30\.0% +51\.0% \[38\.3, 63\.7\] +yes +20\.0% +50\.0% \[50\.0, 50\.0\]$/);
  assert.match(text[3], /^math +old +1 +- +not recorded +- +20\.0% +45\.0% \[/);
  assert.deepEqual(learnedLines(rows), [
    "math: learned beyond the start's greedy accuracy (30.0%): distil; not beyond it: grpo; cannot be judged (no greedy accuracy or no interval): old",
  ]);
});

test('summary.json: checkpoint in the repository, levels, start, and per method lr, intervals, verdict and tokens to GRPO\'s final greedy', () => {
  const file = join(root, 'sub', 'summary.json');
  const res = writeReport(dirs, join(root, 'report2'), { summary: file, now: new Date(0) });
  assert.equal(res.summaryPath, file);
  const s = JSON.parse(readFileSync(file, 'utf8'));
  assert.equal(s.units, 'percent');
  assert.equal(s.reference, 'grpo');
  const m = s.envs.math;
  assert.equal(m.checkpoint, 'src/recipes/checkpoints/tiny-math-2to6', 'relative to the repository; the old run has no model');
  assert.deepEqual(m.levels, [5, 6]);
  assert.deepEqual(m.start, { greedy: 30, sampled: 20 });
  const d = m.methods.distil;
  assert.equal(d.lr, 3e-5);
  assert.equal(d.seeds, 2);
  close(d.final_greedy.mean, 51, 'distil greedy');
  close(d.final_greedy.lo, 51 - 12.706, 'distil greedy lo');
  close(d.final_greedy.hi, 51 + 12.706, 'distil greedy hi');
  close(d.final_sampled.mean, 50, 'distil sampled');
  assert.equal(d.learned, true);
  close(d.tokens_to_grpo_final_greedy, 1000 / 11, 'distil tokens to grpo greedy');
  assert.equal(d.tokens_to_grpo_final_sampled, null, "distil's sampled accuracy (50%) never reaches GRPO's 60%");
  assert.equal(m.methods.grpo.learned, false);
  close(m.methods.grpo.tokens_to_grpo_final_greedy, 500, 'grpo own crossing');
  const old = m.methods.old;
  assert.equal(old.final_greedy, null, 'missing, not 0');
  assert.equal(old.learned, null);
  assert.equal(old.tokens_to_grpo_final_greedy, null);
  assert.equal(old.lr, null);
});
