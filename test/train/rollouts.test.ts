import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Rollout } from '../../src/algorithms/types.ts';
import { CharTokenizer } from '../../src/models/char-tokenizer.ts';
import { feedbackStart } from '../../src/train/rollouts.ts';

test('feedbackStart: the first token whose text reaches the feedback span; ids past the tokenizer have no text', () => {
  const tok = new CharTokenizer('abcdef');
  const ids = tok.encode('abcdef');
  const rollout = (tokens: number[]): Rollout => ({
    task: { id: 't', prompt: '' } as Rollout['task'], group: 0, prompt: [], tokens, text: '', logprobs: new Float32Array(tokens.length),
    outcome: { reward: 0, correct: false, feedback: { summary: '', items: [{ text: 'here', where: { span: [2, 3] } }] } } as Rollout['outcome'],
  });
  assert.equal(feedbackStart(rollout(ids), tok), 2);
  // A model whose vocabulary is padded past the tokenizer's can sample such ids: they add no text.
  const padded = tok.vocabSize + 5;
  assert.equal(feedbackStart(rollout([ids[0], padded, ids[1], ids[2], ids[3]]), tok), 3);
});
