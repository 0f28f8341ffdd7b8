import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import startCommand, { START_CONFIG } from '../../src/cli/commands/start.ts';
import { loadModelFolder } from '../../src/models/folder.ts';
import { planComparison, type CompareConfig } from '../../src/train/compare.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** start.json with its checkpoint paths resolved against the repository root, as `distil start` does. */
function startConfig(): CompareConfig {
  const cfg = JSON.parse(readFileSync(START_CONFIG, 'utf8')) as CompareConfig;
  const abs = (p: string) => resolve(root, p);
  cfg.model = typeof cfg.model === 'string' ? abs(cfg.model) : Object.fromEntries(Object.entries(cfg.model).map(([k, v]) => [k, abs(v)]));
  return cfg;
}

test('start.json: a valid plan of DistIL, GRPO and OPSD on math, code and science from shipped checkpoints at one sampled-token budget', () => {
  const cfg = startConfig();
  const plan = planComparison(cfg, join(tmpdir(), 'distil-start-plan'));
  assert.deepEqual([...new Set(plan.map((r) => r.config.env))].sort(), ['code', 'math', 'science']);
  assert.deepEqual([...new Set(plan.map((r) => r.config.algorithm))].sort(), ['distil', 'grpo', 'opsd']);
  assert.equal(plan.length, 3 * cfg.methods.length * cfg.seeds.length);
  // Every method gets the same budget of sampled tokens (and the same steps) within an env.
  const budgets = new Set(plan.map((r) => r.config.sampledTokenBudget));
  assert.equal(budgets.size, 1, `sampledTokenBudget differs between runs: ${[...budgets].join(', ')}`);
  assert.ok([...budgets][0] > 0, 'sampledTokenBudget must be set (> 0)');
  for (const env of ['math', 'code', 'science']) {
    const runs = plan.filter((r) => r.config.env === env);
    assert.equal(new Set(runs.map((r) => r.config.steps)).size, 1);
    assert.equal(new Set(runs.map((r) => r.config.promptsPerStep * r.config.groupSize)).size, 1);
  }
  // The checkpoints are shipped (inside the repository) and load.
  for (const dir of new Set(plan.map((r) => r.config.model))) {
    assert.ok(dir.startsWith(join(root, 'src/recipes/checkpoints')), `${dir} is not a shipped checkpoint`);
    assert.ok(existsSync(join(dir, 'config.json')), `${dir} is missing`);
    const m = loadModelFolder(dir);
    assert.ok(m.config.numLayers > 0);
    assert.ok(m.tokenizer!.encode('Q: 2+3\nf(x)=1 H2+O2=H2O').length > 0);
  }
});

test('start: the same plan with steps=1 and evalPrompts=2 runs end to end and writes a report', async () => {
  const out = mkdtempSync(join(tmpdir(), 'distil-start-'));
  const log = console.log;
  const printed: string[] = [];
  console.log = (...a: unknown[]) => void printed.push(a.join(' '));
  try {
    const code = await startCommand.run(['--out', out, 'steps=1', 'evalPrompts=2', 'evalSamples=1', 'promptsPerStep=2', 'groupSize=2']);
    console.log = log;
    assert.equal(code, 0);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    assert.equal(results.rows.length, 3 * JSON.parse(readFileSync(START_CONFIG, "utf8")).methods.length);
    assert.ok(existsSync(join(out, 'report', 'index.html')) || printed.some((l) => /report: .*\.html/.test(l)), printed.join('\n'));
    assert.ok(printed.some((l) => /report: /.test(l)));
    // The summary says, per env, which methods learned beyond the start's greedy accuracy.
    for (const env of ['math', 'code', 'science']) assert.ok(printed.join('\n').includes(`${env}: learned beyond the start's greedy accuracy`), printed.join('\n'));
    assert.ok(results.rows.every((r: { greedy?: { mean: number } }) => typeof r.greedy?.mean === 'number'), 'greedy accuracy in every row');
  } finally {
    console.log = log;
    rmSync(out, { recursive: true, force: true });
  }
});
