import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compareMain } from '../../src/cli/commands/compare.ts';
import { envNames, registerEnv } from '../../src/envs/registry.ts';
import type { Env } from '../../src/envs/types.ts';
import { checkSearchSplits, planComparison, planLrSearch, type CompareConfig } from '../../src/train/compare.ts';
import { chooseLr, validateLrSearch } from '../../src/train/lr-search.ts';
import { readJsonl } from '../../src/train/run-folder.ts';
import { tinyModelFolder } from './helpers.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const mathCkpt = join(root, 'src', 'recipes', 'checkpoints', 'tiny-math-2to6');
const quietly = async <T>(fn: () => Promise<T>): Promise<T> => {
  const [log, err] = [console.log, process.stderr.write];
  console.log = () => {};
  process.stderr.write = (() => true) as typeof process.stderr.write;
  try {
    return await fn();
  } finally {
    console.log = log;
    process.stderr.write = err;
  }
};

test('a comparison naming a level the checkpoint was not trained on is refused before any run starts', async () => {
  const out = join(mkdtempSync(join(tmpdir(), 'distil-levels-')), 'cmp');
  const cfg: CompareConfig = { model: mathCkpt, envs: ['math'], methods: [{ label: 'grpo', algorithm: 'grpo' }], seeds: [0], base: { steps: 1 }, perEnv: { math: { levels: [6, 7] } } };
  await assert.rejects(compareMain(cfg, out, true), /level\(s\) 7 of math are outside the levels .*tiny-math-2to6 was trained on \(2, 3, 4, 5, 6/);
  assert.ok(!existsSync(out), 'nothing was written');
  assert.throws(() => planComparison({ ...cfg, perEnv: { math: { levels: [5], evalLevels: [8] } } }, out), /evalLevels of math.*level\(s\) 8 of math/);
  // Trained levels pass; a checkpoint without a record passes with a warning.
  assert.equal(planComparison({ ...cfg, perEnv: { math: { levels: [5, 6] } } }, out).length, 1);
  const warnings: string[] = [];
  planComparison({ ...cfg, model: tinyModelFolder() }, out, { warnings });
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /carries no record of its trained levels/);
});

test('lrSearch: bad grids are refused; the search plans one val-split run per method and lr; fixed lrs are not searched', () => {
  assert.throws(() => validateLrSearch({ grid: [] }), /grid must list positive learning rates/);
  assert.throws(() => validateLrSearch({ grid: [1e-4, -1] }), /grid must list positive/);
  assert.throws(() => validateLrSearch({ grid: [1e-4, 1e-4] }), /twice/);
  assert.throws(() => validateLrSearch({ grid: [1e-4], metric: 'best' }), /metric must be 'greedy' or 'sampled'/);
  assert.throws(() => validateLrSearch({ grid: [1e-4], base: { evalSplit: 'test' } }), /cannot set 'evalSplit'/);
  assert.throws(() => validateLrSearch({ grid: [1e-4], gird: 1 }), /unknown key 'gird'/);
  const cfg: CompareConfig = {
    model: mathCkpt, envs: ['math'], seeds: [3, 4], base: { steps: 2, lr: 5e-5 }, perEnv: { math: { levels: [5, 6] } },
    methods: [{ label: 'distil', algorithm: 'distil' }, { label: 'grpo', algorithm: 'grpo', lr: 2e-5 }],
    lrSearch: { grid: [1e-5, 3e-5, 1e-4, 3e-4], base: { evalPrompts: 50 } },
  };
  const search = planLrSearch(cfg, '/o');
  assert.deepEqual(search.map((r) => r.config.lr), [1e-5, 3e-5, 1e-4, 3e-4]);
  assert.ok(search.every((r) => r.config.name === 'distil' && r.config.evalSplit === 'val' && r.config.seed === 3 && r.config.evalPrompts === 50));
  assert.equal(search[2].dir, join('/o', 'lr-search', 'distil', 'math', 'lr-0.0001'));
  const main = planComparison(cfg, '/o', { lrs: new Map([['distil\u0000math', 1e-4]]) });
  assert.deepEqual(main.map((r) => [r.config.name, r.config.lr, r.config.evalSplit]), [
    ['distil', 1e-4, 'test'], ['distil', 1e-4, 'test'], ['grpo', 2e-5, 'test'], ['grpo', 2e-5, 'test'],
  ]);
  assert.equal(chooseLr('m', 'e', 'greedy', [{ lr: 1e-4, dir: 'a', greedy: 0.3 }, { lr: 1e-5, dir: 'b', greedy: 0.3 }, { lr: 3e-4, dir: 'c', greedy: 0.2, sampled: 0.9 }]).chosen, 1e-5, 'tie: the smaller lr');
  assert.equal(chooseLr('m', 'e', 'sampled', [{ lr: 1e-4, dir: 'a', greedy: 0.3, sampled: 0.1 }, { lr: 3e-4, dir: 'c', greedy: 0.2, sampled: 0.9 }]).chosen, 3e-4);
  assert.throws(() => chooseLr('m', 'e', 'greedy', [{ lr: 1e-4, dir: 'a', sampled: 0.5 }]), /no run recorded a final val greedy accuracy/);
});

