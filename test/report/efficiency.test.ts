import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { efficiency, efficiencyByEnv, firstCrossing, formatEfficiency, fractionName } from '../../src/report/efficiency.ts';
import { loadRuns, type Group } from '../../src/report/runs.ts';
import { writeReport } from '../../src/report/index.ts';

let root = '';
let groups: Group[] = [];
const dirs: string[] = [];

/** A run folder as distil train writes it: config.json, eval.jsonl (token, accuracy) points, summary.json. */
function runFolder(name: string, env: string, seed: number, points: [number, number][]): string {
  const dir = join(root, 'runs', name, env, `seed-${seed}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ name, algorithm: name === 'grpo' ? 'grpo' : 'distil', env, seed }));
  const rows = points.map(([tokens, acc], i) => JSON.stringify({ step: i * 5, sampled_tokens: tokens, wall_s: i * 10, env, n: 200, accuracy: acc }));
  writeFileSync(join(dir, 'eval.jsonl'), rows.join('\n') + '\n');
  writeFileSync(join(dir, 'summary.json'), JSON.stringify({ accuracy: points[points.length - 1][1] }));
  dirs.push(dir);
  return dir;
}

before(() => {
  root = mkdtempSync(join(tmpdir(), 'distil-eff-'));
  // Reference: two seeds, final 60%, budgets 3000 and 3200 (mean 3100); both reach 60% at 2000.
  runFolder('grpo', 'math', 0, [[0, 0.2], [1000, 0.4], [2000, 0.6], [3000, 0.6]]);
  runFolder('grpo', 'math', 1, [[0, 0.2], [1000, 0.4], [2000, 0.6], [3200, 0.6]]);
  // One seed: linear from (1000, 40%) to (2000, 80%) crosses 60% at 1500.
  runFolder('mid', 'math', 0, [[0, 0.2], [1000, 0.4], [2000, 0.8], [3000, 0.8]]);
  // Two seeds evaluated at different token counts. On the union grid {0, 400, 600, 3000}:
  // seed 0 is 20, 60, 80, 90 and seed 1 is 20, 40, 40, 40, so the mean is 20, 50, 60, 65:
  // the mean reaches 60% at 600. Seed 0 alone reaches it at 400, seed 1 never.
  runFolder('fast', 'math', 0, [[0, 0.2], [600, 0.8], [3000, 0.9]]);
  runFolder('fast', 'math', 1, [[0, 0.2], [400, 0.4], [3000, 0.4]]);
  // Never reaches 60%: best 50% (at 1500 tokens), final 45%.
  runFolder('slow', 'math', 0, [[0, 0.2], [1500, 0.5], [3000, 0.45]]);
  // An env without the reference.
  runFolder('mid', 'science', 0, [[0, 0.1], [1000, 0.3]]);
  groups = loadRuns(dirs).groups;
});
after(() => rmSync(root, { recursive: true, force: true }));

const close = (a: number | undefined, b: number, what: string) => assert.ok(a !== undefined && Math.abs(a - b) < 1e-6, `${what}: expected ${b}, got ${a}`);

test('firstCrossing: interpolates linearly, takes the first crossing, the first point, or none', () => {
  close(firstCrossing([1000, 2000], [40, 80], 60), 1500, 'between two points');
  close(firstCrossing([0, 1000, 2000, 3000], [10, 70, 30, 90], 40), 500, 'first of two crossings');
  close(firstCrossing([0, 1000], [50, 70], 40), 0, 'already above at the start');
  close(firstCrossing([0, 1000, 2000], [10, 60, 60], 60), 1000, 'reaching the target exactly');
  assert.equal(firstCrossing([0, 1000], [10, 59.9], 60), undefined);
  assert.equal(firstCrossing([], [], 60), undefined);
});

test('target, reference budget and the reference\'s own crossing', () => {
  const e = efficiency(groups, 'math')!;
  assert.equal(e.reference, 'grpo');
  close(e.target, 60, 'target = grpo final mean');
  close(e.referenceBudget, 3100, 'mean of the seeds\' last-evaluation tokens');
  close(e.referenceTokens, 2000, 'grpo reaches its own final at 2000');
  assert.deepEqual(e.rows.map((r) => r.label), ['grpo', 'mid', 'fast', 'slow'], 'reference first, then by final accuracy');
  const ref = e.rows[0];
  assert.ok(ref.isReference);
  close(ref.fraction, 2000 / 3100, 'reference fraction');
  assert.deepEqual(ref.perSeed.map((s) => s.tokens), [2000, 2000]);
  assert.deepEqual(ref.perSeed.map((s) => s.budget), [3000, 3200]);
});

test('one seed: crossing between (1000, 40%) and (2000, 80%) at 1500 tokens, not within 1/3', () => {
  const r = efficiency(groups, 'math')!.rows.find((x) => x.label === 'mid')!;
  close(r.tokens, 1500, 'mid tokens');
  close(r.fraction, 1500 / 3100, 'mid fraction');
  assert.equal(r.within, false);
  assert.equal(r.atStart, false);
  close(r.final, 80, 'mid final');
});

test('several seeds with different token grids: the mean curve is interpolated per seed before averaging', () => {
  const r = efficiency(groups, 'math')!.rows.find((x) => x.label === 'fast')!;
  // Averaging only at shared x values (0 and 3000) would give 40/45 * 3000 = 2667; the mean
  // of the per-seed crossings is undefined (seed 1 never crosses).
  close(r.tokens, 600, 'fast tokens');
  close(r.fraction, 600 / 3100, 'fast fraction');
  assert.equal(r.within, true, '600 / 3100 <= 1/3');
  assert.equal(r.seeds, 2);
  close(r.final, 65, 'fast final');
  assert.equal(r.perSeed.length, 2);
  close(r.perSeed[0].tokens, 400, 'seed 0');
  assert.equal(r.perSeed[1].tokens, undefined, 'seed 1 never reaches 60%');
});

test('a method that never reaches the target: undefined tokens, its best, verdict no', () => {
  const r = efficiency(groups, 'math')!.rows.find((x) => x.label === 'slow')!;
  assert.equal(r.tokens, undefined);
  assert.equal(r.fraction, undefined);
  assert.equal(r.within, false);
  close(r.best, 50, 'best point of the curve');
});

test('another reference and the threshold are options; envs without the reference are left out', () => {
  assert.deepEqual([...efficiencyByEnv(groups).keys()], ['math']);
  assert.equal(efficiency(groups, 'science'), undefined);
  assert.equal(efficiency(groups, 'math', { reference: 'nope' }), undefined);
  const e = efficiency(groups, 'math', { reference: 'mid', maxFraction: 0.25 })!;
  close(e.target, 80, 'mid final as target');
  close(e.referenceBudget, 3000, 'mid budget');
  close(e.referenceTokens, 2000, 'mid reaches 80% at 2000');
  const fast = e.rows.find((x) => x.label === 'fast')!;
  // Mean curve 20, 50, 60, 65: never 80.
  assert.equal(fast.tokens, undefined);
  close(fast.best, 65, 'fast best');
  const grpoRow = e.rows.find((x) => x.label === 'grpo')!;
  assert.equal(grpoRow.tokens, undefined);
  assert.equal(fractionName(1 / 3), '1/3');
  assert.equal(fractionName(0.25), '1/4');
  assert.equal(fractionName(0.4), '0.4');
});

test('the terminal table', () => {
  const text = formatEfficiency(efficiency(groups, 'math')!);
  assert.match(text, /^math: sampled tokens to reach grpo's final sampled accuracy \(avg@k\)/);
  assert.match(text, /target: grpo's final sampled accuracy \(avg@k\) 60\.0%; grpo's budget 3,100 sampled tokens/);
  assert.match(text, /fast +65\.0% +600 +19\.4% +yes +400 \/ not reached/);
  assert.match(text, /slow +45\.0% +not reached \(best 50\.0%\) +– +no +not reached/);
  assert.match(text, /grpo \(reference\) +60\.0% +2,000 +64\.5% +– +2,000 \/ 2,000/);
});

test('HTML section and markdown file with chart links relative to the markdown file', () => {
  const out = join(root, 'docs', 'results');
  const md = join(root, 'docs', 'results.md');
  const res = writeReport(dirs, out, { markdown: md, now: new Date(0), title: 'T', pixelRatio: 1 });
  assert.equal(res.markdownPath, resolve(md));
  const html = readFileSync(res.htmlPath, 'utf8');
  const sec = html.slice(html.indexOf('<section id="efficiency">'));
  assert.ok(html.includes('<section id="efficiency"><h2>Sampled tokens to reach grpo&#39;s final accuracy</h2>'));
  assert.ok(sec.indexOf('<h3>math</h3>') >= 0 && sec.slice(0, sec.indexOf('</section>')).indexOf('<h3>science</h3>') < 0, 'only envs with grpo');
  assert.match(sec, /<td>fast<\/td><td><span class="num">65\.0%<\/span><\/td><td><span class="num">600<\/span><\/td><td><span class="num">19\.4%<\/span><\/td><td><span class="pass">yes<\/span><\/td>/);
  assert.match(sec, /not reached \(best 50\.0%\)/);

  const text = readFileSync(md, 'utf8');
  assert.ok(text.startsWith('# T\n'));
  const lines = text.split('\n');
  const mathAt = lines.indexOf('## math');
  const sciAt = lines.indexOf('## science');
  assert.ok(mathAt >= 0 && sciAt > mathAt);
  const mathPart = lines.slice(mathAt, sciAt);
  // The final table, best first.
  const head = mathPart.indexOf('| method | seeds | greedy start | greedy final (mean) | greedy 95% interval | learned beyond start (greedy) | sampled start | sampled final (mean) | sampled 95% interval |');
  assert.ok(head > 0);
  // Runs without greedy accuracy (made before it was recorded) show it as not recorded, not as 0.
  assert.equal(mathPart[head + 2], '| mid | 1 | – | not recorded | – | – | 20.0% | 80.0% | [73.9, 85.0] |');
  assert.ok(mathPart.includes('| fast | 2 | – | not recorded | – | – | 20.0% | 65.0% | [0.0, 100.0] |'), 'two seeds: t interval, clipped');
  // The efficiency table.
  assert.ok(mathPart.includes("### Sampled tokens to reach grpo's final sampled accuracy (avg@k)"));
  assert.ok(!mathPart.some((l) => l.includes('final greedy accuracy')), 'no greedy efficiency table without greedy accuracy');
  assert.ok(mathPart.includes("| method | final sampled accuracy | tokens to reach target | fraction of grpo's budget | ≤ 1/3 | per seed |"));
  assert.ok(mathPart.includes('| grpo (reference) | 60.0% | 2,000 | 64.5% | – | 2,000 / 2,000 |'));
  assert.ok(mathPart.includes('| mid | 80.0% | 1,500 | 48.4% | no | 1,500 |'));
  assert.ok(mathPart.includes('| fast | 65.0% | 600 | 19.4% | yes | 400 / not reached |'));
  assert.ok(mathPart.includes('| slow | 45.0% | not reached (best 50.0%) | – | no | not reached |'));
  // No grpo on science: no efficiency table there.
  assert.ok(!lines.slice(sciAt).some((l) => l.startsWith('### Sampled tokens')));
  // Chart links resolve, relative to the markdown file's folder.
  const hrefs = [...text.matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)].map((m) => m[1]);
  assert.ok(hrefs.includes('results/curve-math-tokens.png'), hrefs.join(' '));
  assert.ok(hrefs.includes('results/final-accuracy.png'));
  for (const h of hrefs) assert.ok(existsSync(join(dirname(md), decodeURIComponent(h))), `${h} exists`);

  // A markdown file elsewhere gets ../ links; --reference changes the target.
  const md2 = join(root, 'paper', 'sub dir', 'r.md');
  writeReport(dirs, out, { markdown: md2, reference: 'mid', now: new Date(0), pixelRatio: 1 });
  const text2 = readFileSync(md2, 'utf8');
  assert.ok(text2.includes('](../../docs/results/curve-science-tokens.png)'));
  assert.ok(text2.includes("### Sampled tokens to reach mid's final sampled accuracy (avg@k)"));
  assert.ok(text2.includes("target: mid's final sampled accuracy (avg@k) 80.0%"));
  for (const m of text2.matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)) assert.ok(existsSync(join(dirname(md2), decodeURIComponent(m[1]))), m[1]);
});

test('no reference in any env: no section, and the markdown has no efficiency table', () => {
  const out = join(root, 'noref');
  const md = join(out, 'r.md');
  const res = writeReport(dirs, out, { markdown: md, reference: 'absent', pixelRatio: 1 });
  assert.ok(!readFileSync(res.htmlPath, 'utf8').includes('<section id="efficiency">'));
  const text = readFileSync(md, 'utf8');
  assert.ok(!text.includes('Sampled tokens to reach'));
  assert.ok(text.includes('](curve-math-tokens.png)'), 'markdown beside the charts links them by name');
});

test('a seed whose budget ran out keeps its final accuracy: the reference reaches its own target at its budget', () => {
  // Seed 0 ends at 1000 tokens with 50%, seed 1 at 1500 with 70%: the final mean is 60%. Averaged
  // only where both have evaluations, the curve would stop at 1000 (mean 51.7%) and never reach it.
  const a = runFolder('grpo', 'code', 0, [[0, 0.2], [1000, 0.5]]);
  const b = runFolder('grpo', 'code', 1, [[0, 0.2], [1500, 0.7]]);
  const e = efficiency(loadRuns([a, b]).groups, 'code')!;
  close(e.target, 60, 'target');
  close(e.referenceTokens, 1500, 'reached at the longest seed\'s budget');
  close(e.referenceBudget, 1250, 'budget = mean of the seeds\' last evaluations');
});
