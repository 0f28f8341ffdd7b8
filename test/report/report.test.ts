import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { writeReport, type ReportResult } from '../../src/report/index.ts';
import { decodePng } from './charts/decode-png.ts';
import { ALGOS, ENVS, makeRuns, type Synthetic } from './synthetic.ts';

let root = '';
let syn: Synthetic;
let res: ReportResult;
let html = '';
const progress: number[] = [];

before(() => {
  root = mkdtempSync(join(tmpdir(), 'distil-report-'));
  syn = makeRuns(join(root, 'runs'));
  res = writeReport(syn.dirs, join(root, 'out'), { onChart: (done) => progress.push(done), now: new Date(0), pixelRatio: 1 });
  html = readFileSync(res.htmlPath, 'utf8');
});
after(() => rmSync(root, { recursive: true, force: true }));

test('writes index.html and PNGs (with SVGs) beside it; every PNG is valid', () => {
  assert.equal(basename(res.htmlPath), 'index.html');
  assert.ok(res.pngs.length >= 7, `${res.pngs.length} charts`);
  for (const p of res.pngs) {
    assert.equal(dirname(p), join(root, 'out'));
    const png = decodePng(readFileSync(p));
    assert.equal(png.width, 900);
    assert.ok(existsSync(p.replace(/\.png$/, '.svg')));
    assert.ok(html.includes(`href="${basename(p)}"`), `${basename(p)} linked from the HTML`);
  }
  const names = res.pngs.map((p) => basename(p));
  for (const env of ENVS) for (const x of ['steps', 'tokens', 'time']) assert.ok(names.includes(`curve-${env}-${x}.png`), `${env} ${x}`);
  assert.ok(names.includes('final-accuracy.png'));
  assert.deepEqual(progress, res.pngs.map((_, i) => i + 1), 'progress reported once per chart');
});

test('the HTML is self-contained: PNGs embedded as data URIs, nothing fetched', () => {
  const imgs = html.match(/<img [^>]*>/g) ?? [];
  assert.equal(imgs.length, res.pngs.length);
  for (const img of imgs) assert.match(img, /src="data:image\/png;base64,[A-Za-z0-9+/=]+"/);
  assert.ok(!/\b(src|href)="(https?:)?\/\//.test(html), 'no remote src or href');
  assert.ok(!/<link|<script/i.test(html), 'no external stylesheet and no script');
  // The embedded image is the same as the file beside the report.
  const first = /src="data:image\/png;base64,([^"]+)"/.exec(html)![1];
  assert.ok(res.pngs.some((p) => readFileSync(p).toString('base64') === first));
});

test('the final table shows the right mean per algorithm and env, best in bold', () => {
  for (const env of ENVS) {
    const start = html.indexOf(`<h3>${env}</h3>\n<table class="final">`);
    assert.ok(start >= 0, `table for ${env}`);
    const tbl = html.slice(start, html.indexOf('</table>', start));
    const means = ALGOS.map((a) => ({ a, m: (syn.final[env][a].reduce((s, v) => s + v, 0) / syn.final[env][a].length) * 100 }));
    for (const { a, m } of means) {
      const row = tbl.split('<tr>').find((r) => r.includes(`<td>${a}</td>`) || r.includes(`<strong>${a}</strong>`));
      assert.ok(row, `row for ${a} in ${env}`);
      const shown = Number(/<span class="num">(?:<strong>)?([\d.]+)</.exec(row)![1]);
      assert.ok(Math.abs(shown - m) <= 0.05 + 1e-9, `${env}/${a}: expected ${m} (1 decimal), shown ${shown}`);
    }
    const best = means.reduce((x, y) => (y.m > x.m ? y : x));
    assert.ok(tbl.includes(`<strong>${best.a}</strong>`), `${best.a} bold in ${env}`);
    assert.equal((tbl.match(/<strong>[a-z]+<\/strong>/g) ?? []).length, 1, 'only the best row is bold');
  }
});

