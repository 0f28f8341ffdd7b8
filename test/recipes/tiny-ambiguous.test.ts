import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { LocalBackend } from '../../src/backends/local.ts';
import { filledDigit, ambiguousSolutions } from '../../src/envs/ambiguous/index.ts';
import { getEnv } from '../../src/envs/registry.ts';
import { loadModelFolder } from '../../src/models/folder.ts';
import { transformerFromWeights } from '../../src/models/transformer-io.ts';
import { builtinCheckpoint } from '../../src/recipes/checkpoints.ts';
import { resolvePretrainConfig } from '../../src/recipes/pretrain-config.ts';
import { tinyModelConfig } from '../../src/recipes/tiny.ts';

// The start policy of the set-objective demo (docs/set-objectives.md): it must be what its
// recipe makes, and it must write the question's equation with a digit spread over 0-9.
const dir = builtinCheckpoint('tiny-ambiguous');

test('tiny-ambiguous: recipe.json records the config its command names, at the step it ships', () => {
  const recipe = JSON.parse(readFileSync(`${dir}/recipe.json`, 'utf8'));
  assert.equal(recipe.commands.length, 1);
  const file = /--config (\S+)/.exec(recipe.commands[0])?.[1];
  assert.ok(file, recipe.commands[0]);
  const config = resolvePretrainConfig(JSON.parse(readFileSync(file!, 'utf8')));
  assert.deepEqual(recipe.config, JSON.parse(JSON.stringify(config)));
  assert.equal(recipe.step, config.steps);
  const f = loadModelFolder(dir);
  const shape = tinyModelConfig(config.model);
  for (const k of ['hiddenSize', 'numLayers', 'numHeads', 'intermediateSize'] as const) assert.equal(f.config[k], shape[k]);
});

test('tiny-ambiguous: at T = 1 it writes a*d=b with a digit spread over 0-9, a solution some of the time', async () => {
  const f = loadModelFolder(dir);
  const backend = new LocalBackend(transformerFromWeights(f.config, f.weights, dir), { tokenizer: f.tokenizer! });
  const env = await getEnv('ambiguous');
  const tasks = env.tasks('test', 20, 0, { levels: [2] });
  const G = 10;
  const res = await backend.sample(tasks.flatMap((t, i) => Array.from({ length: G }, (_, j) => ({
    prompt: f.tokenizer!.encode(t.prompt), maxTokens: 8, temperature: 1, seed: 1000 * i + j, stop: ['\n'],
  }))));
  let formatted = 0, solutions = 0, distinct = 0;
  tasks.forEach((t, i) => {
    const { a, b } = t.meta as { a: number; b: number };
    const digits = res.slice(i * G, (i + 1) * G).map((c) => filledDigit(a, b, c.text));
    formatted += digits.filter((d) => d !== null).length;
    solutions += digits.filter((d) => d !== null && ambiguousSolutions(t).includes(d)).length;
    distinct += new Set(digits.filter((d) => d !== null)).size;
  });
  const n = tasks.length * G;
  assert.ok(formatted / n >= 0.95, `format ${formatted}/${n}`);
  assert.ok(distinct / tasks.length >= 5, `distinct digits per question ${distinct / tasks.length}`);
  const rate = solutions / n;
  assert.ok(rate >= 0.08 && rate <= 0.35, `solution rate ${rate}`);
});
