import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Rollout } from '../../src/algorithms/types.ts';
import { CharTokenizer } from '../../src/models/char-tokenizer.ts';
import { feedbackStart, stopTailOf } from '../../src/train/rollouts.ts';

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

test('stopTailOf: after the token that began a stop string; nothing for an end-of-sequence stop, the length limit, or a one-token stop string', () => {
  const tok = new CharTokenizer('abcdef\n:XY');
  const ids = (s: string) => tok.encode(s);
  // Text 'ab', stop string '\nX:' sampled as three tokens: the decision is '\n' (index 2), the rest starts at 3.
  assert.deepEqual(stopTailOf({ tokens: ids('ab\nX:'), text: 'ab', stopReason: 'stop' }, tok), { stopTail: 3 });
  // One-token stop string: nothing after the decision.
  assert.deepEqual(stopTailOf({ tokens: ids('ab\n'), text: 'ab', stopReason: 'stop' }, tok), {});
  // An end-of-sequence stop: the decoded tokens (the eos id adds no text) are the text.
  assert.deepEqual(stopTailOf({ tokens: [...ids('ab'), tok.eosId], text: 'ab', stopReason: 'stop' }, tok), {});
  assert.deepEqual(stopTailOf({ tokens: ids('abc'), text: 'abc', stopReason: 'length' }, tok), {});
  // Ids past the tokenizer (a padded vocabulary) add no text, as in feedbackStart.
  assert.deepEqual(stopTailOf({ tokens: [...ids('ab'), tok.vocabSize + 3, ...ids('\nX:')], text: 'ab', stopReason: 'stop' }, tok), { stopTail: 4 });
  // An empty text (the stop string came first).
  assert.deepEqual(stopTailOf({ tokens: ids('\nX:'), text: '', stopReason: 'stop' }, tok), { stopTail: 1 });
});