test('pass@k and per-level breakdown tables', () => {
  assert.match(html, /<th>method<\/th><th>pass@1<\/th><th>level 3 sampled<\/th><th>level 10 sampled<\/th>/);
  assert.match(html, /<td><span class="num">90\.0<\/span><\/td><td><span class="num">10\.0<\/span><\/td>/);
});

test('summary sentence per env names the best method', () => {
  for (const env of ENVS) assert.match(html, new RegExp(`On <b>${env}</b>, <b>distil</b> ended highest`));
  assert.match(html, /The intervals (overlap|do not overlap)/);
});

test('model output is escaped: a completion containing <script> cannot run', () => {
  assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
  assert.ok(!html.includes('<script>alert(1)'));
  assert.ok(html.includes('line 1 is &lt;b&gt;wrong&lt;/b&gt;'), 'teacher context escaped');
  assert.ok(html.includes('Q: 1+2 &amp; more'), 'prompt escaped');
});

test('rollouts show shaded tokens with a legend, feedback, and the teacher context folded', () => {
  assert.match(html, /class="legend-bar"/);
  assert.match(html, /<span style="background:rgb\(220,40,40\)" title="disagreement 0\.600">A: 4<\/span>/);
  assert.match(html, /<span style="background:rgb\(255,255,255\)" title="disagreement 0\.000">1<\/span>/);
  assert.match(html, /<b>wrong_step<\/b>/);
  assert.match(html, /<details><summary>What the teacher saw/);
});

test('teacher gate table and teacher-student gap are present', () => {
  assert.match(html, /<h4>step-400<\/h4>/);
  assert.match(html, /<td><span class="fail">FAIL<\/span><\/td>/);
  assert.match(html, /<th>reproduce<\/th>/);
  assert.ok(res.pngs.some((p) => basename(p).startsWith('gap-math-teacher-mass-student-mass')));
});

test('a gate.json from distil pretrain: chosen checkpoint, per-level tables coloured by pass, teacher vs student chart', () => {
  assert.match(html, /<b>Chosen checkpoint: step 4<\/b>, which <span class="pass">passes the gate<\/span>\. student 40% &lt;in range&gt;/);
  assert.match(html, /<h4>checkpoint step 2 · math<\/h4>/);
  assert.match(html, /<th>teacher reproduces reference<\/th><th>keep \(feedback\)<\/th><th>fix \(feedback\)<\/th>/);
  assert.match(html, /<span class="num pass">98<\/span>/);
  assert.match(html, /<span class="num fail">50<\/span>/);
  assert.ok(html.includes('<pre>gate &lt;text&gt;</pre>'));
  assert.ok(res.pngs.some((p) => basename(p) === 'gate-pretrain-tiny.png'));
  assert.ok(res.pngs.some((p) => basename(p) === 'pretrain-loss-pretrain-tiny.png'));
  // The pretraining run is not a method in the comparison.
  assert.ok(!/<td>unknown<\/td>/.test(html.slice(html.indexOf('<section id="results">'))));
});

test('a sparse run (config and a few training steps, no eval, no samples) still gives a readable report', () => {
  const dir = join(root, 'sparse');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ algorithm: 'grpo', env: 'science', seed: 3 }));
  writeFileSync(join(dir, 'metrics.jsonl'), '{"step":1,"accuracy":0.25,"reward":0.3}\n{"step":2,"accuracy":0.5,"reward":0.6,"new_key":[1]}\n');
  const r = writeReport([dir], join(root, 'sparse-out'), { pixelRatio: 1 });
  const h = readFileSync(r.htmlPath, 'utf8');
  assert.match(h, /On <b>science<\/b>, only <b>grpo<\/b> was run: final training accuracy \(no eval\.jsonl\) 50\.0%/);
  assert.match(h, /1 seed, no interval/);
  assert.match(h, /grpo: accuracy on training batches \(no eval\.jsonl\)/);
  assert.match(h, /No samples\.jsonl in these runs/);
  assert.match(h, /No gate\.json/);
  for (const p of r.pngs) decodePng(readFileSync(p));
});
