/**
 * Resume (issue item 6): a run killed with SIGKILL in the middle of a step and resumed from its
 * last checkpoint ends with the same metrics, evaluations, samples and weights as an
 * uninterrupted run with the same seed. Only timing keys may differ.
 *
 * The killed run is a separate process (test/train/resume-child.ts) that blocks in the
 * `midStep` hook of step 5 after writing a marker file; the parent waits for the marker, kills
 * it, tears the last line of metrics.jsonl (as a kill during a write would), resumes in this
 * process and compares with an uninterrupted run of the same config in another folder.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadWeights } from '../../src/models/checkpoint.ts';
import { listCheckpoints } from '../../src/train/run-folder.ts';
import { resolveTrainConfig } from '../../src/train/config.ts';
import { train } from '../../src/train/loop.ts';
import { readJsonl } from '../../src/train/run-folder.ts';
import { tinyModelFolder } from './helpers.ts';
import { NEXT_DIGIT } from './learning-env.ts';

const TIMING = (k: string) => k === 'wall_s' || k === 'tok_per_s' || k.startsWith('time/');

function withoutTiming(row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(row).filter(([k]) => !TIMING(k)));
}

function assertSameJsonl(a: string, b: string, file: string): number {
  const ra = readJsonl(join(a, file)), rb = readJsonl(join(b, file));
  assert.equal(rb.length, ra.length, `${file}: ${rb.length} rows after resuming, ${ra.length} uninterrupted`);
  ra.forEach((row, i) => assert.deepEqual(withoutTiming(rb[i]), withoutTiming(row), `${file}: row ${i} (step ${row.step}) differs`));
  return ra.length;
}

/** Every tensor of the safetensors folders under `sub` of the two final checkpoints, bit for bit. */
function assertSameTensors(a: string, b: string, sub: string): number {
  const ta = loadWeights(join(a, sub)).tensors, tb = loadWeights(join(b, sub)).tensors;
  assert.deepEqual([...tb.keys()].sort(), [...ta.keys()].sort(), `${sub}: different tensors`);
  for (const [name, t] of ta) {
    const u = tb.get(name)!;
    const bytes = (x: Float32Array) => Buffer.from(x.buffer, x.byteOffset, x.byteLength);
    assert.ok(bytes(t.data).equals(bytes(u.data)), `${sub}: ${name} differs`);
  }
  return ta.size;
}

async function runChildUntilKilled(configPath: string, runDir: string, killStep: number): Promise<void> {
  const marker = join(runDir, '..', 'killed-at');
  const script = fileURLToPath(new URL('./resume-child.ts', import.meta.url));
  const repo = fileURLToPath(new URL('../../', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, configPath, runDir, marker, String(killStep)], { cwd: repo, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => child.on('exit', (code, signal) => res({ code, signal })));
  let done: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  void exited.then((e) => (done = e));
  // The marker is created, then written: wait for its content, not only for the file.
  while (!existsSync(marker) || readFileSync(marker, 'utf8') === '') {
    if (done) assert.fail(`the child exited (${JSON.stringify(done)}) before step ${killStep}: ${stderr}`);
    await sleep(20);
  }
  const at = readFileSync(marker, 'utf8');
  child.kill('SIGKILL'); // first: a child left blocked would keep the test process alive
  assert.equal(at, String(killStep));
  const e = await exited;
  assert.equal(e.signal, 'SIGKILL', `the child should die by SIGKILL: ${JSON.stringify(e)} ${stderr}`);
}

interface Case {
  name: string;
  config(): Promise<Record<string, unknown>>;
  /** Teacher weights kept in checkpoints (EMA, frozen). */
  teacher: boolean;
}

const model = tinyModelFolder(2);
const base = {
  model, env: 'math', levels: [1], steps: 6, promptsPerStep: 2, groupSize: 2, maxTokens: 10, lr: 1e-2,
  evalEvery: 3, evalPrompts: 4, evalSamples: 2, checkpointEvery: 2, keepCheckpoints: 2, samplesPerStep: 2, seed: 11,
};

/** GRPO config on a warmed-up model (mixed rewards in the groups). */
async function grpoCase(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'distil-resume-warm-'));
  const warm = { model: tinyModelFolder(1), env: NEXT_DIGIT, algorithm: 'sft', steps: 31, promptsPerStep: 8, lr: 1e-2, maxTokens: 2, evalEvery: 0, evalPrompts: 1, checkpointEvery: 0, samplesPerStep: 0, klInit: false };
  await train(resolveTrainConfig(warm), dir, { log: () => {} });
  return { ...base, model: join(dir, 'checkpoints', 'step-31', 'model'), env: NEXT_DIGIT, levels: null, maxTokens: 2, promptsPerStep: 4, groupSize: 4, evalPrompts: 10, evalSamples: 4, algorithm: 'grpo' };
}

