import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import evalCmd from '../../src/cli/commands/eval.ts';
import { loadModelFolder } from '../../src/models/folder.ts';
import { builtinCheckpoint, builtinCheckpoints, gatedSetting } from '../../src/recipes/checkpoints.ts';
import { resolvePretrainConfig } from '../../src/recipes/pretrain-config.ts';
import { tinyModelConfig, tinyTokenizer } from '../../src/recipes/tiny.ts';

test('shipped checkpoints load, use the tiny tokenizer, and carry a resolvable recipe', () => {
  const names = builtinCheckpoints();
  assert.ok(names.length >= 1, 'at least one checkpoint ships');
  for (const name of names) {
    const dir = builtinCheckpoint(name);
    const f = loadModelFolder(dir);
    assert.equal(f.tokenizer?.vocabSize, tinyTokenizer().vocabSize);
    assert.equal(f.tokenizer?.decode(f.tokenizer.encode('Q: 4-5*3\n')), 'Q: 4-5*3\n');
    const recipe = JSON.parse(readFileSync(join(dir, 'recipe.json'), 'utf8'));
    assert.ok(recipe.commands.length >= 1);
    const c = resolvePretrainConfig(recipe.config);
    assert.equal(f.config.hiddenSize, tinyModelConfig(c.model).hiddenSize);
    assert.equal(f.config.numLayers, tinyModelConfig(c.model).numLayers);
  }
  assert.throws(() => builtinCheckpoint('no-such-checkpoint'), /no built-in checkpoint/);
});

test('shipped checkpoints carry the stop strings their training used, and eval uses them by default', async () => {
  for (const name of builtinCheckpoints()) {
    const stops = loadModelFolder(builtinCheckpoint(name), { weights: false }).generation.stopStrings ?? [];
    for (const s of ['\nFeedback:', '\nCritique:', '\nReward:']) assert.ok(stops.includes(s), `${name}: ${JSON.stringify(stops)}`);
    assert.ok(stops.includes('\nQ: ') || stops.includes('\nf('), name);
  }
  // The code checkpoint, greedy on 12 test prompts: without stop strings it rambles into the
  // next prompt and scores 0; with the shipped ones it solves some.
  const run = async (extra: string[]) => {
    const lines: string[] = [];
    const log = console.log;
    console.log = (x: string) => lines.push(x);
    try {
      await evalCmd.run(['--model', builtinCheckpoint('tiny-code'), '--env', 'code', '--levels', '1', '--prompts', '12', '--samples', '1', '--temperature', '0', '--json', ...extra]);
    } finally {
      console.log = log;
    }
    return JSON.parse(lines[0]).accuracy as number;
  };
  assert.ok((await run([])) > 0.15);
  assert.equal(await run(['--stop', 'none']), 0);
});

test('eval measures a shipped checkpoint at the env and RL levels of its gate unless told otherwise', async () => {
  assert.deepEqual(gatedSetting(builtinCheckpoint('tiny-math-hidden')), { env: 'math', levels: [22, 23] });
  assert.deepEqual(gatedSetting(builtinCheckpoint('tiny-code-digits')), { env: 'code', levels: [7] });
  const dir = mkdtempSync(join(tmpdir(), 'distil-gated-'));
  assert.equal(gatedSetting(dir), undefined, 'no recipe.json');
  writeFileSync(join(dir, 'recipe.json'), '{not json');
  assert.equal(gatedSetting(dir), undefined, 'a broken recipe is ignored');
  const levelsOf = async (args: string[]) => {
    const lines: string[] = [];
    const log = console.log;
    const err = process.stderr.write;
    console.log = (x: string) => lines.push(x);
    process.stderr.write = (() => true) as typeof process.stderr.write;
    try {
      await evalCmd.run(['--model', builtinCheckpoint('tiny-math-hidden'), '--prompts', '2', '--samples', '1', '--max-tokens', '4', '--json', ...args]);
    } finally {
      console.log = log;
      process.stderr.write = err;
    }
    return Object.keys(JSON.parse(lines[0]).byLevel).map(Number);
  };
  assert.ok((await levelsOf([])).every((l) => l === 22 || l === 23));
  assert.deepEqual(await levelsOf(['--levels', '5']), [5]);
});
