/** What a stream sends of a growing completion: never text that could still change. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SampleRow } from '../../src/inference/sampler.ts';
import { TextDeltas } from '../../src/server/stream.ts';

// Ids are bytes; decoding a cut UTF-8 character gives U+FFFD, as byte-level tokenizers do.
const decode = (ids: number[]) => Buffer.from(ids).toString('utf8');
const row = (tokens: number[], done = false): SampleRow => ({ tokens, done, stopReason: 'length', stopIds: new Set<number>(), textFinal: false, text: '' }) as SampleRow;
const bytes = (s: string) => [...Buffer.from(s, 'utf8')];

test('half a character waits for its other half; then it goes out whole', () => {
  const sent: [string, string | null][] = [];
  const d = new TextDeltas(1, [], decode, (_, delta, finish) => sent.push([delta, finish]));
  const e = bytes('aé'); // 61 c3 a9
  d.step([row(e.slice(0, 1))]);
  d.step([row(e.slice(0, 2))]);
  d.step([row(e)]);
  d.done([{ tokens: e, text: 'aé', logprobs: new Float32Array(3), stopReason: 'length' }]);
  assert.deepEqual(sent, [['a', null], ['é', null], ['', 'length']]);
});

test('the end that could begin a stop string is held back until it cannot', () => {
  const sent: string[] = [];
  const d = new TextDeltas(1, ['XYZ'], decode, (_, delta) => sent.push(delta));
  const t = bytes('abXYq');
  for (let i = 1; i <= t.length; i++) d.step([row(t.slice(0, i))]);
  // 'XYZ' is 3 characters: the last 2 of the text always wait.
  assert.deepEqual(sent, ['a', 'b', 'X']);
  d.done([{ tokens: t, text: 'abXYq', logprobs: new Float32Array(5), stopReason: 'length' }]);
  assert.equal(sent.join(''), 'abXYq');
});

test('rows finish on their own: a done row sends its rest and its reason once', () => {
  const sent: [number, string, string | null][] = [];
  const d = new TextDeltas(2, [], decode, (i, delta, finish) => sent.push([i, delta, finish]));
  d.step([row(bytes('a')), row(bytes('x'), true)]);
  d.step([row(bytes('ab')), row(bytes('x'), true)]);
  d.done([
    { tokens: bytes('abc'), text: 'abc', logprobs: new Float32Array(3), stopReason: 'stop' },
    { tokens: bytes('x'), text: 'x', logprobs: new Float32Array(1), stopReason: 'length' },
  ]);
  assert.deepEqual(sent, [[0, 'a', null], [1, 'x', 'length'], [0, 'b', null], [0, 'c', 'stop']]);
});
