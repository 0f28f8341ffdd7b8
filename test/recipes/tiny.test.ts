import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { Corpus, DEFAULT_CORPUS } from '../../src/recipes/corpus.ts';
import { TINY_SHAPES, tinyModelConfig, tinyStopStrings, tinyTokenizer } from '../../src/recipes/tiny.ts';

test('tiny tokenizer covers the corpus text of every built-in env', async () => {
  const tok = tinyTokenizer();
  const c = await Corpus.open({ ...DEFAULT_CORPUS, envs: [{ name: 'math', levels: [2, 12] }, { name: 'science', levels: [1, 2, 3, 4, 5] }, { name: 'code', levels: [1, 2, 3, 4, 5, 6] }] });
  try {
    for (const e of await c.batch(60, 2)) {
      const text = e.context + e.solution;
      assert.equal(tok.decode(tok.encode(text)), text);
    }
  } finally {
    await c.close();
  }
});

test('tiny shapes: 2.7M parameters for tiny-2.7m, overrides apply', () => {
  const c = tinyModelConfig('tiny-2.7m');
  assert.deepEqual([c.hiddenSize, c.numLayers, c.numHeads, c.intermediateSize, c.headDim], [192, 6, 6, 512, 32]);
  assert.equal(c.vocabSize, tinyTokenizer().vocabSize);
  assert.equal(tinyModelConfig({ shape: 'micro', numLayers: 3 }).numLayers, 3);
  assert.throws(() => tinyModelConfig('huge'), /unknown shape/);
  assert.ok(Object.keys(TINY_SHAPES).includes('tiny-1.2m'));
});

test('stop strings end a solution where the corpus would go on with feedback or the prompt', () => {
  assert.deepEqual(tinyStopStrings('Q: 4-5*3\n'), ['\nFeedback:', '\nCritique:', '\nReward:', '\nQ: ']);
  assert.ok(tinyStopStrings('f(0)=1 f(6)=7\n').includes('\nf(0'));
});
