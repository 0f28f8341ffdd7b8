/**
 * Fault injection: whatever the transport does (pending futures, try_again, 408, 410, 429,
 * 500, a dropped connection after the work was done, slow futures), a run either completes
 * with exactly the weights of a run without faults, or stops with a clear error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TinkerFault } from '../../../src/server/tinker/routes.ts';
import { adapterGap, batch, connect, everyTerm, localLora, remoteAdapters, startTinker, tok } from './helpers.ts';

const opt = { lr: 0.05, maxGradNorm: 1 };
const spec = everyTerm()['softCE + future credit (group baseline)'];

async function reference() {
  const local = localLora();
  for (let step = 0; step < 2; step++) {
    await local.backend.forwardBackward(batch, spec);
    await local.backend.optimStep(opt);
  }
  return local.lora.parameters();
}

const plans: Record<string, (path: string, n: number) => TinkerFault | undefined> = {
  'try_again on every other poll': (p, n) => (p === 'retrieve_future' && n % 2 === 1 ? { kind: 'try_again' } : undefined),
  '408 on every third poll': (p, n) => (p === 'retrieve_future' && n % 3 === 0 ? { kind: 'status', status: 408 } : undefined),
  '410: the server loses futures, the client submits them again': (p, n) => ((p === 'forward_backward' && n === 2) || (p === 'optim_step' && n === 1) || (p === 'save_weights_for_sampler' && n === 1) ? { kind: 'lose' } : undefined),
  '429 rate limits': (p, n) => ((p === 'forward_backward' || p === 'asample' || p === 'create_session') && n <= 2 ? { kind: 'status', status: 429 } : undefined),
  '500 and 503 server errors': (p, n) => ((p === 'optim_step' || p === 'create_model') && n === 1 ? { kind: 'status', status: 500 } : p === 'retrieve_future' && n === 4 ? { kind: 'status', status: 503 } : undefined),
  'dropped connections after the work was done (idempotency keys)': (p, n) => ((p === 'forward_backward' && (n === 1 || n === 4)) || (p === 'optim_step' && n === 2) || (p === 'retrieve_future' && n === 5) ? { kind: 'drop' } : undefined),
  'slow futures': (p) => (p === 'forward_backward' || p === 'optim_step' ? { kind: 'slow', ms: 120 } : undefined),
};

for (const [name, faults] of Object.entries(plans)) {
  test(`fault injection, ${name}: the run ends with the same weights as without faults`, async () => {
    const want = await reference();
    const server = await startTinker({ faults, longPollMs: 30 });
    const remote = await connect(server);
    try {
      const losses: number[] = [];
      for (let step = 0; step < 2; step++) {
        losses.push((await remote.forwardBackward(batch, spec)).loss);
        await remote.optimStep(opt);
        await remote.sample([{ prompt: tok.encode('ab'), maxTokens: 3, seed: step }]);
      }
      const gap = adapterGap(remoteAdapters(server, remote.modelId), want);
      assert.ok(gap < 1e-5, `adapters differ by ${gap}`);
      const s = remote.stats;
      assert.ok(s.retries + s.tryAgains + s.resubmits > 0, `the faults were seen: ${JSON.stringify(s)}`);
    } finally {
      remote.close();
      await server.close();
    }
  });
}

test('a server that keeps failing stops the run with a clear error after the retry budget', async () => {
  const server = await startTinker({ faults: (p) => (p === 'optim_step' ? { kind: 'status', status: 500 } : undefined) });
  const remote = await connect(server, { http: { maxRetries: 3, backoffMs: 1 } });
  try {
    await remote.forwardBackward(batch, spec);
    await assert.rejects(remote.optimStep(opt), /optim_step failed after 4 attempts \(HTTP 500: injected fault: HTTP 500\)/);
  } finally {
    remote.close();
    await server.close();
  }
});

test('a server that is not there is a clear error naming the URL', async () => {
  const server = await startTinker();
  const url = server.url;
  await server.close();
  await assert.rejects(
    connect({ url } as never, { http: { maxRetries: 1, backoffMs: 1 } }),
    (e: Error) => e.message.includes(`is the server at ${url} up?`),
  );
});
