import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ChatTemplate, pickChatTemplate } from '../../src/models/chat-template.ts';
import { CharTokenizer } from '../../src/models/char-tokenizer.ts';
import { compareTokenizers } from '../../src/models/compare-tokenizers.ts';
import { HfTokenizer } from '../../src/models/hf-tokenizer.ts';
import { Rng } from '../../src/util/rng.ts';
import { fixture } from './helpers.ts';

const readJson = (...p: string[]) => JSON.parse(readFileSync(fixture(...p), 'utf8'));
const ALPHABET = '\n' + Array.from({ length: 91 }, (_, i) => String.fromCharCode(32 + i)).join('');

function randomText(rng: Rng, alphabet: string[], n: number): string {
  return Array.from({ length: n }, () => rng.pick(alphabet)).join('');
}

test('char tokenizer: fixed special ids, round trip, special strings, vocab lookups', () => {
  const t = new CharTokenizer('abc xé😀');
  assert.deepEqual([t.padId, t.bosId, t.eosId, t.unkId, t.vocabSize], [0, 1, 2, 3, 11]);
  assert.deepEqual(t.encode('abc'), [4, 5, 6]);
  assert.deepEqual(t.encode('é😀 a'), [9, 10, 7, 4], 'one id per code point, astral characters included');
  assert.equal(t.decode(t.encode('cab é😀 x')), 'cab é😀 x');
  assert.deepEqual(t.encode('a<eos><bos>b'), [4, 2, 1, 5], 'literal special tokens encode as specials, as in HF');
  assert.equal(t.decode([1, 4, 2, 0]), '<bos>a<eos><pad>');
  assert.equal(t.decode([1, 4, 2, 0], { skipSpecialTokens: true }), 'a');
  assert.equal(t.idToToken(4), 'a');
  assert.equal(t.tokenToId('<eos>'), 2);
  assert.equal(t.tokenToId('q'), undefined);
  assert.deepEqual(t.encode(''), []);
  assert.throws(() => t.decode([11]), /cannot decode token id 11.*0\.\.10/);
});

test('char tokenizer: unknown characters throw naming the character and position, or map to <unk> when asked', () => {
  const strict = new CharTokenizer('ab');
  assert.throws(() => strict.encode('abz'), (e: Error) => /"z" \(U\+007A\) at position 2/.test(e.message) && /unknown: 'unk'/.test(e.message));
  assert.throws(() => strict.encode('a<b'), /"<"/, 'a lone "<" that starts no special token is an ordinary character');
  const lenient = new CharTokenizer('ab', { unknown: 'unk' });
  assert.deepEqual(lenient.encode('azb'), [4, 3, 5]);
  assert.equal(lenient.decode(lenient.encode('azb')), 'a<unk>b');
  assert.throws(() => new CharTokenizer('aba'), /"a" \(U\+0061\) appears twice/);
  assert.throws(() => new CharTokenizer(['ab']), /not exactly one character/);
  assert.throws(() => new CharTokenizer(''), /empty/);
});

test('char tokenizer: its JSON file round-trips, and bad files are rejected naming the file', () => {
  const t = new CharTokenizer(ALPHABET, { unknown: 'unk' });
  const back = CharTokenizer.fromJSON(JSON.parse(JSON.stringify(t.toJSON())), 'x/char_tokenizer.json');
  assert.deepEqual(back.alphabet, t.alphabet);
  assert.equal(back.unknown, 'unk');
  assert.equal(compareTokenizers(t, back).same, true);
  assert.throws(() => CharTokenizer.fromJSON({ type: 'other' }, 'x/char_tokenizer.json'), /x\/char_tokenizer\.json: not a distil character tokenizer/);
  assert.throws(() => CharTokenizer.fromJSON({ ...t.toJSON(), alphabet: ['a', 'a'] }, 'x/c.json'), /x\/c\.json: .*appears twice/);
});

test('char tokenizer exported as tokenizer.json encodes and decodes identically through @huggingface/tokenizers', () => {
  const t = new CharTokenizer(ALPHABET + 'é😀', { unknown: 'unk' });
  const hf = new HfTokenizer(t.toHfTokenizerJson(), t.hfTokenizerConfig(), 'export');
  assert.equal(compareTokenizers(t, hf).same, true, compareTokenizers(t, hf).summary);
  const rng = new Rng(5);
  const chars = [...t.alphabet, '<eos>', '<bos>', '<pad>', '<', '~', '\t']; // '~' and tab are outside the alphabet
  for (let i = 0; i < 200; i++) {
    const text = randomText(rng, chars, rng.range(1, 40));
    const ids = t.encode(text);
    assert.deepEqual(hf.encode(text), ids, `encode ${JSON.stringify(text)}`);
    assert.equal(hf.decode(ids), t.decode(ids), `decode ${JSON.stringify(text)}`);
  }
  assert.equal(hf.decode(t.encode('  a . b ')), '  a . b ', 'no clean-up of spaces before punctuation');
});

