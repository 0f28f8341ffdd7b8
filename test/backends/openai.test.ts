import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LocalBackend } from '../../src/backends/local.ts';
import { OpenAICompatibleBackend, OpenAIServerError } from '../../src/backends/openai.ts';
import type { ScoreRequest } from '../../src/backends/types.ts';
import { loadModelFolder } from '../../src/models/folder.ts';
import type { Tokenizer } from '../../src/models/tokenizer.ts';
import { transformerFromWeights } from '../../src/models/transformer-io.ts';
import type { RunningServer } from '../../src/server/server.ts';
import { fixture, startServer } from '../server/helpers.ts';

interface Pair {
  server: RunningServer;
  local: LocalBackend;
  tok: Tokenizer;
}
const pairs: Record<string, Pair> = {};

async function pair(name: string): Promise<Pair> {
  const f = loadModelFolder(fixture(name));
  const local = new LocalBackend(transformerFromWeights(f.config, f.weights), { tokenizer: f.tokenizer!, warn: () => {} });
  return { server: await startServer(name), local, tok: f.tokenizer! };
}

before(async () => {
  pairs.llama = await pair('tiny-llama');
  pairs.qwen = await pair('tiny-qwen2');
});
after(async () => {
  for (const p of Object.values(pairs)) await p.server.close();
});

const remote = (p: Pair, extra: object = {}) =>
  OpenAICompatibleBackend.connect({ baseURL: `${p.server.url}/v1`, tokenizer: p.tok, maxRetries: 0, ...extra });

function scoreRequests(tok: Tokenizer, k: number): ScoreRequest[] {
  return [
    { prompt: tok.encode('hello'), completion: tok.encode(' world, again'), topK: k },
    { prompt: tok.encode('a'), completion: tok.encode('b'), topK: k },
    { prompt: tok.encode('the cat sat on'), completion: tok.encode(' the mat.'), topK: k },
    { prompt: tok.encode('xyz'), completion: [], topK: k },
  ];
}

for (const name of ['llama', 'qwen'] as const) {
  for (const via of ['prompt_logprobs', 'echo'] as const) {
    test(`remote score() via ${via} equals the local backend's on the same model (${name})`, async () => {
      const p = pairs[name];
      const be = await remote(p, { scoreVia: via });
      assert.equal(be.vocabSize, p.local.vocabSize);
      const reqs = scoreRequests(p.tok, 5);
      const want = await p.local.score(reqs);
      const got = await be.score(reqs);
      assert.equal(got.length, want.length);
      got.forEach((g, i) => {
        assert.equal(g.k, want[i].k);
        assert.equal(g.logprobs.length, want[i].logprobs.length);
        g.logprobs.forEach((x, t) => assert.ok(Math.abs(x - want[i].logprobs[t]) < 1e-4, `request ${i} token ${t}: ${x} vs ${want[i].logprobs[t]}`));
        assert.deepEqual([...g.topIds!], [...want[i].topIds!], `request ${i}: top-k ids`);
        g.topProbs!.forEach((x, j) => assert.ok(Math.abs(x - want[i].topProbs![j]) < 1e-4));
      });
      const plain = await be.score([{ prompt: p.tok.encode('hi'), completion: p.tok.encode(' there') }]);
      assert.equal(plain[0].topIds, undefined);
      assert.equal(plain[0].k, undefined);
    });
  }
}

test('auto-detection scores through prompt_logprobs on a server that has it', async () => {
  const be = await remote(pairs.qwen);
  const reqs = scoreRequests(pairs.qwen.tok, 3);
  const got = await be.score(reqs);
  const want = await pairs.qwen.local.score(reqs);
  assert.deepEqual([...got[0].topIds!], [...want[0].topIds!]);
  assert.equal((be as any).scoreMode, 'prompt_logprobs');
});

