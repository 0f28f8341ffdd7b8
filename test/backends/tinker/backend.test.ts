import { test } from 'node:test';
import assert from 'node:assert/strict';
import { batch, everyTerm, connect, localLora, remoteAdapters, adapterGap, startTinker, tok } from './helpers.ts';

const opt = { lr: 0.05, maxGradNorm: 1 };

test('TinkerBackend against distil serve: every loss term trains the adapters exactly as LocalBackend does', async () => {
  const server = await startTinker();
  try {
    for (const [name, spec] of Object.entries(everyTerm())) {
      const remote = await connect(server);
      const local = localLora();
      try {
        for (let step = 0; step < 2; step++) {
          const want = await local.backend.forwardBackward(batch, spec);
          const got = await remote.forwardBackward(batch, spec);
          assert.ok(Math.abs(got.loss - want.loss) <= 1e-5 * (1 + Math.abs(want.loss)), `${name} step ${step}: loss ${got.loss} vs ${want.loss}`);
          const a = await local.backend.optimStep(opt);
          const b = await remote.optimStep(opt);
          assert.ok(Math.abs(a.gradNorm - b.gradNorm) <= 1e-4 * (1 + a.gradNorm), `${name}: grad norm ${b.gradNorm} vs ${a.gradNorm}`);
        }
        const gap = adapterGap(remoteAdapters(server, remote.modelId), local.lora.parameters());
        assert.ok(gap < 1e-5, `${name}: adapters differ by ${gap}`);
      } finally {
        remote.close();
      }
    }
  } finally {
    await server.close();
  }
});

test('sampling and scoring through the protocol give what LocalBackend gives, on the current weights', async () => {
  const server = await startTinker();
  const remote = await connect(server);
  const local = localLora();
  try {
    const spec = everyTerm()['softCE tail'];
    await local.backend.forwardBackward(batch, spec);
    await remote.forwardBackward(batch, spec);
    await local.backend.optimStep(opt);
    await remote.optimStep(opt);
    const reqs = [{ prompt: tok.encode('abc'), maxTokens: 6, seed: 11 }, { prompt: tok.encode('qq'), maxTokens: 4, seed: 12, temperature: 0.7, stop: ['e'] }];
    const want = await local.backend.sample(reqs);
    const got = await remote.sample(reqs);
    got.forEach((g, i) => {
      assert.deepEqual(g.tokens, want[i].tokens);
      assert.equal(g.text, want[i].text);
      assert.equal(g.stopReason, want[i].stopReason);
      g.logprobs.forEach((x, t) => assert.ok(Math.abs(x - want[i].logprobs[t]) < 1e-5));
    });
    const sreq = batch.sequences.map((s) => ({ ...s, topK: 4 }));
    const ws = await local.backend.score(sreq);
    const gs = await remote.score(sreq);
    gs.forEach((g, i) => {
      g.logprobs.forEach((x, t) => assert.ok(Math.abs(x - ws[i].logprobs[t]) < 1e-5, `logprob ${x} vs ${ws[i].logprobs[t]}`));
      assert.deepEqual([...g.topIds!], [...ws[i].topIds!]);
      g.topProbs!.forEach((x, j) => assert.ok(Math.abs(x - ws[i].topProbs![j]) < 1e-6));
    });
  } finally {
    remote.close();
    await server.close();
  }
});

test('a frozen snapshot keeps scoring the weights it was taken from; EMA is refused', async () => {
  const server = await startTinker();
  const remote = await connect(server);
  try {
    const frozen = await remote.snapshot('frozen');
    const before = await frozen.score(batch.sequences);
    const spec = everyTerm()['cross-entropy'];
    await remote.forwardBackward(batch, spec);
    await remote.optimStep(opt);
    const after = await frozen.score(batch.sequences);
    const live = await remote.score(batch.sequences);
    assert.deepEqual(after.map((s) => [...s.logprobs]), before.map((s) => [...s.logprobs]));
    assert.notDeepEqual(live.map((s) => [...s.logprobs]), before.map((s) => [...s.logprobs]));
    await assert.rejects(remote.snapshot('ema'), /EMA teacher needs weight arithmetic/);
    await assert.rejects(frozen.forwardBackward(batch, spec), /sampling client; it cannot train/);
  } finally {
    remote.close();
    await server.close();
  }
});

test('save and resume: a model loaded from a saved state (with its optimiser) continues exactly', async () => {
  const server = await startTinker();
  const spec = everyTerm()['JSD beta 0.5'];
  const a = await connect(server);
  try {
    await a.forwardBackward(batch, spec);
    await a.optimStep(opt);
    const path = await a.saveState('mid');
    assert.match(path, /^tinker:\/\/.+\/weights\/mid$/);
    const b = await connect(server, { resumeFrom: path });
    try {
      for (const be of [a, b]) {
        await be.forwardBackward(batch, spec);
        await be.optimStep(opt);
      }
      assert.ok(adapterGap(remoteAdapters(server, a.modelId), remoteAdapters(server, b.modelId)) === 0);
    } finally {
      b.close();
    }
  } finally {
    a.close();
    await server.close();
  }
});

test('heartbeats keep the session alive while the client is connected', async () => {
  const server = await startTinker();
  const remote = await connect(server, { heartbeatMs: 20 });
  try {
    // Wait for two beats (a loaded machine may delay timers; no timing is asserted).
    for (let i = 0; i < 500 && remote.heartbeats < 2; i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(remote.heartbeats >= 2, `${remote.heartbeats} heartbeats`);
    assert.ok(server.tinker!.service.sessions.get([...server.tinker!.service.sessions.keys()][0])!.heartbeats >= 2);
  } finally {
    remote.close();
    await server.close();
  }
});
