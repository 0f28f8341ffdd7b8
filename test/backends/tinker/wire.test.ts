/**
 * Wire fixtures written by hand from the official SDK's source (test/fixtures/tinker/, with the
 * commit cited there) checked against both sides: distil's client must send those bodies and
 * parse those answers, and distil serve must accept those bodies and answer in those shapes.
 * Checking each side against the fixtures (not against each other) keeps them from drifting
 * away from the real protocol together.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decodeForwardBackwardOutput, decodeForwardBackwardRequest, decodeSampleResponse, encodeForwardBackwardOutput, encodeForwardBackwardRequest, encodeSampleResponse } from '../../../src/backends/tinker/proto.ts';
import { TinkerHttp, type FetchLike } from '../../../src/backends/tinker/http.ts';
import type { SampleResponse } from '../../../src/backends/tinker/wire.ts';
import { batch, connect, everyTerm, startTinker } from './helpers.ts';

const dir = (f: string) => fileURLToPath(new URL(`../../fixtures/tinker/${f}`, import.meta.url));
const wire = JSON.parse(readFileSync(dir('wire.json'), 'utf8'));
const golden = JSON.parse(readFileSync(dir('proto-golden.json'), 'utf8'));
const bytes = (hex: string) => Uint8Array.from(Buffer.from(hex, 'hex'));

/** The type skeleton of a JSON value: what the protocol fixes (keys, value types), not the values. */
function skeleton(v: unknown): unknown {
  if (v === null) return 'null';
  if (Array.isArray(v)) return v.length ? [skeleton(v.find((x) => x !== null) ?? null)] : [];
  if (typeof v === 'object') return Object.fromEntries(Object.entries(v as object).filter(([, x]) => x !== undefined).sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => [k, skeleton(x)]));
  return typeof v;
}

/** Every key of `want` is in `got` with the same skeleton (a server may add fields: SDK models ignore extras). */
function covers(got: unknown, want: unknown, where: string): void {
  if (want && typeof want === 'object' && !Array.isArray(want)) {
    assert.ok(got && typeof got === 'object', `${where}: expected an object, got ${JSON.stringify(got)}`);
    for (const [k, w] of Object.entries(want)) covers((got as Record<string, unknown>)[k], w, `${where}.${k}`);
    return;
  }
  assert.deepEqual(skeleton(got), skeleton(want), where);
}

test('protobuf golden bytes (built from the SDK descriptor by hand) round-trip through the codec', () => {
  const fb = golden.forward_backward_request;
  assert.equal(Buffer.from(encodeForwardBackwardRequest(fb.message)).toString('hex'), fb.hex);
  assert.deepEqual(decodeForwardBackwardRequest(bytes(fb.hex)), fb.message);
  const sr = golden.sample_response;
  assert.deepEqual(decodeSampleResponse(bytes(sr.hex)), sr.message);
  const mine = Buffer.from(encodeSampleResponse(sr.message as SampleResponse)).toString('hex');
  assert.equal(mine, sr.hex);
  const out = golden.forward_backward_output;
  assert.deepEqual(decodeForwardBackwardOutput(bytes(out.hex)), out.message);
  assert.equal(Buffer.from(encodeForwardBackwardOutput(out.message)).toString('hex'), out.hex);
});

test('the client sends the bodies of the fixtures', async () => {
  const server = await startTinker();
  const sent = new Map<string, unknown>();
  const rec: FetchLike = async (url, init) => {
    const path = url.split('/api/v1/')[1];
    const body = init.body instanceof Uint8Array ? decodeForwardBackwardRequest(init.body) : init.body ? JSON.parse(init.body) : undefined;
    const keepFirst = path === 'forward_backward' && sent.has(path);
    const pathForm = path === 'save_weights_for_sampler' && (body as { path?: string }).path;
    if (!keepFirst && !pathForm && !(path === 'asample' && !(body as { prompt_logprobs?: boolean }).prompt_logprobs)) sent.set(path, body);
    if (path === 'save_weights_for_sampler' && (body as { path?: string }).path) sent.set('save_weights_for_sampler:path', body);
    return fetch(url, init as RequestInit) as never;
  };
  const be = await connect(server, { heartbeatMs: 10, http: { fetch: rec, backoffMs: 1 } });
  try {
    await be.forwardBackward(batch, everyTerm()['JSD beta 0.5']);
    await be.optimStep({ lr: 1e-4, beta1: 0.9, beta2: 0.95, eps: 1e-12 });
    await be.score(batch.sequences.map((s) => ({ ...s, topK: 4 })));
    const path = await be.saveState('step-1');
    await be.snapshot('frozen');
    await new Promise((r) => setTimeout(r, 30));
    const again = await connect(server, { resumeFrom: path, http: { fetch: rec, backoffMs: 1 } });
    again.close();
  } finally {
    be.close();
    await server.close();
  }
  for (const [route, want] of Object.entries(wire.requests as Record<string, unknown>)) {
    const got = sent.get(route);
    assert.ok(got !== undefined, `the client never sent ${route}`);
    if (route === 'forward_backward') {
      const g = got as { forward_backward_input: { data: { loss_fn_inputs: Record<string, { dtype: string; shape: number[] }> }[] } };
      const w = want as typeof g;
      assert.deepEqual(Object.keys(g).sort(), Object.keys(w).sort());
      const d = g.forward_backward_input.data[0];
      assert.deepEqual(Object.keys(d.loss_fn_inputs).sort(), ['target_tokens', 'weights']);
      assert.equal(d.loss_fn_inputs.target_tokens.dtype, 'int64');
      assert.equal(d.loss_fn_inputs.weights.dtype, 'float32');
      assert.equal(d.loss_fn_inputs.target_tokens.shape.length, 2);
      continue;
    }
    if (route === 'client/config' || route === 'create_session') {
      assert.deepEqual(Object.keys(got as object).sort(), Object.keys(want as object).sort(), route);
      continue;
    }
    if (route === 'save_weights_for_sampler') covers(sent.get('save_weights_for_sampler:path'), { model_id: '', seq_id: 0, path: '', type: '' }, route);
    assert.deepEqual(skeleton(got), skeleton(want), route);
  }
});