test('remote sample() with a seed is reproducible and equals the local backend with that seed', async () => {
  for (const p of [pairs.llama, pairs.qwen]) {
    const be = await remote(p);
    const reqs = [
      { prompt: p.tok.encode('hello'), maxTokens: 10, seed: 1, temperature: 1, stopTokenIds: [p.tok.eosId] },
      { prompt: p.tok.encode('abc'), maxTokens: 6, seed: 2, temperature: 0.7, topK: 5, stopTokenIds: [p.tok.eosId] },
      { prompt: p.tok.encode('a'), maxTokens: 8, seed: 3, topP: 0.9, stopTokenIds: [p.tok.eosId] },
    ];
    const a = await be.sample(reqs);
    const b = await be.sample(reqs);
    const local = await p.local.sample(reqs);
    a.forEach((c, i) => {
      assert.deepEqual(c.tokens, b[i].tokens);
      assert.deepEqual(c.tokens, local[i].tokens, `request ${i}`);
      assert.equal(c.stopReason, local[i].stopReason);
      c.logprobs.forEach((x, t) => assert.ok(Math.abs(x - local[i].logprobs[t]) < 1e-4));
      assert.equal(c.text, p.tok.decode(c.tokens.filter((id) => !p.tok.specialIds.has(id)), {}));
    });
  }
});

test('a remote backend refuses to train, with a clear error', async () => {
  const be = await remote(pairs.llama);
  await assert.rejects(be.forwardBackward(), /cannot train; use it as a teacher/);
  await assert.rejects(be.optimStep({ lr: 1e-3 }), /cannot train/);
  await assert.rejects(be.snapshot(), /cannot train/);
  await assert.rejects(be.save(), /cannot train/);
});

test('connect() checks the model name and picks the only model', async () => {
  const be = await remote(pairs.qwen);
  assert.equal(be.opts.model, 'tiny-qwen2');
  assert.equal(be.vocabSize, 288, 'the model vocabulary, from /v1/tokenizer');
  await assert.rejects(remote(pairs.qwen, { model: 'other' }), /does not serve the model "other"; it serves: tiny-qwen2/);
});

test('the tokenizer check passes for the same tokenizer and lists disagreeing tokens otherwise', async () => {
  const q = await remote(pairs.qwen);
  await q.checkTokenizer(pairs.qwen.tok);
  const cmp = await q.compareTokenizer(pairs.qwen.tok);
  assert.ok(cmp.same && cmp.vocabularyChecked && cmp.probesChecked >= 5);

  // A char-tokenizer student against the BPE server: refused, naming ids and texts.
  await assert.rejects(q.checkTokenizer(pairs.llama.tok), (err: Error) => {
    assert.match(err.message, /does not share the student's tokenizer/);
    assert.match(err.message, /id \d+: student "[^"]*", server "[^"]*"/);
    assert.match(err.message, /vocabulary size: student 96, server 283/);
    return true;
  });
});

test('without the vocabulary endpoint, probes alone catch a different tokenizer', async () => {
  const q = await remote(pairs.qwen);
  (q as any).tokenizerInfo = async () => null;
  const same = await q.compareTokenizer(pairs.qwen.tok);
  assert.ok(same.same && !same.vocabularyChecked);
  const diff = await q.compareTokenizer(pairs.llama.tok, { probes: ['hello world', 'abc'] });
  assert.equal(diff.same, false);
  assert.ok(diff.disagreements.some((d) => d.kind === 'encode' && d.text === 'hello world'));
});

/** A server in front of distil serve that behaves like a strict OpenAI server without vLLM's extensions. */
async function strictProxy(target: string, refused: string[] | ((body: any) => string | undefined)): Promise<{ url: string; close: () => Promise<void>; seen: string[] }> {
  const seen: string[] = [];
  const refuse = typeof refused === 'function' ? refused : (json: any) => refused.find((k) => k in json);
  const server = createServer(async (req, res) => {
    let body = '';
    for await (const c of req) body += c;
    const json = body ? JSON.parse(body) : undefined;
    const bad = json && refuse(json);
    seen.push(bad ? `refused ${bad}` : `${req.method} ${req.url}`);
    if (bad) {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `Unrecognized request argument supplied: ${bad}`, type: 'invalid_request_error', param: null, code: null } }));
      return;
    }
    const r = await fetch(target + req.url, { method: req.method, body: body || undefined, headers: { 'content-type': 'application/json' } });
    res.writeHead(r.status, { 'content-type': 'application/json' });
    res.end(await r.text());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, close: () => closeServer(server) };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((r) => {
    server.close(() => r());
    server.closeAllConnections();
  });
}

