import { test } from 'node:test';
import assert from 'node:assert/strict';
import evalCommand, { formatEval } from '../../src/cli/commands/eval.ts';
import { tinyModelFolder } from '../train/helpers.ts';
import { captureLog } from './helpers.ts';

const captured = async (fn: () => Promise<number>): Promise<string> => (await captureLog(fn)).out;

test('distil eval reports greedy accuracy beside avg@k by default, and not with --no-greedy', async () => {
  const model = tinyModelFolder(5);
  const args = ['--model', model, '--env', 'math', '--levels', '1', '--prompts', '3', '--samples', '2', '--max-tokens', '4', '--json'];
  const withGreedy = JSON.parse(await captured(() => evalCommand.run(args)));
  assert.equal(typeof withGreedy.greedy, 'number');
  assert.equal(typeof withGreedy.byLevel['1'].greedy, 'number');
  const without = JSON.parse(await captured(() => evalCommand.run([...args, '--no-greedy'])));
  assert.ok(!('greedy' in without));
  const table = await captured(() => evalCommand.run(args.filter((a) => a !== '--json')));
  assert.match(table, /greedy \(T=0\) and 2 samples at T=1/);
  assert.match(table, /level\s+n\s+greedy\s+avg@2\s+pass@1\s+pass@2/);
});

test('the eval table puts greedy first and shows a level without it as -', () => {
  const s = {
    n: 4, samples: 2, accuracy: 0.25, greedy: 0.5, meanReward: 0.25, passAtK: { '1': 0.25, '2': 0.4 },
    byLevel: { '1': { n: 2, accuracy: 0.5, greedy: 1, passAtK: { '1': 0.5, '2': 0.6 } }, '2': { n: 2, accuracy: 0, passAtK: { '1': 0, '2': 0 } } },
  };
  const lines = formatEval('math', s, 1).split('\n');
  assert.equal(lines[2].trim().split(/\s+/).join(' '), '1 2 100.0% 50.0% 50.0% 60.0%');
  assert.equal(lines[3].trim().split(/\s+/).join(' '), '2 2 - 0.0% 0.0% 0.0%');
  assert.equal(lines[4].trim().split(/\s+/).join(' '), 'all 4 50.0% 25.0% 25.0% 40.0%');
});

test('distil eval --split val evaluates other prompts than the test split; a bad split is refused', async () => {
  const model = tinyModelFolder(5);
  const base = ['--model', model, '--env', 'math', '--levels', '5', '--prompts', '2', '--samples', '1', '--max-tokens', '2'];
  const table = await captured(() => evalCommand.run([...base, '--split', 'val']));
  assert.match(table, /^math: 2 val prompts/);
  assert.match(await captured(() => evalCommand.run(base)), /^math: 2 test prompts/);
  await assert.rejects(evalCommand.run([...base, '--split', 'train']), /--split must be test or val/);
});