test('distil serve accepts the fixture bodies and answers in the fixture shapes', async () => {
  const server = await startTinker();
  const u = (p: string) => `${server.url}/api/v1/${p}`;
  const post = async (p: string, body: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(u(p), { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    return { status: res.status, json: (await res.json()) as any };
  };
  const result = async (p: string, body: unknown) => {
    const f = await post(p, body);
    assert.equal(f.status, 200, `${p}: ${JSON.stringify(f.json)}`);
    covers(f.json, wire.responses.future.model_id && (body as { model_id?: string }).model_id ? wire.responses.future : { request_id: '' }, `${p} future`);
    for (;;) {
      const r = await post('retrieve_future', { ...wire.requests.retrieve_future, request_id: f.json.request_id });
      if (r.json.type !== 'try_again') return r.json;
      covers(r.json, wire.responses.try_again, 'try_again');
    }
  };
  try {
    const req = wire.requests;
    const session = await post('create_session', req.create_session);
    covers(session.json, wire.responses.create_session, 'create_session');
    assert.equal((await post('session_heartbeat', req.session_heartbeat)).status, 200);
    covers(await result('create_model', req.create_model), wire.responses.create_model, 'create_model');
    covers((await post('get_info', req.get_info)).json, wire.responses.get_info, 'get_info');
    const fb = await result('forward_backward', req.forward_backward);
    covers(fb, wire.responses.forward_backward, 'forward_backward');
    assert.deepEqual(fb.loss_fn_outputs[0].logprobs.shape, [3, 2]);
    for (const k of Object.keys(fb.metrics)) assert.match(k, /^[^:]+:[^:]+$/, 'metric names are name:reduction');
    const fbProto = await fetch(u('forward_backward'), { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: Buffer.from(encodeForwardBackwardRequest({ ...req.forward_backward, seq_id: 2 })) });
    assert.equal(fbProto.status, 200);
    covers(await result('optim_step', { ...req.optim_step, seq_id: 3 }), wire.responses.optim_step, 'optim_step');
    covers(await result('save_weights', { ...req.save_weights, seq_id: 4 }), wire.responses.save_weights, 'save_weights');
    covers(await result('save_weights_for_sampler', { ...req.save_weights_for_sampler, seq_id: 5 }), wire.responses.save_weights_for_sampler, 'save_weights_for_sampler');
    covers(await result('load_weights', { ...req.load_weights, seq_id: 6 }), wire.responses.load_weights, 'load_weights');
    const frozen = await result('save_weights_for_sampler', { model_id: req.save_weights.model_id, path: 'frozen-1', seq_id: 7, type: 'save_weights_for_sampler' });
    assert.equal(frozen.path, req.create_sampling_session.model_path);
    covers((await post('create_sampling_session', req.create_sampling_session)).json, wire.responses.create_sampling_session, 'create_sampling_session');
    const sample = await result('asample', req.asample);
    covers(sample, wire.responses.sample, 'sample (JSON)');
    assert.equal(sample.prompt_logprobs[0], null);
    assert.equal(sample.topk_prompt_logprobs[0], null);
    assert.equal(sample.topk_prompt_logprobs[1].length, 4);
    const failed = await post('forward_backward', { ...req.forward_backward, seq_id: 8, forward_backward_input: { ...req.forward_backward.forward_backward_input, loss_fn: 'dro' } });
    covers(failed.json, wire.responses.failed, 'failed');
  } finally {
    await server.close();
  }
});

test('the client parses the fixture answers: try_again, a 408 body, then a result; and a failure names its category', async () => {
  const answers: { status: number; body: unknown }[] = [
    { status: 200, body: wire.responses.future },
    { status: 200, body: wire.responses.try_again },
    { status: 408, body: wire.responses.http_408_body },
    { status: 200, body: wire.responses.sample },
    { status: 200, body: wire.responses.future },
    { status: 200, body: wire.responses.failed },
  ];
  const fake: FetchLike = async () => {
    const a = answers.shift()!;
    const text = JSON.stringify(a.body);
    return { status: a.status, headers: { get: () => 'application/json' }, arrayBuffer: async () => new TextEncoder().encode(text).buffer as ArrayBuffer };
  };
  const http = new TinkerHttp({ baseUrl: 'http://fixture.invalid', fetch: fake, backoffMs: 1 });
  const r = await http.result<SampleResponse>('/api/v1/asample', wire.requests.asample, 'sample');
  assert.deepEqual(r, wire.responses.sample);
  assert.equal(http.stats.tryAgains, 2);
  await assert.rejects(http.result('/api/v1/forward_backward', {}, 'forward_backward'), /failed on the server: loss_fn 'dro' is not supported \(user error\)/);
});