test('on a server without the vLLM extensions, score falls back to echo and maps token strings with the tokenizer', async () => {
  const p = pairs.llama;
  const proxy = await strictProxy(p.server.url, ['prompt_logprobs', 'return_tokens_as_token_ids']);
  try {
    const be = await OpenAICompatibleBackend.connect({ baseURL: proxy.url, tokenizer: p.tok, maxRetries: 0 });
    const reqs = scoreRequests(p.tok, 4);
    const got = await be.score(reqs);
    const want = await p.local.score(reqs);
    got.forEach((g, i) => {
      g.logprobs.forEach((x, t) => assert.ok(Math.abs(x - want[i].logprobs[t]) < 1e-4));
      assert.deepEqual([...g.topIds!], [...want[i].topIds!]);
    });
    assert.ok(proxy.seen.includes('refused prompt_logprobs'));
    assert.ok(proxy.seen.includes('refused return_tokens_as_token_ids'));
    assert.equal((be as any).scoreMode, 'echo');
    assert.equal((be as any).idsSupported, false);
    const s = await be.sample([{ prompt: p.tok.encode('ab'), maxTokens: 5, seed: 9, stopTokenIds: [p.tok.eosId] }]);
    assert.deepEqual(s[0].tokens, (await p.local.sample([{ prompt: p.tok.encode('ab'), maxTokens: 5, seed: 9, stopTokenIds: [p.tok.eosId] }]))[0].tokens);
  } finally {
    await proxy.close();
  }
});

test('score requests go several to an HTTP request, grouped by topK', async () => {
  const p = pairs.qwen;
  const proxy = await strictProxy(p.server.url, []);
  try {
    const be = await OpenAICompatibleBackend.connect({ baseURL: proxy.url, tokenizer: p.tok, maxRetries: 0, scoreBatch: 4 });
    const reqs = [...scoreRequests(p.tok, 3), ...scoreRequests(p.tok, 3), ...scoreRequests(p.tok, 0)];
    proxy.seen.length = 0;
    const got = await be.score(reqs);
    // 6 non-empty requests with topK 3 (two calls of 4 and 2), 3 with topK 0 (one call).
    assert.deepEqual(proxy.seen, ['POST /v1/completions', 'POST /v1/completions', 'POST /v1/completions']);
    const want = await p.local.score(reqs);
    got.forEach((g, i) => {
      assert.equal(g.logprobs.length, want[i].logprobs.length);
      g.logprobs.forEach((x, t) => assert.ok(Math.abs(x - want[i].logprobs[t]) < 1e-4));
      assert.deepEqual(g.topIds && [...g.topIds], want[i].topIds && [...want[i].topIds!]);
    });
  } finally {
    await proxy.close();
  }
});

test('on a server that refuses max_tokens 0, prompt_logprobs is asked with max_tokens 1', async () => {
  const p = pairs.llama;
  const proxy = await strictProxy(p.server.url, (b) => (b.max_tokens === 0 && !b.echo ? 'max_tokens' : undefined));
  try {
    const be = await OpenAICompatibleBackend.connect({ baseURL: proxy.url, tokenizer: p.tok, maxRetries: 0 });
    const reqs = scoreRequests(p.tok, 2);
    const got = await be.score(reqs);
    const want = await p.local.score(reqs);
    got.forEach((g, i) => assert.deepEqual([...(g.topIds ?? [])], [...(want[i].topIds ?? [])]));
    assert.equal(proxy.seen.filter((x) => x === 'refused max_tokens').length, 1);
    assert.equal((be as any).scoreMode, 'prompt_logprobs');
    await be.score(reqs);
    assert.equal(proxy.seen.filter((x) => x === 'refused max_tokens').length, 1, 'learned once');
  } finally {
    await proxy.close();
  }
});

