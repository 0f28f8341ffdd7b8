import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CharTokenizer } from '../../../src/models/char-tokenizer.ts';
import { serve } from '../../../src/server/server.ts';
import { batch, connect, everyTerm, servedTiny, startTinker, tok } from './helpers.ts';

const KEY = 'tml-secret-key-1234';

async function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

test('a wrong API key is one clear error at the first request, and the key appears in no message or file', async () => {
  const server = await startTinker({ apiKey: KEY });
  const lines: string[] = [];
  try {
    await assert.rejects(connect(server, { apiKey: 'tml-wrong', log: (m) => lines.push(m) }), (e: Error) => /refused with HTTP 401: invalid or missing API key.*check TINKER_API_KEY/.test(e.message) && !e.message.includes('tml-wrong'));
    const dir = mkdtempSync(join(tmpdir(), 'distil-tinker-'));
    const be = await connect(server, { apiKey: KEY, log: (m) => lines.push(m), http: { backoffMs: 1 } });
    try {
      await be.save(join(dir, 'step-1'));
      const written = readdirSync(join(dir, 'step-1')).map((f) => readFileSync(join(dir, 'step-1', f), 'utf8')).join('\n');
      assert.match(written, /tinker:\/\//);
      assert.ok(!written.includes(KEY));
      assert.ok(!lines.some((l) => l.includes(KEY)));
    } finally {
      be.close();
      rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    await server.close();
  }
});

test('the key is read from TINKER_API_KEY when not given', async () => {
  const server = await startTinker({ apiKey: KEY });
  const old = process.env.TINKER_API_KEY;
  process.env.TINKER_API_KEY = KEY;
  try {
    const be = await connect(server);
    be.close();
  } finally {
    if (old === undefined) delete process.env.TINKER_API_KEY;
    else process.env.TINKER_API_KEY = old;
    await server.close();
  }
});

test('an unknown base model and a differing tokenizer are refused before training starts', async () => {
  const server = await startTinker();
  try {
    await assert.rejects(connect(server, { baseModel: 'Qwen/Qwen3-8B' }), /does not offer base model 'Qwen\/Qwen3-8B'; it offers: tiny/);
  } finally {
    await server.close();
  }
  const other = new CharTokenizer('abcdefghijklmnopqrsu');
  const s2 = await serve({ ...servedTiny(), tokenizer: other }, { port: 0, tinker: {} });
  try {
    await assert.rejects(connect(s2), /uses a different tokenizer than the local model folder/);
  } finally {
    await s2.close();
  }
});

test('the server refuses an unsupported loss, reused seq_ids, and payloads over its chunk limit, naming each', async () => {
  const server = await startTinker({ maxDatums: 2 });
  try {
    const { json: { session_id } } = await postJson(`${server.url}/api/v1/create_session`, { tags: [], user_metadata: null, sdk_version: 'test', type: 'create_session' });
    const fut = await postJson(`${server.url}/api/v1/create_model`, { session_id, model_seq_id: 1, base_model: 'tiny', lora_config: { rank: 2 }, type: 'create_model' });
    const res = await postJson(`${server.url}/api/v1/retrieve_future`, { request_id: fut.json.request_id });
    const model_id = res.json.model_id as string;
    const datum = { model_input: { chunks: [{ type: 'encoded_text', tokens: [1, 2, 3] }] }, loss_fn_inputs: { target_tokens: { data: [2, 3, 4], dtype: 'int64', shape: [3] }, weights: { data: [0, 1, 1], dtype: 'float32', shape: [3] } } };
    const dro = await postJson(`${server.url}/api/v1/forward_backward`, { model_id, seq_id: 1, forward_backward_input: { data: [datum], loss_fn: 'dro' } });
    assert.equal(dro.status, 400);
    assert.match(String(dro.json.error), /loss_fn 'dro' is not supported; this server supports cross_entropy, importance_sampling, ppo, cispo/);
    const again = await postJson(`${server.url}/api/v1/forward_backward`, { model_id, seq_id: 1, forward_backward_input: { data: [datum], loss_fn: 'cross_entropy' } });
    assert.equal(again.status, 409);
    assert.match(String(again.json.error), /seq_id 1 was already used/);
    const big = await postJson(`${server.url}/api/v1/forward_backward`, { model_id, seq_id: 2, forward_backward_input: { data: [datum, datum, datum], loss_fn: 'cross_entropy' } });
    assert.equal(big.status, 413);
    assert.match(String(big.json.error), /carries 3 datums; this server takes at most 2 per request \(fwdbwd_max_chunk_len\)/);
    const shape = await postJson(`${server.url}/api/v1/forward_backward`, { model_id, seq_id: 3, forward_backward_input: { data: [{ ...datum, loss_fn_inputs: { ...datum.loss_fn_inputs, target_tokens: { data: [2, 3], dtype: 'int64', shape: [2] } } }], loss_fn: 'cross_entropy' } });
    assert.equal(shape.status, 400);
    assert.match(String(shape.json.error), /datum 0: target_tokens has shape \[2\], expected \[3\] or \[3, K\]/);
  } finally {
    await server.close();
  }
});

test('the client splits a batch at the server chunk limit, and still trains exactly', async () => {
  const server = await startTinker({ maxDatums: 1 });
  const ref = await startTinker();
  const a = await connect(server), b = await connect(ref);
  try {
    const spec = everyTerm()['JSD beta 0.5'];
    const la = await a.forwardBackward(batch, spec), lb = await b.forwardBackward(batch, spec);
    assert.ok(Math.abs(la.loss - lb.loss) < 1e-6);
    await a.optimStep({ lr: 0.1 });
    await b.optimStep({ lr: 0.1 });
    const sa = await a.score(batch.sequences), sb = await b.score(batch.sequences);
    // Gradients summed over chunks in another order: equal to float rounding.
    sa.forEach((s, i) => s.logprobs.forEach((x, t) => assert.ok(Math.abs(x - sb[i].logprobs[t]) < 1e-5, `${x} vs ${sb[i].logprobs[t]}`)));
    assert.ok(server.tinker!.seen.get('forward_backward')! >= 2 * batch.sequences.length);
  } finally {
    a.close();
    b.close();
    await server.close();
    await ref.close();
  }
});

test('support full is refused before any request is sent', async () => {
  const server = await startTinker();
  const be = await connect(server);
  try {
    const V = tok.vocabSize;
    const ids = batch.sequences.map((s) => Int32Array.from({ length: s.completion.length * V }, (_, j) => j % V));
    const before = server.tinker!.seen.get('forward_backward') ?? 0;
    await assert.rejects(be.forwardBackward(batch, { terms: [{ kind: 'softCrossEntropy', weight: 1, support: 'full', k: V, targetIds: ids, targetProbs: ids.map((a) => new Float32Array(a.length).fill(1 / V)), tokenWeights: batch.sequences.map((s) => new Float32Array(s.completion.length).fill(1)) }] }), /support 'full'/);
    assert.equal(server.tinker!.seen.get('forward_backward') ?? 0, before);
  } finally {
    be.close();
    await server.close();
  }
});