test('a method may fix its lr per env: named envs are not searched, the others are; bad per-env lrs are refused', () => {
  const scienceCkpt = join(root, 'src', 'recipes', 'checkpoints', 'tiny-science-house');
  const cfg: CompareConfig = {
    model: { math: mathCkpt, science: scienceCkpt }, envs: ['math', 'science'], seeds: [0], base: { steps: 2, lr: 5e-5 },
    perEnv: { math: { levels: [5, 6] }, science: { levels: [8, 9] } },
    methods: [{ label: 'distil', algorithm: 'distil', lr: { math: 3e-4 } }],
    lrSearch: { grid: [1e-5, 1e-4] },
  };
  const search = planLrSearch(cfg, '/o');
  assert.deepEqual(search.map((r) => [r.config.env, r.config.lr]), [['science', 1e-5], ['science', 1e-4]]);
  const main = planComparison(cfg, '/o', { lrs: new Map([['distil\u0000science', 1e-4]]) });
  assert.deepEqual(main.map((r) => [r.config.env, r.config.lr]), [['math', 3e-4], ['science', 1e-4]]);
  // Without a search, an env the map does not name takes base's lr.
  const noSearch = planComparison({ ...cfg, lrSearch: undefined }, '/o');
  assert.deepEqual(noSearch.map((r) => [r.config.env, r.config.lr]), [['math', 3e-4], ['science', 5e-5]]);
  const withLr = (lr: unknown) => ({ ...cfg, methods: [{ label: 'distil', algorithm: 'distil', lr }] }) as CompareConfig;
  assert.throws(() => planComparison(withLr({ maths: 3e-4 }), '/o'), /method 'distil': lr names env 'maths', which is not in envs.*math/);
  assert.throws(() => planComparison(withLr({ math: -1 }), '/o'), /lr must be a positive number, or an object of one positive number per env.*math: -1/);
  assert.throws(() => planComparison(withLr('3e-4'), '/o'), /lr must be a positive number, or an object/);
  assert.throws(() => planComparison(withLr([3e-4]), '/o'), /lr must be a positive number, or an object/);
});

test('a val split that shares prompts with the test split is refused', async () => {
  const LEAKY = 'leaky-val-test';
  if (!envNames().includes(LEAKY)) {
    registerEnv(LEAKY, async (): Promise<Env> => ({
      name: LEAKY, description: 'val is the test split (a bad file env)', levels: [1],
      // Val (like a train file that holds the test prompts) returns the test prompts.
      tasks: (split, n) => Array.from({ length: n }, (_, i) => ({ id: `${LEAKY}/${split}/${i}`, env: LEAKY, prompt: split === 'train' ? `T${i}` : `Q${i}`, level: 1, meta: {} })),
      evaluate: async () => ({ reward: 0, correct: false, feedback: { summary: 'wrong', items: [] } }),
    }));
  }
  const cfg: CompareConfig = {
    model: tinyModelFolder(), envs: [LEAKY], seeds: [0], base: { steps: 1, evalPrompts: 5 }, methods: [{ label: 'grpo', algorithm: 'grpo' }], lrSearch: { grid: [1e-4] },
  };
  await assert.rejects(checkSearchSplits(planLrSearch(cfg, '/o'), planComparison(cfg, '/o')), /val split of leaky-val-test shares 5 of 5 prompts with its test split/);
  const out = join(mkdtempSync(join(tmpdir(), 'distil-leaky-')), 'cmp');
  await assert.rejects(quietly(() => compareMain(cfg, out, true)), /shares 5 of 5 prompts/);
  assert.ok(!existsSync(out));
});

test('compare with lrSearch: trains each lr on val, runs the comparison at the chosen lr, records grid and choice', async () => {
  const out = join(mkdtempSync(join(tmpdir(), 'distil-lrsearch-')), 'cmp');
  const cfg: CompareConfig = {
    model: tinyModelFolder(2), envs: ['math'], seeds: [0], methods: [{ label: 'grpo', algorithm: 'grpo' }],
    base: { steps: 1, promptsPerStep: 2, groupSize: 2, maxTokens: 8, evalPrompts: 3, evalSamples: 1, checkpointEvery: 0, levels: [1] },
    lrSearch: { grid: [1e-4, 3e-4], metric: 'sampled' },
  };
  assert.equal(await quietly(() => compareMain(cfg, out, true)), 0);
  const choice = JSON.parse(readFileSync(join(out, 'lr-choice.json'), 'utf8'));
  assert.equal(choice.split, 'val');
  assert.deepEqual(choice.grid, [1e-4, 3e-4]);
  const c = choice.choices[0];
  assert.deepEqual([c.method, c.env, c.metric, c.trials.length], ['grpo', 'math', 'sampled', 2]);
  // The search evaluated on val prompts (the rows say so) and the main run on test at the chosen lr.
  for (const t of c.trials) {
    const rows = readJsonl(join(t.dir, 'eval.jsonl'));
    assert.ok(rows.length > 0 && rows.every((r) => r.split === 'val'));
    assert.equal(typeof t.sampled, 'number');
  }
  const best = Math.max(...c.trials.map((t: { sampled: number }) => t.sampled));
  assert.equal(c.trials.find((t: { lr: number }) => t.lr === c.chosen).sampled, best);
  const mainCfg = JSON.parse(readFileSync(join(out, 'runs', 'grpo', 'math', 'seed-0', 'config.json'), 'utf8'));
  assert.equal(mainCfg.lr, c.chosen);
  assert.equal(mainCfg.evalSplit, 'test');
  assert.ok(readJsonl(join(out, 'runs', 'grpo', 'math', 'seed-0', 'eval.jsonl')).every((r) => !('split' in r)));
  const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
  assert.equal(results.lrSearch.choices[0].chosen, c.chosen);
  assert.equal(typeof results.rows[0].greedy.mean, 'number');
});