const CASES: Case[] = [
  {
    name: 'distil with an EMA teacher, a DAgger buffer, teacher roll-in and a KL anchor',
    config: async () => ({ ...base, algorithm: 'distil', algorithmOptions: { topK: 8, teacher: 'ema', emaRate: 0.3, select: 'all', daggerBuffer: 6, daggerSample: 2, klBeta: 0.05, rollInBeta: 0.3 } }),
    teacher: true,
  },
  { name: 'opsd with a frozen teacher', config: async () => ({ ...base, algorithm: 'opsd', algorithmOptions: { topK: 8, teacher: 'frozen' } }), teacher: true },
  {
    // GRPO needs groups with mixed rewards: start from a model warmed up on the toy task of the
    // learning tests (39% right).
    name: 'grpo',
    config: () => grpoCase(),
    teacher: false,
  },
  {
    // Several updates per step: the mini-batch shuffles come from the step's seed.
    name: 'grpo with 2 epochs x 2 mini-batches per step',
    config: async () => ({ ...(await grpoCase()), updateEpochs: 2, miniBatches: 2, lr: 2e-3 }),
    teacher: false,
  },
  {
    // The RND predictor, its Adam moments and running statistics live in trainer-state.json.
    name: 'grpo with an RND bonus',
    config: async () => ({ ...(await grpoCase()), algorithmOptions: { intrinsic: 'rnd', rndHidden: 8 } }),
    teacher: false,
  },
];

/** Every output of the two runs equal, timing aside (the last checkpoint's tensors bit for bit). */
function assertSameRuns(whole: string, killed: string, teacher: boolean): void {
  assert.equal(assertSameJsonl(whole, killed, 'metrics.jsonl'), 6);
  assert.equal(assertSameJsonl(whole, killed, 'eval.jsonl'), 3);
  assert.equal(assertSameJsonl(whole, killed, 'samples.jsonl'), 12);
  const summary = (d: string) => {
    const s = JSON.parse(readFileSync(join(d, 'summary.json'), 'utf8'));
    return { ...withoutTiming(s), final_eval: withoutTiming(s.final_eval) };
  };
  assert.deepEqual(summary(killed), summary(whole));
  const last = (d: string) => join(d, 'checkpoints', 'step-6');
  assert.ok(assertSameTensors(last(whole), last(killed), 'model') > 0);
  assert.ok(assertSameTensors(last(whole), last(killed), 'optimizer') > 0);
  assert.deepEqual(JSON.parse(readFileSync(join(last(killed), 'optimizer', 'state.json'), 'utf8')), JSON.parse(readFileSync(join(last(whole), 'optimizer', 'state.json'), 'utf8')));
  if (teacher) assert.ok(assertSameTensors(last(whole), last(killed), 'teacher') > 0);
  else assert.ok(!existsSync(join(last(killed), 'teacher')));
  const state = (d: string) => withoutTiming({ ...JSON.parse(readFileSync(join(last(d), 'trainer-state.json'), 'utf8')), wallSeconds: undefined });
  assert.deepEqual(state(killed), state(whole));
  const rnd = (state(whole) as { extra: { algorithm?: { predictor?: number[][] } } }).extra.algorithm;
  if (rnd) assert.ok(rnd.predictor!.length > 0, 'the RND predictor is in the checkpoint');
  assert.deepEqual(readdirSync(join(killed, 'checkpoints')).sort(), ['step-4', 'step-6']);
}

async function setUp(c: Case) {
  const root = mkdtempSync(join(tmpdir(), 'distil-resume-'));
  const given = await c.config();
  const cfg = resolveTrainConfig(given);
  const configPath = join(root, 'config.json');
  writeFileSync(configPath, JSON.stringify(given));
  const whole = join(root, 'whole');
  await train(cfg, whole, { log: () => {} });
  return { cfg, configPath, whole, killed: join(root, 'killed') };
}

