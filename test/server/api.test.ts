import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import type { RunningServer } from '../../src/server/server.ts';
import { post, startServer } from './helpers.ts';

let s: RunningServer;
let q: RunningServer;
before(async () => {
  s = await startServer('tiny-llama');
  q = await startServer('tiny-qwen2');
});
after(async () => {
  await s.close();
  await q.close();
});

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

test('the official openai client works unchanged: models, completions with logprobs and echo, chat', async () => {
  const client = new OpenAI({ baseURL: `${q.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  const models = await client.models.list();
  assert.deepEqual(models.data.map((m) => m.id), ['tiny-qwen2']);

  const c = await client.completions.create({ model: 'tiny-qwen2', prompt: 'hello world', max_tokens: 6, logprobs: 3, seed: 7, temperature: 0.8 });
  assert.equal(c.object, 'text_completion');
  assert.equal(c.choices.length, 1);
  const lp = c.choices[0].logprobs!;
  assert.equal(lp.tokens!.length, c.usage!.completion_tokens);
  assert.equal(lp.token_logprobs!.length, lp.tokens!.length);
  for (const d of lp.top_logprobs!) {
    assert.ok(Object.keys(d).length >= 1 && Object.keys(d).length <= 4);
    assert.ok(sum(Object.values(d).map(Math.exp)) <= 1 + 1e-6);
  }
  assert.ok(['stop', 'length'].includes(c.choices[0].finish_reason));
  assert.equal(c.usage!.prompt_tokens, 11);

  const e = await client.completions.create({ model: 'tiny-qwen2', prompt: 'hello world', max_tokens: 0, echo: true, logprobs: 1 });
  assert.equal(e.choices[0].text, 'hello world');
  assert.equal(e.choices[0].logprobs!.token_logprobs![0], null);
  assert.equal(e.choices[0].logprobs!.tokens!.join(''), 'hello world');
  assert.deepEqual(e.choices[0].logprobs!.text_offset, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.equal(e.usage!.completion_tokens, 0);

  const chat = await client.chat.completions.create({
    model: 'tiny-qwen2', messages: [{ role: 'user', content: 'hi there' }], max_tokens: 5, n: 2, seed: 3, logprobs: true, top_logprobs: 2,
  });
  assert.equal(chat.object, 'chat.completion');
  assert.deepEqual(chat.choices.map((ch) => ch.index), [0, 1]);
  for (const ch of chat.choices) {
    assert.equal(ch.message.role, 'assistant');
    assert.equal(typeof ch.message.content, 'string');
    const content = ch.logprobs!.content!;
    assert.ok(content.length >= 1 && content.length <= 5);
    for (const t of content) {
      assert.equal(t.top_logprobs.length, 2);
      assert.ok(t.top_logprobs[0].logprob >= t.top_logprobs[1].logprob);
      assert.ok(t.logprob <= t.top_logprobs[0].logprob + 1e-6);
    }
  }
  assert.equal(chat.usage!.completion_tokens, sum(chat.choices.map((ch) => ch.logprobs!.content!.length)));

  await assert.rejects(client.completions.create({ model: 'nope', prompt: 'a' }), (err: any) => {
    assert.equal(err.status, 404);
    assert.equal(err.code, 'model_not_found');
    return true;
  });
  await assert.rejects(client.completions.create({ model: 'tiny-qwen2', prompt: 'a', temperature: -2 }), (err: any) => {
    assert.equal(err.status, 400);
    assert.equal(err.param, 'temperature');
    return true;
  });
});

test('the chat prompt is the chat template applied with a generation prompt', async () => {
  const msgs = [{ role: 'user', content: 'hi' }];
  const tok = await post(`${q.url}/tokenize`, { messages: msgs });
  const chat = await post(`${q.url}/v1/chat/completions`, { messages: msgs, max_tokens: 1 });
  assert.equal(chat.json.usage.prompt_tokens, tok.json.count);
  const text = q.engine.model.tokenizer.decode(tok.json.tokens);
  assert.ok(text.endsWith('<|im_start|>assistant\n'), text);
});

test('a seed fixes the completion; the n choices of one prompt differ from each other', async () => {
  const body = { prompt: 'abc', max_tokens: 12, seed: 42, n: 3, temperature: 1 };
  const a = await post(`${s.url}/v1/completions`, body);
  const b = await post(`${s.url}/v1/completions`, body);
  assert.deepEqual(a.json.choices, b.json.choices);
  const texts = a.json.choices.map((c: any) => c.text);
  assert.equal(new Set(texts).size, 3, texts.join(' | '));
  const other = await post(`${s.url}/v1/completions`, { ...body, seed: 43 });
  assert.notDeepEqual(other.json.choices.map((c: any) => c.text), texts);
});

test('several prompts (text and ids) give n choices each, in prompt order', async () => {
  const tok = s.engine.model.tokenizer;
  const r = await post(`${s.url}/v1/completions`, { prompt: ['ab', tok.encode('cde')], n: 2, max_tokens: 3, seed: 1, echo: true });
  assert.equal(r.status, 200);
  assert.deepEqual(r.json.choices.map((c: any) => c.index), [0, 1, 2, 3]);
  assert.ok(r.json.choices[0].text.startsWith('ab') && r.json.choices[1].text.startsWith('ab'));
  assert.ok(r.json.choices[2].text.startsWith('cde') && r.json.choices[3].text.startsWith('cde'));
  assert.equal(r.json.usage.prompt_tokens, 5);
  const one = await post(`${s.url}/v1/completions`, { prompt: tok.encode('cde'), max_tokens: 3, seed: 1, echo: true });
  assert.equal(one.json.choices[0].text, r.json.choices[2].text, 'the first choice of a prompt uses the request seed, whatever else is in the request');
});

test('stop strings end the text before them with finish_reason stop; max_tokens gives length', async () => {
  const free = await post(`${s.url}/v1/completions`, { prompt: 'abc', max_tokens: 30, seed: 5, temperature: 0, ignore_eos: true });
  const text: string = free.json.choices[0].text;
  assert.equal(free.json.choices[0].finish_reason, 'length');
  assert.equal(free.json.usage.completion_tokens, 30);
  const stop = text.slice(3, 5);
  const cut = await post(`${s.url}/v1/completions`, { prompt: 'abc', max_tokens: 30, seed: 5, temperature: 0, ignore_eos: true, stop });
  assert.equal(cut.json.choices[0].finish_reason, 'stop');
  assert.equal(cut.json.choices[0].text, text.slice(0, text.indexOf(stop)));
});

test('echo with max_tokens 0 scores the prompt; prompt_logprobs lists the top tokens, the actual one and its rank', async () => {
  const ids = s.engine.model.tokenizer.encode('hello there');
  const r = await post(`${s.url}/v1/completions`, { prompt: ids, max_tokens: 0, echo: true, logprobs: 3, prompt_logprobs: 3 });
  const ch = r.json.choices[0];
  assert.equal(ch.text, 'hello there');
  assert.equal(ch.logprobs.tokens.length, ids.length);
  const pl = ch.prompt_logprobs;
  assert.equal(pl.length, ids.length);
  assert.equal(pl[0], null);
  for (let t = 1; t < ids.length; t++) {
    const d = pl[t];
    const own = d[String(ids[t])];
    assert.ok(own, `position ${t} lists the actual token`);
    assert.ok(Math.abs(own.logprob - ch.logprobs.token_logprobs[t]) < 1e-9);
    const ranked = Object.values(d as Record<string, any>).sort((a, b) => a.rank - b.rank);
    assert.deepEqual(ranked.slice(0, 3).map((x) => x.rank), [1, 2, 3]);
    // The rank is the number of tokens at least as likely: consistent with the top 3.
    const better = Object.values(d as Record<string, any>).filter((x) => x.logprob > own.logprob).length;
    assert.ok(own.rank === better + 1 || (own.rank > 3 && better === 3), `rank ${own.rank} with ${better} better listed`);
    assert.equal(Object.keys(ch.logprobs.top_logprobs[t]).length, Object.keys(d).length);
  }
});

test('return_tokens_as_token_ids names tokens by id', async () => {
  const r = await post(`${q.url}/v1/completions`, { prompt: 'hello', max_tokens: 4, seed: 2, logprobs: 2, return_tokens_as_token_ids: true });
  for (const t of r.json.choices[0].logprobs.tokens) assert.match(t, /^token_id:\d+$/);
  for (const d of r.json.choices[0].logprobs.top_logprobs) for (const k of Object.keys(d)) assert.match(k, /^token_id:\d+$/);
});

test('concurrent requests are batched and give what they give alone', async () => {
  const bodies = ['ab', 'hello', 'a', 'jjjjjj'].map((p, i) => ({ prompt: p, max_tokens: 8, seed: 10 + i, logprobs: 0 }));
  const alone: any[] = [];
  for (const b of bodies) alone.push((await post(`${s.url}/v1/completions`, b)).json.choices[0]);
  const together = await Promise.all(bodies.map((b) => post(`${s.url}/v1/completions`, b)));
  together.forEach((r, i) => {
    assert.equal(r.json.choices[0].text, alone[i].text);
    r.json.choices[0].logprobs.token_logprobs.forEach((x: number, t: number) => assert.ok(Math.abs(x - alone[i].logprobs.token_logprobs[t]) < 1e-4));
  });
});

test('tokenize, detokenize and the vocabulary', async () => {
  const tok = q.engine.model.tokenizer;
  const r = await post(`${q.url}/tokenize`, { prompt: 'hello world', return_token_strs: true });
  assert.deepEqual(r.json.tokens, tok.encode('hello world'));
  assert.equal(r.json.count, r.json.tokens.length);
  assert.equal(r.json.max_model_len, 256);
  assert.deepEqual(r.json.token_strs, r.json.tokens.map((id: number) => tok.idToToken(id)));
  const d = await post(`${q.url}/detokenize`, { tokens: r.json.tokens });
  assert.equal(d.json.prompt, 'hello world');
  assert.equal((await post(`${q.url}/detokenize`, { tokens: [100000] })).status, 400);
  const v: any = await (await fetch(`${q.url}/v1/tokenizer`)).json();
  assert.equal(v.tokens.length, tok.vocabSize);
  assert.equal(v.model_vocab_size, 288);
  assert.equal(v.eos_token_id, tok.eosId);
  v.tokens.forEach((t: string | null, id: number) => assert.equal(t, tok.idToToken(id) ?? null));
});

test('chat accepts content parts and max_completion_tokens; /health answers', async () => {
  const parts = await post(`${s.url}/v1/chat/completions`, { messages: [{ role: 'user', content: [{ type: 'text', text: 'he' }, { type: 'text', text: 'llo' }] }], max_completion_tokens: 3, seed: 4, temperature: 0 });
  const plain = await post(`${s.url}/v1/chat/completions`, { messages: [{ role: 'user', content: 'hello' }], max_tokens: 3, seed: 4, temperature: 0 });
  assert.equal(parts.status, 200);
  assert.deepEqual(parts.json.choices, plain.json.choices);
  assert.ok(parts.json.usage.completion_tokens <= 3);
  assert.deepEqual(await (await fetch(`${s.url}/health`)).json(), { status: 'ok' });
});
