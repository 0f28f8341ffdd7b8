/**
 * `distil serve` under load, over loopback only: 500 requests at concurrency 32 against the
 * shipped tiny-multi checkpoint, half of them streaming, every fifth streaming client leaving
 * after two events. Reports requests/s, generated tokens/s, failures (must be 0), the time
 * /health takes to answer in the middle of the load, and memory (heap and resident) before,
 * at the peak and after: it must come back near where it started.
 */
import { builtinCheckpoint } from '../../src/recipes/checkpoints.ts';
import { getEnv } from '../../src/envs/registry.ts';
import { servedModelFromFolder } from '../../src/server/engine.ts';
import { serve } from '../../src/server/server.ts';
import type { BenchContext, BenchSection } from '../section.ts';

const mb = (bytes: number) => +(bytes / 2 ** 20).toFixed(1);

/** One request; returns the generated tokens seen (whole responses) or 0 (streams), throws on failure. */
async function one(url: string, i: number, prompt: string): Promise<number> {
  const stream = i % 2 === 1;
  const leave = stream && i % 10 === 1; // every fifth streaming client
  const body = { prompt, max_tokens: 32, seed: i, temperature: 1, ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}) };
  const ctl = new AbortController();
  const res = await fetch(`${url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: ctl.signal });
  if (res.status !== 200) throw new Error(`request ${i}: HTTP ${res.status} ${await res.text()}`);
  if (!stream) return ((await res.json()) as { usage: { completion_tokens: number } }).usage.completion_tokens;
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let buf = '', events = 0, tokens = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`request ${i}: the stream ended without [DONE]`);
    buf += dec.decode(value, { stream: true });
    let at: number;
    while ((at = buf.indexOf('\n\n')) >= 0) {
      const ev = buf.slice(0, at).replace(/^data: /, '');
      buf = buf.slice(at + 2);
      if (ev === '[DONE]') return tokens;
      const c = JSON.parse(ev);
      if (c.error) throw new Error(`request ${i}: ${c.error.message}`);
      if (c.usage) tokens = c.usage.completion_tokens;
      if (leave && ++events >= 2) {
        ctl.abort();
        return 0;
      }
    }
  }
}

async function load(ctx: BenchContext, n: number, concurrency: number) {
  const env = await getEnv('math');
  const prompts = env.tasks('test', 64, 0, { levels: [5, 6] }).map((t) => t.prompt);
  const running = await serve(servedModelFromFolder(builtinCheckpoint('tiny-multi')), { port: 0, host: '127.0.0.1' });
  try {
    // Warm-up, then the baseline memory.
    await Promise.all(Array.from({ length: concurrency }, (_, i) => one(running.url, i * 2, prompts[i % prompts.length])));
    const before = process.memoryUsage();
    let peakRss = before.rss, peakHeap = before.heapUsed;
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      peakRss = Math.max(peakRss, m.rss);
      peakHeap = Math.max(peakHeap, m.heapUsed);
    }, 50);
    let next = 0, failures = 0, tokens = 0, healthMs = -1;
    const errors: string[] = [];
    const t0 = performance.now();
    const worker = async () => {
      while (next < n) {
        const i = next++;
        if (i === Math.floor(n / 2)) {
          const h0 = performance.now();
          const h = await fetch(`${running.url}/health`);
          healthMs = h.status === 200 ? performance.now() - h0 : -1;
        }
        try {
          // (Not `tokens += await ...`: that reads `tokens` before awaiting and loses the
          // other workers' additions.)
          const got = await one(running.url, i, prompts[i % prompts.length]);
          tokens += got;
        } catch (e) {
          failures++;
          if (errors.length < 3) errors.push((e as Error).message);
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const seconds = (performance.now() - t0) / 1000;
    clearInterval(sampler);
    // Let the sockets of the clients that left close, then look at memory again.
    await new Promise((r) => setTimeout(r, 500));
    const after = process.memoryUsage();
    const ok = await fetch(`${running.url}/health`);
    for (const e of errors) ctx.note(`serve: failed: ${e}`);
    ctx.record({
      what: 'serve load', requests: n, concurrency, failures, seconds: +seconds.toFixed(2), req_per_s: +(n / seconds).toFixed(1),
      tok_per_s: +(tokens / seconds).toFixed(0), health_ms: +healthMs.toFixed(1), answers_after: ok.status === 200,
      heap_mb_before: mb(before.heapUsed), heap_mb_peak: mb(peakHeap), heap_mb_after: mb(after.heapUsed),
      rss_mb_before: mb(before.rss), rss_mb_peak: mb(peakRss), rss_mb_after: mb(after.rss),
    });
    return { failures, reqPerS: n / seconds, heapGrowthMb: mb(after.heapUsed - before.heapUsed) };
  } finally {
    await running.close();
    await env.close?.();
  }
}

const section: BenchSection = {
  name: 'serve',
  order: 70,
  async run(ctx) {
    const [n, c] = ctx.quick ? [60, 8] : [500, 32];
    ctx.note(`serve: ${n} requests at concurrency ${c} over loopback (half streaming, some clients leave mid-stream)`);
    const r = await load(ctx, n, c);
    if (r.failures) throw new Error(`${r.failures} of ${n} requests failed under load`);
    return { serve_req_per_s: +r.reqPerS.toFixed(1), serve_failures: r.failures, serve_heap_growth_mb: r.heapGrowthMb };
  },
};
export default section;