for (const c of CASES) {
  test(`${c.name}: killed mid-step (SIGKILL) and resumed, the run ends as an uninterrupted one`, async () => {
    const { cfg, configPath, whole, killed } = await setUp(c);
    const trained = readJsonl(join(whole, 'metrics.jsonl')).filter((r) => r.skipped === 0).map((r) => r.step as number);
    assert.ok(trained.some((s) => s > 4), `no step after the checkpoint trained: ${trained}`);

    await runChildUntilKilled(configPath, killed, 5);
    assert.deepEqual(listCheckpoints(killed), [2, 4], 'the killed run should hold the checkpoints of steps 2 and 4');
    assert.deepEqual(readJsonl(join(killed, 'metrics.jsonl')).map((r) => r.step), [1, 2, 3, 4]);
    // A kill in the middle of an append leaves a torn last line: resume must drop it. A kill
    // while a checkpoint is written leaves its temporary folder (or, had it been renamed, a
    // folder without trainer-state.json): resume must ignore both.
    appendFileSync(join(killed, 'metrics.jsonl'), '{"step":5,"loss":0.12');
    mkdirSync(join(killed, 'checkpoints', 'step-6.tmp-99999', 'model'), { recursive: true });
    mkdirSync(join(killed, 'checkpoints', 'step-6', 'model'), { recursive: true });
    writeFileSync(join(killed, 'checkpoints', 'step-6', 'model', 'config.json'), '{"torn');
    const logs: string[] = [];
    const res = await train(cfg, killed, { log: (m) => logs.push(m) }, { resume: true });
    assert.equal(res.steps, 6);
    assert.ok(logs.some((l) => /resuming .* from step 4/.test(l)), logs.join('\n'));
    assertSameRuns(whole, killed, c.teacher);
  });
}

test('a run killed before its first checkpoint starts over when resumed, and ends as an uninterrupted one', async () => {
  const c = CASES[0];
  const { cfg, configPath, whole, killed } = await setUp(c);
  await runChildUntilKilled(configPath, killed, 1);
  assert.deepEqual(listCheckpoints(killed), []);
  assert.deepEqual(readJsonl(join(killed, 'eval.jsonl')).map((r) => r.step), [0], 'the killed run evaluated step 0');
  await train(cfg, killed, { log: () => {} }, { resume: true });
  assertSameRuns(whole, killed, c.teacher);
});

test('resuming a finished run changes none of its files', async () => {
  const { cfg, whole } = await setUp(CASES[1]);
  const files = ['metrics.jsonl', 'eval.jsonl', 'samples.jsonl', 'config.json'];
  const before = files.map((f) => readFileSync(join(whole, f), 'utf8'));
  const summary = readFileSync(join(whole, 'summary.json'), 'utf8');
  const res = await train(cfg, whole, { log: () => {} }, { resume: true });
  assert.equal(res.steps, 6);
  assert.equal(res.finalEval?.step, 6);
  files.forEach((f, i) => assert.equal(readFileSync(join(whole, f), 'utf8'), before[i], `${f} changed`));
  assert.equal(readFileSync(join(whole, 'summary.json'), 'utf8'), summary);
  assert.deepEqual(listCheckpoints(whole), [4, 6]);
});

test('a run stopped between steps (Ctrl-C) and resumed ends as an uninterrupted one', async () => {
  const c = CASES[0];
  const { cfg, whole, killed: stoppedDir } = await setUp(c);
  let last = 0;
  const res = await train(cfg, stoppedDir, { log: () => {}, onStep: (row) => (last = row.step), shouldStop: () => last === 3 });
  assert.equal(res.stopped, true);
  assert.equal(res.steps, 3);
  assert.deepEqual(listCheckpoints(stoppedDir), [2, 3], 'stopping checkpoints the last step');
  assert.ok(!existsSync(join(stoppedDir, 'summary.json')), 'a stopped run has no summary yet');
  const again = await train(cfg, stoppedDir, { log: () => {} }, { resume: true });
  assert.equal(again.stopped, false);
  assertSameRuns(whole, stoppedDir, c.teacher);
});
