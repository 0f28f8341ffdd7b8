/**
 * The dashboard in a real browser (Chromium driven by Playwright): it loads without console
 * errors, charts show the runs' data, a row appended to a running run's metrics.jsonl reaches
 * the chart within seconds, the rollouts view shades the right tokens, and bad input (a folder
 * that is not a run, a torn last line, a run deleted while open, ten thousand rows) is shown
 * or coped with. Screenshots of every view go to test-artifacts/ui/.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startUi, type UiServer } from '../../src/ui/server.ts';
import { makeRuns } from '../report/synthetic.ts';
import { findChromium } from './chromium.ts';

const ARTIFACTS = join('test-artifacts', 'ui');
let root = '';
let ui: UiServer;
let browser: Browser;
let page: Page;
const consoleErrors: string[] = [];
const jsonl = (rows: object[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

/** A run still training: 20 steps planned, 5 done, a checkpoint, rollouts with known disagreement. */
function liveRun(dir: string): void {
  mkdirSync(join(dir, 'checkpoints', 'step-4'), { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ name: 'live', algorithm: 'distil', env: 'arith', seed: 3, steps: 20 }));
  writeFileSync(join(dir, 'metrics.jsonl'), jsonl([1, 2, 3, 4, 5].map((step) => ({ step, sampled_tokens: step * 100, wall_s: step, loss: 2 / step, reward: step / 10, accuracy: step / 10 }))));
  writeFileSync(join(dir, 'eval.jsonl'), jsonl([{ step: 0, env: 'arith', n: 10, accuracy: 0.1 }, { step: 4, env: 'arith', n: 10, accuracy: 0.4 }]));
  writeFileSync(join(dir, 'samples.jsonl'), jsonl([{
    step: 4, env: 'arith', task_id: 't1', prompt: '2+2=', completion: 'the answer is 5', correct: false, reward: 0,
    feedback: { summary: 'wrong answer', items: [{ kind: 'wrong', text: 'expected 4' }] }, teacher_context: 'TEACHER SAW: 2+2= (feedback: expected 4)',
    tokens: ['the', ' answer', ' is', ' 5'], disagreement: [0, 0, 0, 3.5],
  }]));
  writeFileSync(join(dir, 'checkpoints', 'step-4', 'model.json'), '{"weights":"tiny"}');
}

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'distil-ui-'));
  mkdirSync(ARTIFACTS, { recursive: true });
  const runs = join(root, 'runs');
  makeRuns(runs);
  liveRun(join(runs, 'live'));
  // Ten thousand rows, and a last line cut off mid-write.
  const long = join(runs, 'long');
  mkdirSync(long);
  writeFileSync(join(long, 'config.json'), JSON.stringify({ name: 'long', algorithm: 'grpo', env: 'arith', seed: 1, steps: 10000 }));
  const rows = Array.from({ length: 10000 }, (_, i) => ({ step: i + 1, sampled_tokens: (i + 1) * 50, wall_s: i, loss: 1 / Math.sqrt(i + 1), reward: 0.5, accuracy: 0.5 }));
  writeFileSync(join(long, 'metrics.jsonl'), jsonl(rows) + '{"step": 10001, "lo');
  const notRun = join(root, 'not-a-run');
  mkdirSync(notRun);
  ui = await startUi({ paths: [runs, notRun], port: 0, pollMs: 200 });
  browser = await chromium.launch({ executablePath: findChromium(), args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(`${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  await page.goto(ui.url);
});

after(async () => {
  await browser?.close();
  await ui?.close();
  rmSync(root, { recursive: true, force: true });
});

const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

test('the page lists the runs with status and progress, and says which folder is not a run', async () => {
  await page.waitForSelector('#runs li[data-run-id]');
  const live = page.locator('#runs li', { hasText: 'live' }).first();
  await live.locator('.progress-text', { hasText: 'step 5 / 20' }).waitFor();
  assert.equal(await live.getAttribute('data-status'), 'running');
  assert.match(await live.innerText(), /test accuracy 40\.0% \(step 4\)/);
  assert.match(await page.locator('#problems').innerText(), /not-a-run: not a run folder/);
  // The torn last line is a note, not an error: the 10,000 rows are there.
  const long = page.locator('#runs li', { hasText: 'long' }).first();
  await long.locator('.progress-text', { hasText: 'step 10000 / 10000' }).waitFor();
  assert.match(await long.innerText(), /incomplete last line/);
});

test('charts show the runs\' data: accuracy and metrics, one line per ticked run', async () => {
  const acc = page.locator('[data-chart="accuracy-math"]');
  await acc.waitFor();
  await page.waitForFunction(() => Number(document.querySelector<HTMLElement>('[data-chart="accuracy-math"]')?.dataset.points) > 0);
  // 6 math runs x 5 evaluations each (steps 0, 5, ..., 20).
  assert.equal(await acc.getAttribute('data-points'), '30');
  assert.equal(await acc.getAttribute('data-max-x'), '20');
  // ECharts drew into a canvas of the container's size.
  const canvas = await acc.locator('canvas').first().boundingBox();
  assert.ok(canvas && canvas.width > 300 && canvas.height > 300);
  await page.waitForSelector('[data-chart="metric-loss-arith"][data-points]');
  await shot('curves');
});

test('appending a row to a running run\'s metrics.jsonl updates its chart within seconds', async () => {
  const sel = '[data-chart="metric-loss-arith"]';
  const maxX = () => page.locator(sel).getAttribute('data-max-x');
  // The live run ends at step 5; the long run is binned, so look at the live run alone.
  await page.locator('#runs li', { hasText: 'live' }).locator('button.only').click();
  assert.equal(await page.locator('#runs input[type=checkbox]:checked').count(), 1);
  await page.waitForFunction((s) => document.querySelector<HTMLElement>(s)?.dataset.maxX === '5', sel);
  appendFileSync(join(root, 'runs', 'live', 'metrics.jsonl'), JSON.stringify({ step: 6, sampled_tokens: 600, wall_s: 6, loss: 0.2, reward: 0.6, accuracy: 0.6 }) + '\n');
  await page.waitForFunction((s) => document.querySelector<HTMLElement>(s)?.dataset.maxX === '6', sel, { timeout: 5000 });
  assert.equal(await maxX(), '6');
  await page.locator('#runs li', { hasText: 'live' }).locator('.progress-text', { hasText: 'step 6 / 20' }).waitFor({ timeout: 5000 });
  await shot('curves-live');
});

test('the rollouts view shades the tokens where the teacher disagreed, with feedback and teacher context', async () => {
  await page.click('#tabs button[data-tab="rollouts"]');
  await page.waitForSelector('#rollouts .rollout');
  const spans = page.locator('#rollouts .tokens span');
  assert.equal(await spans.count(), 4);
  const bg = await spans.evaluateAll((els) => els.map((e) => getComputedStyle(e).backgroundColor));
  // The first three tokens agree (white), the last is the most disagreed-with (full red).
  assert.deepEqual(bg.slice(0, 3), ['rgb(255, 255, 255)', 'rgb(255, 255, 255)', 'rgb(255, 255, 255)']);
  assert.equal(bg[3], 'rgb(220, 40, 40)');
  assert.equal(await spans.nth(3).innerText(), ' 5');
  const card = await page.locator('#rollouts .rollout').innerText();
  assert.match(card, /wrong answer/);
  assert.match(card, /expected 4/);
  await page.locator('#rollouts details summary').first().click();
  assert.match(await page.locator('#rollouts details').first().innerText(), /TEACHER SAW: 2\+2=/);
  await shot('rollouts');
});

test('checkpoints are listed with a download link; the server refuses paths outside checkpoints/', async () => {
  await page.click('#tabs button[data-tab="checkpoints"]');
  const link = page.locator('#tab-checkpoints a', { hasText: 'model.json' });
  await link.waitFor({ state: 'attached' });
  const href = await link.getAttribute('href');
  const got = await page.evaluate(async (h) => (await fetch(h!)).text(), href);
  assert.equal(got, '{"weights":"tiny"}');
  const id = /\/files\/(\d+)\//.exec(href!)![1];
  // (from Node: a 404 in the page would count as a console error)
  for (const p of ['..%2Fconfig.json', '..%2F..%2Fmath-distil-s1%2Fconfig.json', 'step-4%2F..%2F..%2Fconfig.json']) {
    const r = await fetch(new URL(`/files/${id}/checkpoints/${p}`, ui.url));
    assert.equal(r.status, 404, p);
  }
  const post = await fetch(new URL('/api/state', ui.url), { method: 'POST' });
  assert.equal(post.status, 405, 'read-only');
  await shot('checkpoints');
});

test('the teacher gate table of a pretraining run, with its chart', async () => {
  // Tick everything again, including the pretraining runs.
  for (const box of await page.locator('#runs input[type=checkbox]').all()) if (!(await box.isChecked())) await box.click();
  await page.click('#tabs button[data-tab="gate"]');
  await page.waitForSelector('#tab-gate table.gate');
  assert.match(await page.locator('#tab-gate').innerText(), /Chosen checkpoint: step 4/);
  await page.waitForSelector('#tab-gate .chart[data-points]');
  assert.ok(Number(await page.locator('#tab-gate .chart').first().getAttribute('data-points')) > 0);
  await shot('gate');
});

test('a run deleted while open is marked deleted and the server keeps serving', async () => {
  await page.click('#tabs button[data-tab="curves"]');
  rmSync(join(root, 'runs', 'math-grpo-s1'), { recursive: true, force: true });
  const li = page.locator('#runs li', { hasText: 'math-grpo-s1' });
  await li.locator('.status-deleted').waitFor({ timeout: 5000 });
  assert.match(await li.innerText(), /was deleted/);
  await page.waitForSelector('[data-chart="accuracy-math"][data-points]');
  await shot('deleted');
  assert.deepEqual(consoleErrors, []);
});
