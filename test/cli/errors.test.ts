/**
 * Bad input ends every command with one line (what, which file, what to do) and exit code 2;
 * a failure during the work with exit code 1; a stack trace only with DISTIL_DEBUG=1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main, reportError } from '../../src/cli/main.ts';
import { builtinCheckpoint } from '../../src/recipes/checkpoints.ts';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'distil.mjs');
const root = mkdtempSync(join(tmpdir(), 'distil-cli-errors-'));
const model = builtinCheckpoint('tiny-math-2to6');

/** Runs `distil ...args` in this process; returns the exit code and what went to stderr. */
async function run(t: { mock: { method: Function } }, args: string[]): Promise<{ code: number; err: string[] }> {
  const err: string[] = [];
  t.mock.method(console, 'error', (s: string) => err.push(...String(s).split('\n')));
  t.mock.method(console, 'log', () => {});
  t.mock.method(process.stderr, 'write', () => true);
  const code = await main(args);
  return { code, err };
}

function brokenFolder(): string {
  const dir = join(root, 'broken-model');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), '{"hidden_size": ');
  return dir;
}

test('bad input: exit 2 and one line naming the file or value', async (t) => {
  const broken = brokenFolder();
  const cases: [string[], RegExp][] = [
    [['train', `model=${join(root, 'no-such-model')}`, '--out', join(root, 'o1')], /^distil train: model folder .*no-such-model does not exist or is not a folder$/],
    [['train', `model=${broken}`, '--out', join(root, 'o2')], /^distil train: .*broken-model\/config\.json is not valid JSON/],
    [['train', `model=${model}`, 'env=nope', '--out', join(root, 'o3')], /^distil train: env=nope on the command line: option 'env' must be one of .*code.*math.*; got "nope"/],
    [['train', `model=${model}`, 'stepz=3'], /^distil train: .*stepz/],
    [['eval', '--model', broken], /^distil eval: .*broken-model\/config\.json is not valid JSON/],
    [['eval', '--model', model, '--env', 'nope'], /^distil eval: unknown env 'nope'/],
    [['eval', '--model', model, '--stop', '["x",'], /^distil eval: --stop .* is not a valid JSON list/],
    [['serve', '--model', broken], /^distil serve: .*config\.json is not valid JSON/],
    [['report', join(root, 'no-runs-here')], /^distil report: /],
  ];
  for (const [args, re] of cases) {
    const { code, err } = await run(t, args);
    assert.equal(code, 2, `${args.join(' ')}: ${err.join('\n')}`);
    assert.equal(err.filter((l) => l.trim()).length, 1, `${args.join(' ')}: more than one line:\n${err.join('\n')}`);
    assert.match(err[0], re);
    assert.ok(!err.some((l) => /^\s+at /.test(l)), 'no stack trace');
  }
});

test('a failure during the work: exit 1 with its message; the stack trace only with DISTIL_DEBUG=1', (t) => {
  const lines: string[] = [];
  t.mock.method(console, 'error', (s: string) => lines.push(...String(s).split('\n')));
  const saved = process.env.DISTIL_DEBUG;
  try {
    delete process.env.DISTIL_DEBUG;
    assert.equal(reportError('train', new Error('EACCES: permission denied, open runs/x/metrics.jsonl')), 1);
    assert.deepEqual(lines, ['distil train: EACCES: permission denied, open runs/x/metrics.jsonl (DISTIL_DEBUG=1 shows where it happened)']);
    lines.length = 0;
    process.env.DISTIL_DEBUG = '1';
    assert.equal(reportError('train', new Error('boom')), 1);
    assert.equal(lines[0], 'distil train: boom');
    assert.ok(lines.some((l) => /^\s+at /.test(l)), 'DISTIL_DEBUG=1 prints the stack');
  } finally {
    if (saved === undefined) delete process.env.DISTIL_DEBUG;
    else process.env.DISTIL_DEBUG = saved;
  }
});

test('the distil command itself: exit code 2, no stack trace; DISTIL_DEBUG=1 adds it', () => {
  const args = [BIN, 'eval', '--model', join(root, 'missing-model')];
  const plain = spawnSync(process.execPath, args, { encoding: 'utf8', env: { ...process.env, DISTIL_DEBUG: '' } });
  assert.equal(plain.status, 2, plain.stderr);
  assert.match(plain.stderr, /^distil eval: model folder .*missing-model does not exist or is not a folder\n$/);
  const debug = spawnSync(process.execPath, args, { encoding: 'utf8', env: { ...process.env, DISTIL_DEBUG: '1' } });
  assert.equal(debug.status, 2);
  assert.match(debug.stderr, /\n\s+at /);
});

test('a model that fails to load leaves no --out folder behind (train and pretrain)', async (t) => {
  const out = join(root, 'never-made');
  const { code } = await run(t, ['train', `model=${join(root, 'no-such-model')}`, '--out', out]);
  assert.equal(code, 2);
  assert.equal(existsSync(out), false);
  const config = join(import.meta.dirname, '..', '..', 'src', 'recipes', 'configs', 'math.json');
  const pre = await run(t, ['pretrain', '--config', config, '--out', out, `init=${join(root, 'no-such-model')}`]);
  assert.equal(pre.code, 2);
  assert.match(pre.err[0], /^distil pretrain: model folder .*no-such-model does not exist/);
  assert.equal(existsSync(out), false);
});

test('a folder that already holds a run is bad input, and is left as it was', async (t) => {
  const out = join(root, 'taken');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'metrics.jsonl'), '{"step":1}\n');
  const { code, err } = await run(t, ['train', `model=${model}`, '--out', out]);
  assert.equal(code, 2);
  assert.match(err[0], /already holds a run \(metrics\.jsonl exists\); resume it with --resume or choose another folder$/);
  assert.deepEqual(readdirSync(out), ['metrics.jsonl']);
});

test('--resume key=value: an error blames the command line or the run\'s config.json, whichever gave the value', async (t) => {
  const out = join(root, 'resumable');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'config.json'), JSON.stringify({ model, env: 'math', steps: 3 }));
  const typed = await run(t, ['train', '--resume', '--out', out, 'lr=0.001', 'steps=-1']);
  assert.equal(typed.code, 2);
  assert.match(typed.err[0], /^distil train: steps=-1 on the command line: option 'steps' must be >= 0, got -1/);
  writeFileSync(join(out, 'config.json'), JSON.stringify({ model, env: 'math', steps: -3 }));
  const saved = await run(t, ['train', '--resume', '--out', out, 'lr=0.001']);
  assert.equal(saved.code, 2);
  assert.match(saved.err[0], /^distil train: .*resumable\/config\.json: option 'steps' must be >= 0, got -3/);
});
