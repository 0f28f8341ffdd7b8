import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { disambiguateLabels, expandRunDirs, groupRuns, labelFromName, loadRuns, readRun, RunFormatError, shortValues } from '../../src/report/runs.ts';
import { readJsonl } from '../../src/report/jsonl.ts';
import { makeRuns } from './synthetic.ts';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'distil-runs-'));
}

test('readRun reads every file, keeps extra keys, tolerates missing files', () => {
  const root = tmp();
  try {
    const { dirs } = makeRuns(root);
    const r = readRun(dirs[0]);
    assert.equal(r.algorithm, 'distil');
    assert.equal(r.env, 'math');
    assert.equal(r.seed, 1);
    assert.equal(r.metrics.length, 21);
    assert.equal(r.evals.length, 5);
    assert.equal(r.metrics[0].unknown_key, 'kept');
    const bare = join(root, 'bare');
    mkdirSync(bare);
    writeFileSync(join(bare, 'metrics.jsonl'), '{"step":0,"accuracy":0.5}\n');
    const b = readRun(bare);
    assert.equal(b.algorithm, 'unknown');
    assert.equal(b.evals.length, 0);
    assert.match(b.warnings[0], /no config\.json/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a malformed line is an error naming the file and line; a torn last line is a warning', () => {
  const root = tmp();
  try {
    const f = join(root, 'metrics.jsonl');
    writeFileSync(f, '{"step":0}\n{"step":1,\n{"step":2}\n');
    assert.throws(() => readJsonl(f), (e: Error) => e instanceof RunFormatError && e.message.includes(`${f}:2:`));
    writeFileSync(f, '{"step":0}\n[1,2]\n');
    assert.throws(() => readJsonl(f), /metrics\.jsonl:2: expected a JSON object/);
    writeFileSync(f, '{"step":0}\n{"step":1}\n{"step":2,"acc');
    const warnings: string[] = [];
    assert.equal(readJsonl(f, warnings).length, 2);
    assert.match(warnings[0], /:3: skipped an incomplete last line/);
    writeFileSync(join(root, 'config.json'), '{oops');
    assert.throws(() => readRun(root), /config\.json: not valid JSON/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('groups: 3 algorithms x 2 envs, 2 seeds each; a folder of runs expands; gate-only runs are not grouped', () => {
  const root = tmp();
  try {
    makeRuns(root);
    const { runs, groups } = loadRuns([root]);
    assert.equal(runs.length, 14);
    assert.deepEqual(runs.filter((r) => r.pretrain).map((r) => r.name).sort(), ['pretrain', 'pretrain-tiny']);
    assert.equal(groups.length, 6);
    for (const g of groups) assert.equal(g.runs.length, 2, `${g.label}/${g.env}`);
    assert.deepEqual([...new Set(groups.map((g) => g.env))], ['code', 'math']);
    assert.throws(() => expandRunDirs([join(root, 'nope')]), /no such folder/);
    const empty = join(root, 'empty');
    mkdirSync(empty);
    assert.throws(() => expandRunDirs([empty]), /not a run folder/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a comparison folder (OUT/runs/<method>/<env>/seed-N) expands to its runs, four levels down', () => {
  const root = tmp();
  try {
    for (const m of ['distil', 'grpo']) {
      const dir = join(root, 'cmp', 'runs', m, 'math', 'seed-0');
      mkdirSync(join(dir, 'checkpoints', 'step-5'), { recursive: true });
      writeFileSync(join(dir, 'config.json'), JSON.stringify({ name: m, algorithm: m, env: 'math', seed: 0 }));
      writeFileSync(join(dir, 'checkpoints', 'step-5', 'config.json'), '{}');
    }
    writeFileSync(join(root, 'cmp', 'compare.json'), '{}');
    const found = expandRunDirs([join(root, 'cmp')]).map((d) => d.slice(join(root, 'cmp').length + 1));
    assert.deepEqual(found, [join('runs', 'distil', 'math', 'seed-0'), join('runs', 'grpo', 'math', 'seed-0')]);
    mkdirSync(join(root, 'deep', 'a', 'b', 'c', 'd', 'e'), { recursive: true });
    writeFileSync(join(root, 'deep', 'a', 'b', 'c', 'd', 'e', 'config.json'), '{}');
    assert.throws(() => expandRunDirs([join(root, 'deep')]), /holds no run folders/, 'five levels down is too deep');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('runs that differ in a setting get it in their label instead of being averaged together', () => {
  const mk = (seed: number, fc: boolean) => ({
    dir: `/r${seed}${fc}`, name: `r${seed}`, algorithm: 'distil', label: 'distil', env: 'math', seed,
    config: { algorithm: { name: 'distil', future_credit: fc }, env: 'math', seed, name: `r${seed}`, out_dir: `/x/${seed}` },
    metrics: [{ step: 0 }], evals: [], samples: [], warnings: [],
  });
  const runs = [mk(1, true), mk(2, true), mk(1, false), mk(2, false)];
  disambiguateLabels(runs);
  assert.deepEqual(runs.map((r) => r.label), [
    'distil (future_credit=true)', 'distil (future_credit=true)', 'distil (future_credit=false)', 'distil (future_credit=false)',
  ]);
  assert.equal(groupRuns(runs).length, 2);
  // Seeds alone (and output folders) do not split a method.
  const seedsOnly = [mk(1, true), mk(2, true)];
  disambiguateLabels(seedsOnly);
  assert.deepEqual(seedsOnly.map((r) => r.label), ['distil', 'distil']);
});

test('labels: config.name is the label, minus a seed suffix after a separator', () => {
  assert.equal(labelFromName('distil-s1', 1), 'distil');
  assert.equal(labelFromName('grpo_seed2', 2), 'grpo');
  assert.equal(labelFromName('distil-fc-off-seed-3', 3), 'distil-fc-off');
  assert.equal(labelFromName('distil-s1', 2), 'distil-s1', 'another seed: kept');
  assert.equal(labelFromName('v2', 2), 'v2', 'no separator: kept');
  assert.equal(labelFromName(undefined, 1), undefined);
  const root = tmp();
  try {
    const { dirs } = makeRuns(root);
    const r = readRun(dirs[0]);
    assert.equal(r.label, 'distil');
    assert.equal(r.name, 'math-distil-s1', 'runs are named by their folder');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a label someone chose is not split by differing settings', () => {
  const mk = (lr: number) => ({
    dir: '/r', name: 'r', algorithm: 'distil', label: 'mine', env: 'math', seed: 1,
    config: { algorithm: 'distil', name: 'mine', lr }, metrics: [], evals: [], samples: [], warnings: [],
  });
  const runs = [mk(1), mk(2)];
  disambiguateLabels(runs);
  assert.deepEqual(runs.map((r) => r.label), ['mine', 'mine']);
});

test('labels shorten long differing values to what differs, and never merge different settings', () => {
  assert.deepEqual(shortValues(['"/tmp/warm-aa/checkpoints/step-27/model"', '"/tmp/warm-bb/checkpoints/step-27/model"']), ['…aa…', '…bb…']);
  assert.deepEqual(shortValues(['1', '2']), ['1', '2']);
  const mk = (seed: number, o: Record<string, unknown>) => ({
    dir: '/r', name: 'r', algorithm: 'grpo', label: 'grpo', env: 'math', seed,
    config: { algorithm: 'grpo', seed, ...o }, metrics: [], evals: [], samples: [], warnings: [],
  });
  // Four settings differ; only three are shown, so two runs would look alike without a number.
  const runs = [
    mk(1, { a: 1, b: 1, c: 1, d: 1 }), mk(2, { a: 1, b: 1, c: 1, d: 1 }), mk(1, { a: 1, b: 1, c: 1, d: 2 }), mk(1, { a: 2, b: 2, c: 2, d: 2 }),
  ];
  disambiguateLabels(runs);
  assert.equal(runs[0].label, runs[1].label, 'seeds of one setting share a label');
  assert.equal(new Set(runs.map((r) => r.label)).size, 3);
  assert.match(runs[2].label, / #2$/);
  // Bookkeeping settings (how often to evaluate or checkpoint) do not make a new method.
  const book = [mk(1, { evalEvery: 5 }), mk(2, { evalEvery: 10 })];
  disambiguateLabels(book);
  assert.deepEqual(book.map((r) => r.label), ['grpo', 'grpo']);
});