test('HF BPE tokenizer (byte-level, tiny-qwen3 fixture): ids match the fixture script\'s own BPE; decode round-trips', () => {
  const tok = new HfTokenizer(readJson('tiny-qwen3', 'tokenizer.json'), readJson('tiny-qwen3', 'tokenizer_config.json'), 'tiny-qwen3');
  const probes = readJson('bpe-probes.json') as { probes: string[]; ids: number[][] };
  for (let i = 0; i < probes.probes.length; i++) {
    assert.deepEqual(tok.encode(probes.probes[i]), probes.ids[i], `probe ${JSON.stringify(probes.probes[i])}`);
    assert.equal(tok.decode(tok.encode(probes.probes[i])), probes.probes[i]);
  }
  assert.ok(probes.ids.flat().some((id) => id >= 256), 'the probes exercise merges');
  assert.equal(tok.vocabSize, 283);
  assert.equal(tok.idToToken(tok.eosId), '<|im_end|>');
  assert.equal(tok.idToToken(tok.padId), '<|endoftext|>');
  assert.equal(tok.bosId, undefined, 'Qwen has no bos_token');
  assert.deepEqual(tok.encode('<|im_start|>hi<|im_end|>'), [281, 104, 105, 282]);
  assert.equal(tok.decode([281, 104, 105, 282], { skipSpecialTokens: true }), 'hi');
  assert.equal(tok.decode([]), '');
  assert.deepEqual(tok.encode(''), []);
  assert.equal(tok.decode(tok.encode('héllo wörld ✓')), 'héllo wörld ✓', 'byte-level covers any UTF-8');
  assert.ok(tok.specialIds.has(282) && !tok.specialIds.has(104));
  assert.throws(() => tok.decode([283]), /cannot decode token id 283/);
});

test('HF tokenizer: an eos_token missing from the vocabulary is a clear error', () => {
  const cfg = { ...readJson('tiny-qwen3', 'tokenizer_config.json'), eos_token: '</s>' };
  assert.throws(() => new HfTokenizer(readJson('tiny-qwen3', 'tokenizer.json'), cfg, 'folder X'), /folder X: tokenizer_config\.json "eos_token" is "<\/s>", which is not in/);
});

test('compareTokenizers lists the ids and tokens that differ', () => {
  const a = new CharTokenizer('abcdef');
  assert.equal(compareTokenizers(a, new CharTokenizer('abcdef')).same, true);
  const b = new CharTokenizer('abXdefg');
  const r = compareTokenizers(a, b, { probes: ['abc'] });
  assert.equal(r.same, false);
  assert.equal(r.differingIds, 2);
  assert.deepEqual(r.disagreements.filter((d) => d.kind !== 'encode'), [
    { kind: 'vocabSize', a: 10, b: 11 },
    { kind: 'token', id: 6, a: 'c', b: 'X' },
    { kind: 'token', id: 10, a: undefined, b: 'g' },
  ]);
  assert.match(r.summary, /id 6: "c" vs "X"/);
  const enc = r.disagreements.find((d) => d.kind === 'encode');
  assert.ok(enc && enc.kind === 'encode' && Array.isArray(enc.a) && !Array.isArray(enc.b) && /"c"/.test(enc.b.error), 'b cannot encode "c"');
  const qwen = new HfTokenizer(readJson('tiny-qwen3', 'tokenizer.json'), readJson('tiny-qwen3', 'tokenizer_config.json'), 'q');
  const vsChar = compareTokenizers(qwen, a, { limit: 3 });
  assert.equal(vsChar.same, false);
  assert.equal(vsChar.disagreements.length, 3);
  assert.ok(vsChar.differingIds > 200);
  // Same vocabulary, different special ids.
  const cfg = { ...readJson('tiny-qwen3', 'tokenizer_config.json'), eos_token: '<|endoftext|>' };
  const qwen2 = new HfTokenizer(readJson('tiny-qwen3', 'tokenizer.json'), cfg, 'q2');
  assert.deepEqual(compareTokenizers(qwen, qwen2).disagreements, [{ kind: 'special', which: 'eosId', a: 282, b: 280 }]);
});

test('chat templates render known strings (ChatML of tiny-qwen3, the char template of tiny-llama)', () => {
  const cfg = readJson('tiny-qwen3', 'tokenizer_config.json');
  const chatml = new ChatTemplate(pickChatTemplate(cfg.chat_template, 'cfg')!, 'cfg');
  const msgs = [{ role: 'user', content: 'What is 2+2?' }];
  assert.equal(
    chatml.apply(msgs, { addGenerationPrompt: true }),
    '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n',
  );
  assert.equal(
    chatml.apply([{ role: 'system', content: 'Be brief.' }, ...msgs, { role: 'assistant', content: '4' }]),
    '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n4<|im_end|>\n',
  );
  const llama = new ChatTemplate(readJson('tiny-llama', 'tokenizer_config.json').chat_template, 'l', { bosToken: '<bos>' });
  assert.equal(llama.apply(msgs, { addGenerationPrompt: true }), '<bos>user: What is 2+2?\nassistant: ');
  assert.equal(llama.apply(msgs, { bosToken: '' }), 'user: What is 2+2?\n');
  const raising = new ChatTemplate("{{ raise_exception('only user messages') }}", 'r');
  assert.throws(() => raising.apply(msgs), /only user messages/);
  assert.throws(() => new ChatTemplate('{% for %}', 'bad/tokenizer_config.json'), /bad\/tokenizer_config\.json does not parse/);
  assert.equal(pickChatTemplate([{ name: 'tool_use', template: 'x' }, { name: 'default', template: 'y' }], 'c'), 'y');
  assert.throws(() => pickChatTemplate([{ name: 'a', template: 'x' }, { name: 'b', template: 'y' }], 'c.json'), /c\.json.*"default"/);
});

test('HF tokenizer: special tokens written as AddedToken dicts ({content}) in tokenizer_config.json are understood', () => {
  const cfg = { ...readJson('tiny-qwen3', 'tokenizer_config.json'), eos_token: { __type: 'AddedToken', content: '<|endoftext|>', special: true }, pad_token: null };
  const tok = new HfTokenizer(readJson('tiny-qwen3', 'tokenizer.json'), cfg, 'old-style');
  assert.equal(tok.eosId, 280);
  assert.equal(tok.padId, 280, 'no pad token: eos pads');
});
