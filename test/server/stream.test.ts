/**
 * Streaming (server-sent events) through the official openai client, chat logprob bytes,
 * stop strings a model ships with, clients that leave mid-stream, and a small load test.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import type { RunningServer } from '../../src/server/server.ts';
import { post, startServer } from './helpers.ts';

let s: RunningServer; // tiny-llama: character tokenizer, chat template
let q: RunningServer; // tiny-qwen3: byte-level BPE
before(async () => {
  s = await startServer('tiny-llama');
  q = await startServer('tiny-qwen3');
});
after(async () => {
  await s.close();
  await q.close();
});

const clientOf = (srv: RunningServer) => new OpenAI({ baseURL: `${srv.url}/v1`, apiKey: 'unused', maxRetries: 0 });

test('completions stream through the openai client: the same text, finish reasons and usage as without stream', async () => {
  for (const srv of [s, q]) {
    const client = clientOf(srv);
    const model = srv.engine.model.name;
    const body = { model, prompt: ['hello', 'ab'], max_tokens: 12, n: 2, seed: 5, temperature: 1 };
    const whole = await client.completions.create(body);
    const stream = await client.completions.create({ ...body, stream: true, stream_options: { include_usage: true } });
    const text = ['', '', '', ''];
    const finish: (string | null)[] = [null, null, null, null];
    let usage: unknown = undefined;
    let chunks = 0;
    for await (const c of stream) {
      chunks++;
      if (c.usage) usage = c.usage;
      else assert.equal(c.usage, null, 'with include_usage every other chunk says usage: null');
      for (const ch of c.choices) {
        text[ch.index] += ch.text;
        if (ch.finish_reason) finish[ch.index] = ch.finish_reason;
      }
    }
    assert.ok(chunks > 4, `${model}: ${chunks} chunks`);
    assert.deepEqual(text, whole.choices.map((c) => c.text), model);
    assert.deepEqual(finish, whole.choices.map((c) => c.finish_reason), model);
    assert.deepEqual(usage, whole.usage, model);
  }
});

test('chat streams through the openai client: role first, content deltas, finish_reason, usage last', async () => {
  const client = clientOf(s);
  const body = { model: 'tiny-llama', messages: [{ role: 'user' as const, content: 'hi there' }], max_tokens: 10, seed: 9 };
  const whole = await client.chat.completions.create(body);
  const stream = await client.chat.completions.create({ ...body, stream: true, stream_options: { include_usage: true } });
  const deltas: Record<string, unknown>[] = [];
  let usage: unknown;
  let finish: string | null = null;
  for await (const c of stream) {
    assert.equal(c.object, 'chat.completion.chunk');
    if (c.usage) usage = c.usage;
    for (const ch of c.choices) {
      deltas.push(ch.delta as Record<string, unknown>);
      finish = ch.finish_reason ?? finish;
    }
  }
  assert.deepEqual(deltas[0], { role: 'assistant', content: '' });
  assert.equal(deltas.map((d) => d.content ?? '').join(''), whole.choices[0].message.content);
  assert.equal(finish, whole.choices[0].finish_reason);
  assert.deepEqual(usage, whole.usage);
  // Without include_usage there is no usage chunk, and no usage field at all.
  const plain = await client.chat.completions.create({ ...body, stream: true });
  for await (const c of plain) assert.ok(!('usage' in c) && c.choices.length === 1);
});

test('a stream ends before a stop string and never sends any part of it', async () => {
  const whole = (await post(`${s.url}/v1/completions`, { prompt: 'ab', max_tokens: 40, seed: 1, temperature: 1 })).json.choices[0].text as string;
  const stop = whole.slice(6, 8);
  assert.equal(stop.length, 2, `the seeded completion is long enough: ${JSON.stringify(whole)}`);
  const res = await fetch(`${s.url}/v1/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ prompt: 'ab', max_tokens: 40, seed: 1, temperature: 1, stop, stream: true }),
  });
  assert.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
  const events = (await res.text()).split('\n\n').filter(Boolean);
  assert.equal(events.at(-1), 'data: [DONE]');
  const chunks = events.slice(0, -1).map((e) => JSON.parse(e.replace(/^data: /, '')));
  const text = chunks.map((c) => c.choices[0].text).join('');
  assert.equal(text, whole.slice(0, whole.indexOf(stop)));
  assert.equal(chunks.at(-1).choices[0].finish_reason, 'stop');
});

test('chat logprobs: bytes are each token\'s own bytes, so different tokens never look alike', async () => {
  const tok = q.engine.model.tokenizer;
  const r = await post(`${q.url}/v1/chat/completions`, {
    messages: [{ role: 'user', content: 'héllo — wörld' }], max_tokens: 6, seed: 2, logprobs: true, top_logprobs: 20, return_tokens_as_token_ids: true,
  });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  let partial = 0;
  for (const t of r.json.choices[0].logprobs.content) {
    for (const e of [t, ...t.top_logprobs]) {
      const id = Number(e.token.replace('token_id:', ''));
      assert.deepEqual(e.bytes, tok.tokenBytes(id), `token ${id}`);
      if (id < tok.vocabSize && tok.decode([id]).includes('\uFFFD')) partial++;
    }
    const seen = new Set(t.top_logprobs.map((e: { bytes: number[] }) => e.bytes.join(',')));
    assert.equal(seen.size, t.top_logprobs.length, 'two alternatives with the same bytes');
  }
  assert.ok(partial > 0, 'the listing holds tokens that are part of a character (the case that was wrong)');
  // A token's bytes, concatenated, are the text's UTF-8.
  const ids = tok.encode('héllo — wörld');
  assert.equal(Buffer.from(ids.flatMap((id) => tok.tokenBytes(id))).toString('utf8'), 'héllo — wörld');
});

test('stop strings the model ships with apply to requests that name none; a request\'s own stop (even []) replaces them', async () => {
  const whole = (await post(`${s.url}/v1/completions`, { prompt: 'ab', max_tokens: 40, seed: 1 })).json.choices[0].text as string;
  const stop = whole.slice(6, 8);
  const shipped = await startServer('tiny-llama', (m) => ({ ...m, stopStrings: [stop] }));
  try {
    const byDefault = (await post(`${shipped.url}/v1/completions`, { prompt: 'ab', max_tokens: 40, seed: 1 })).json.choices[0];
    assert.deepEqual([byDefault.text, byDefault.finish_reason], [whole.slice(0, whole.indexOf(stop)), 'stop']);
    const none = (await post(`${shipped.url}/v1/completions`, { prompt: 'ab', max_tokens: 40, seed: 1, stop: [] })).json.choices[0];
    assert.equal(none.text, whole);
  } finally {
    await shipped.close();
  }
});

/** Reads a streamed response; gives up (closes the connection) after `keep` events when asked. */
async function streamed(url: string, body: unknown, keep?: number): Promise<{ text: string; aborted: boolean }> {
  const ctl = new AbortController();
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: ctl.signal });
  assert.equal(res.status, 200);
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let buf = '';
  let text = '';
  let events = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += dec.decode(value, { stream: true });
    let at: number;
    while ((at = buf.indexOf('\n\n')) >= 0) {
      const ev = buf.slice(0, at).replace(/^data: /, '');
      buf = buf.slice(at + 2);
      if (ev === '[DONE]') return { text, aborted: false };
      const c = JSON.parse(ev);
      text += c.choices?.[0]?.text ?? c.choices?.[0]?.delta?.content ?? '';
      if (keep !== undefined && ++events >= keep) {
        ctl.abort();
        return { text, aborted: true };
      }
    }
  }
  throw new Error('the stream ended without [DONE]');
}

