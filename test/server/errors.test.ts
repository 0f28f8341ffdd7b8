import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunningServer } from '../../src/server/server.ts';
import { post, startServer } from './helpers.ts';

let s: RunningServer;
before(async () => {
  s = await startServer('tiny-llama');
});
after(() => s.close());

/** Every error has OpenAI's shape: {error: {message, type, param, code}}. */
function assertError(r: { status: number; json: any }, status: number, param: string | null, code?: string) {
  assert.equal(r.status, status, JSON.stringify(r.json));
  const e = r.json.error;
  assert.deepEqual(Object.keys(e).sort(), ['code', 'message', 'param', 'type']);
  assert.equal(typeof e.message, 'string');
  assert.ok(e.message.length > 10);
  assert.equal(e.type, 'invalid_request_error');
  assert.equal(e.param, param);
  if (code) assert.equal(e.code, code);
}

test('unknown parameters are refused with 400 naming them', async () => {
  const r = await post(`${s.url}/v1/completions`, { prompt: 'abc', max_tokens: 2, frobnicate: true });
  assertError(r, 400, 'frobnicate', 'unknown_parameter');
  assert.match(r.json.error.message, /frobnicate/);
  assertError(await post(`${s.url}/v1/chat/completions`, { messages: [{ role: 'user', content: 'a' }], echo: true }), 400, 'echo');
});

test('malformed JSON and a body that is not an object are 400', async () => {
  assertError(await post(`${s.url}/v1/completions`, '{"prompt": "ab', true), 400, null, 'invalid_json');
  assertError(await post(`${s.url}/v1/completions`, '', true), 400, null, 'invalid_json');
  assertError(await post(`${s.url}/v1/completions`, [1, 2]), 400, null);
});

test('a missing prompt or messages is 400 naming the field', async () => {
  assertError(await post(`${s.url}/v1/completions`, { max_tokens: 3 }), 400, 'prompt', 'missing_required_parameter');
  assertError(await post(`${s.url}/v1/chat/completions`, { max_tokens: 3 }), 400, 'messages', 'missing_required_parameter');
});

test('wrong types and out-of-range values are 400 naming the field', async () => {
  const cases: [object, string][] = [
    [{ prompt: 5 }, 'prompt'],
    [{ prompt: [] }, 'prompt'],
    [{ prompt: '' }, 'prompt'],
    [{ prompt: [1, 2, 9999] }, 'prompt'],
    [{ prompt: [[1, 2], { a: 1 }] }, 'prompt'],
    [{ prompt: 'ab', temperature: 'hot' }, 'temperature'],
    [{ prompt: 'ab', temperature: -1 }, 'temperature'],
    [{ prompt: 'ab', top_p: 0 }, 'top_p'],
    [{ prompt: 'ab', n: 0 }, 'n'],
    [{ prompt: 'ab', max_tokens: 1.5 }, 'max_tokens'],
    [{ prompt: 'ab', max_tokens: 0 }, 'max_tokens'],
    [{ prompt: 'ab', stop: [1] }, 'stop'],
    [{ prompt: 'ab', logprobs: true }, 'logprobs'],
    [{ prompt: 'ab', echo: 'yes' }, 'echo'],
    [{ prompt: 'ab', seed: 'x' }, 'seed'],
    [{ prompt: 'ab', stream: 'yes' }, 'stream'],
    [{ prompt: 'ab', stream_options: { include_usage: true } }, 'stream_options'],
    [{ prompt: 'ab', stream: true, stream_options: { include_usage: 1 } }, 'stream_options.include_usage'],
    [{ prompt: 'ab', stream: true, stream_options: { other: true } }, 'stream_options.other'],
    [{ prompt: 'ab', stream: true, logprobs: 2 }, 'logprobs'],
    [{ prompt: 'ab', presence_penalty: 0.5 }, 'presence_penalty'],
    [{ prompt: 'ab', best_of: 3 }, 'best_of'],
    [{ prompt: 'ab', max_tokens: 1000 }, 'max_tokens'],
  ];
  for (const [body, param] of cases) assertError(await post(`${s.url}/v1/completions`, body), 400, param);
  assertError(await post(`${s.url}/v1/chat/completions`, { messages: 'hi' }), 400, 'messages');
  assertError(await post(`${s.url}/v1/chat/completions`, { messages: [{ content: 'hi' }] }), 400, 'messages[0].role');
  // An unknown role is a 400, as in OpenAI's API (it used to be rendered by the template).
  const role = await post(`${s.url}/v1/chat/completions`, { messages: [{ role: 'user', content: 'a' }, { role: 'wizard', content: 'b' }] });
  assertError(role, 400, 'messages[1].role');
  assert.match(role.json.error.message, /"wizard" is not a known role \(one of system, developer, user, assistant, tool, function\)/);
  assertError(await post(`${s.url}/v1/chat/completions`, { messages: [{ role: 'user', content: 'a' }], top_logprobs: 2 }), 400, 'top_logprobs');
});

test('the context-length error says how many tokens were asked for', async () => {
  const r = await post(`${s.url}/v1/completions`, { prompt: 'ab', max_tokens: 1000 });
  assert.equal(r.json.error.code, 'context_length_exceeded');
  assert.match(r.json.error.message, /maximum context length is 128 tokens.*1002 tokens/);
});

test('an unknown model is 404; unknown routes 404; a wrong method 405', async () => {
  assertError(await post(`${s.url}/v1/completions`, { model: 'gpt-9', prompt: 'ab' }), 404, 'model', 'model_not_found');
  assertError(await post(`${s.url}/v1/chat/completions`, { model: 'gpt-9', messages: [{ role: 'user', content: 'a' }] }), 404, 'model', 'model_not_found');
  const nf = await fetch(`${s.url}/v1/embeddings`, { method: 'POST', body: '{}' });
  assertError({ status: nf.status, json: await nf.json() }, 404, null, 'not_found');
  const wm = await fetch(`${s.url}/v1/completions`);
  assert.equal(wm.headers.get('allow'), 'POST');
  assertError({ status: wm.status, json: await wm.json() }, 405, null, 'method_not_allowed');
  const wm2 = await fetch(`${s.url}/v1/models`, { method: 'POST', body: '{}' });
  assert.equal(wm2.status, 405);
});

test('a model without a chat template refuses chat with 400', async () => {
  const bare = await startServer('tiny-llama', (m) => ({ ...m, chatTemplate: undefined }));
  try {
    const r = await post(`${bare.url}/v1/chat/completions`, { messages: [{ role: 'user', content: 'a' }] });
    assertError(r, 400, 'messages', 'no_chat_template');
  } finally {
    await bare.close();
  }
});