test('a token string that is not exactly one token is an error naming it', async () => {
  const q = await remote(pairs.qwen);
  assert.equal(q.tokenId('token_id:17'), 17);
  assert.equal(q.tokenId('h'), pairs.qwen.tok.encode('h')[0]);
  assert.throws(() => q.tokenId('token_id:5000'), /token id 5000, outside the vocabulary/);
  assert.throws(() => q.tokenId('no such token!'), /"no such token!", which is not the text of any id/);
  // Byte-level BPE: several partial-UTF-8 tokens all decode to U+FFFD.
  assert.throws(() => q.tokenId('\uFFFD'), /"\uFFFD", which is the text of several ids \(\d+, \d+/);
});

test('5xx answers and refused connections are retried with backoff, then reported', async () => {
  let calls = 0;
  const flaky = createServer((req, res) => {
    calls++;
    if (calls <= 2) {
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'warming up', type: 'server_error', param: null, code: null } }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ object: 'list', data: [{ id: 'm', object: 'model' }] }));
  });
  await new Promise<void>((r) => flaky.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(flaky.address() as AddressInfo).port}`;
  try {
    const be = new OpenAICompatibleBackend({ baseURL: url, model: 'm', tokenizer: pairs.llama.tok, maxRetries: 3, retryDelayMs: 5 });
    const t0 = Date.now();
    const res = await be.request('GET', '/v1/models');
    assert.equal(res.data[0].id, 'm');
    assert.equal(calls, 3);
    assert.ok(Date.now() - t0 >= 15, 'waited 5 + 10 ms between attempts');
    calls = 0;
    const impatient = new OpenAICompatibleBackend({ baseURL: url, model: 'm', tokenizer: pairs.llama.tok, maxRetries: 1, retryDelayMs: 1 });
    await assert.rejects(impatient.request('GET', '/v1/models'), (err: OpenAIServerError) => {
      assert.equal(err.status, 503);
      assert.match(err.message, /503 warming up \(gave up after 2 attempts\)/);
      return true;
    });
  } finally {
    await closeServer(flaky);
  }
  // The port is closed now: connection refused, retried, then reported.
  const gone = new OpenAICompatibleBackend({ baseURL: url, model: 'm', tokenizer: pairs.llama.tok, maxRetries: 2, retryDelayMs: 1 });
  await assert.rejects(gone.request('GET', '/v1/models'), /ECONNREFUSED.*gave up after 3 attempts/);
});

test('4xx answers are not retried and carry the server message', async () => {
  const be = await remote(pairs.llama, { maxRetries: 5, retryDelayMs: 10_000 });
  const t0 = Date.now();
  await assert.rejects(be.sample([{ prompt: [1, 2], maxTokens: 1000 }]), (err: OpenAIServerError) => {
    assert.equal(err.status, 400);
    assert.equal(err.param, 'max_tokens');
    assert.match(err.message, /maximum context length/);
    return true;
  });
  assert.ok(Date.now() - t0 < 8000, 'no 10 s backoff happened');
});

test('a request that takes too long times out and is retried', async () => {
  let calls = 0;
  const slow = createServer((_req, res) => {
    calls++;
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    }, 300);
  });
  await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
  try {
    const be = new OpenAICompatibleBackend({ baseURL: `http://127.0.0.1:${(slow.address() as AddressInfo).port}`, model: 'm', tokenizer: pairs.llama.tok, timeoutMs: 50, maxRetries: 1, retryDelayMs: 1 });
    await assert.rejects(be.request('GET', '/v1/models'), /no response within 50 ms \(gave up after 2 attempts\)/);
    assert.equal(calls, 2);
  } finally {
    await closeServer(slow);
  }
});

test('a remote backend refuses to score hidden states, saying why, before asking the server', async () => {
  const p = pairs.llama;
  const be = await remote(p);
  await assert.rejects(be.score([{ prompt: p.tok.encode('a'), completion: p.tok.encode('b'), hidden: true }]), /hidden states were requested.*remote.*cannot return them/);
});