test('load: mixed streaming and whole requests, some clients leaving mid-stream; every other request gets its answer', async () => {
  const N = 40;
  const body = (i: number) => ({ prompt: ['ab', 'hello', 'q'][i % 3], max_tokens: 30, seed: 100 + i, temperature: 1 });
  const alone = new Map<number, string>();
  for (const i of [0, 5, 13]) alone.set(i, (await post(`${s.url}/v1/completions`, body(i))).json.choices[0].text);
  let next = 0;
  const results: { i: number; text: string; aborted: boolean }[] = [];
  const worker = async () => {
    while (next < N) {
      const i = next++;
      if (i % 4 === 0) results.push({ i, aborted: false, text: (await post(`${s.url}/v1/completions`, body(i))).json.choices[0].text });
      else results.push({ i, ...(await streamed(`${s.url}/v1/completions`, { ...body(i), stream: true }, i % 4 === 3 ? 2 : undefined)) });
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  assert.equal(results.length, N);
  for (const r of results) {
    if (alone.has(r.i)) assert.equal(r.text, alone.get(r.i), `request ${r.i} differs from the same request alone`);
    assert.equal(r.aborted, r.i % 4 === 3);
  }
  // The server still answers, and nothing is left waiting.
  const after = await post(`${s.url}/v1/completions`, body(5));
  assert.equal(after.json.choices[0].text, alone.get(5));
  const h = await fetch(`${s.url}/health`);
  assert.equal(h.status, 200);
});
