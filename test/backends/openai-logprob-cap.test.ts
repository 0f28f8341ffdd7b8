import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OpenAICompatibleBackend } from '../../src/backends/openai.ts';
import { CharTokenizer } from '../../src/models/char-tokenizer.ts';

test("a vLLM teacher's top-logprobs cap below topK is one clear error saying what to change", async () => {
  // Answers as vLLM does when --max-logprobs (default 20) is exceeded.
  const server = createServer(async (req, res) => {
    let body = '';
    for await (const c of req) body += c;
    const send = (status: number, v: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(v));
    };
    if (req.url === '/v1/models') return send(200, { data: [{ id: 'teacher' }] });
    if (req.url === '/v1/completions') {
      const j = JSON.parse(body);
      const k = j.prompt_logprobs ?? j.logprobs ?? 0;
      if (k > 20) return send(400, { error: { message: `Requested prompt logprobs of ${k}, which is greater than max allowed: 20`, type: 'BadRequestError', param: null, code: 400 } });
    }
    send(404, { error: { message: 'not here' } });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const tok = new CharTokenizer('abcdefghijklmnopqrstuvwxyz0123456789');
    const be = await OpenAICompatibleBackend.connect({ baseURL: url, tokenizer: tok, maxRetries: 0, scoreVia: 'prompt_logprobs' });
    await assert.rejects(
      be.score([{ prompt: tok.encode('ab'), completion: tok.encode('cd'), topK: 32 }]),
      /returns at most 20 top log-probs per position \(vLLM: --max-logprobs, default 20\) but topK is 32: set the algorithm's topK to 20 or less, or restart the server with --max-logprobs 32/,
    );
  } finally {
    await new Promise<void>((r) => {
      server.close(() => r());
      server.closeAllConnections();
    });
  }
});
