import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadModelFolder } from '../../src/models/folder.ts';
import { builtinCheckpoint, builtinCheckpoints } from '../../src/recipes/checkpoints.ts';
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
