import { test } from 'node:test';
import assert from 'node:assert/strict';
import { summarySentence } from '../../src/report/sections/results.ts';
import { pickSamples, shade, shadeMax } from '../../src/report/sections/rollouts.ts';
import { gateHtml } from '../../src/report/sections/gate.ts';
import type { FinalResult } from '../../src/report/analyze.ts';
import type { Group, Run } from '../../src/report/runs.ts';

function result(label: string, mean: number, lo: number, hi: number, seeds = 3): FinalResult {
  return {
    group: { label, env: 'math', runs: [] }, metric: 'sampled', source: 'eval', final: { mean, lo, hi, n: seeds, ok: true },
    intervalKind: `t-interval over ${seeds} seeds`, initial: 30, seeds,
  };
}

test('summary sentence: winner, margin, and whether intervals overlap', () => {
  const apart = summarySentence('math', [result('distil', 70, 65, 75), result('grpo', 50, 45, 55)]);
  assert.match(apart, /<b>distil<\/b> ended highest with sampled test accuracy 70\.0%/);
  assert.match(apart, /20\.0 points above <b>grpo<\/b>/);
  assert.match(apart, /do not overlap/);
  const close = summarySentence('math', [result('distil', 52, 45, 59), result('grpo', 50, 43, 57), result('sft', 10, 5, 15)]);
  assert.match(close, /intervals overlap: with 3 seed\(s\)/);
  assert.match(close, /Lowest: sft at 10\.0%/);
  assert.match(close, /Largest gain during training: distil \(\+22\.0 points\)/);
  assert.match(summarySentence('a<b', [result('x&y', 50, 40, 60)]), /On <b>a&lt;b<\/b>, only <b>x&amp;y<\/b> was run/);
});

test('shading goes from white at 0 to red at the top of the scale, saturating above', () => {
  assert.equal(shade(0, 1), 'rgb(255,255,255)');
  assert.equal(shade(1, 1), 'rgb(220,40,40)');
  assert.equal(shade(5, 1), 'rgb(220,40,40)');
  assert.equal(shade(1, 0), 'rgb(255,255,255)', 'no scale: no shading');
  const vals = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(shadeMax([...vals, 1e6]), 96, '95th percentile, robust to one huge value');
});

test('pickSamples takes the latest step, a wrong rollout first, then a right one', () => {
  const run = {
    name: 'r', env: 'math',
    samples: [
      { step: 1, env: 'math', correct: false, prompt: 'old' },
      { step: 2, env: 'math', correct: true, prompt: 'right' },
      { step: 2, env: 'math', correct: false, prompt: 'wrong' },
      { step: 2, env: 'code', correct: false, prompt: 'other env' },
    ],
  } as unknown as Run;
  const g: Group = { label: 'distil', env: 'math', runs: [run] };
  assert.deepEqual(pickSamples(g).map((s) => s.row.prompt), ['wrong', 'right']);
});

test('gate.json of any shape becomes tables, with pass/fail marked', () => {
  const list = gateHtml([{ level: 3, keep: 0.95, pass: true }]);
  assert.match(list, /<th>level<\/th><th>keep<\/th><th>pass<\/th>/);
  assert.match(list, /class="pass">pass/);
  const byCkpt = gateHtml({ 'step-100': { keep: 0.5 }, 'step-200': { keep: 0.9 } });
  assert.match(byCkpt, /<td>step-100<\/td><td><span class="num">0\.500<\/span><\/td>/);
  const rows = gateHtml({ reproduce: { '<x>': 1 } });
  assert.match(rows, /<th>&lt;x&gt;<\/th>/);
  assert.match(rows, /<td>reproduce<\/td>/);
  const flat = gateHtml({ passed: false, by: { '<lvl>': 2 } });
  assert.match(flat, /<td>by\.&lt;lvl&gt;<\/td><td><span class="num">2<\/span><\/td>/);
  assert.match(flat, /class="fail">FAIL/);
});

test('gate.json with rows nested inside checkpoints renders nested tables', () => {
  const h = gateHtml({ checkpoints: [{ step: 400, rows: [{ level: 5, fix: 0.4 }], pass: false }] });
  assert.match(h, /<h4>checkpoints<\/h4>/);
  assert.match(h, /<td><table class="gate"><thead><tr><th>level<\/th><th>fix<\/th>/);
});

test('teacher-student gap: without a logged gap, the rollouts\' disagreement is charted too', async () => {
  const { gapSection } = await import('../../src/report/sections/curves.ts');
  const { Assets } = await import('../../src/report/assets.ts');
  const r = {
    dir: '/r', name: 'r', algorithm: 'distil', label: 'distil', env: 'math', config: {}, evals: [], warnings: [],
    metrics: [{ step: 1, teacher_mass: 0.5 }, { step: 2, teacher_mass: 0.6 }],
    samples: [{ step: 1, disagreement: [0.5] }, { step: 2, disagreement: [0.25] }],
  } as unknown as Run;
  const assets = new Assets();
  const html = gapSection([{ label: 'distil', env: 'math', runs: [r] }], assets);
  assert.equal(assets.count, 2, 'teacher_mass and the rollouts\' disagreement');
  assert.equal((html.match(/\u0000FIG\d+\u0000/g) ?? []).length, 2);
  const withGap = { ...r, metrics: [{ step: 1, gap: 1 }, { step: 2, gap: 0.5 }] } as Run;
  const a2 = new Assets();
  gapSection([{ label: 'distil', env: 'math', runs: [withGap] }], a2);
  assert.equal(a2.count, 1, 'a logged gap is enough');
});
