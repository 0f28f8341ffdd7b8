/**
 * What one DistIL step costs on the wire against a Tinker service (docs/remote.md): round trips
 * and bytes of each phase for a batch of 64 completions x 256 tokens (256-token prompts), top-k
 * 20, vocabulary 151936 (Qwen3). The real client (TinkerBackend, protobuf + CSR) talks to an
 * in-process stub that answers every request at once with synthetic numbers, so what is
 * measured is the protocol, not a model. For comparison: the same datums as dense float32 JSON.
 */
import type { BenchContext, BenchSection } from '../section.ts';
import { TinkerBackend } from '../../src/backends/tinker/backend.ts';
import type { FetchLike } from '../../src/backends/tinker/http.ts';
import { decodeForwardBackwardRequest, encodeForwardBackwardOutput, encodeSampleResponse } from '../../src/backends/tinker/proto.ts';
import { denseOf, type SampleResponse } from '../../src/backends/tinker/wire.ts';
import type { LossSpec, TrainBatch } from '../../src/backends/types.ts';
import { CharTokenizer } from '../../src/models/char-tokenizer.ts';
import { Rng } from '../../src/util/rng.ts';

const V = 151_936, B = 64, T = 256, P = 256, K = 20;

/** A Tinker service that computes nothing: every future is ready at once. */
function stubService(rng: Rng): FetchLike {
  const results = new Map<string, { body: Uint8Array | string; proto: boolean }>();
  let n = 0;
  const json = (v: unknown) => ({ status: 200, headers: { get: () => 'application/json' }, arrayBuffer: async () => new TextEncoder().encode(JSON.stringify(v)).buffer as ArrayBuffer });
  const future = (body: Uint8Array | string, proto: boolean) => {
    const id = `r${++n}`;
    results.set(id, { body, proto });
    return json({ request_id: id });
  };
  return async (url, init) => {
    const route = url.split('/api/v1/')[1];
    const body = typeof init.body === 'string' ? JSON.parse(init.body) : null;
    switch (route) {
      case 'client/config': return json({ fwdbwd_max_chunk_len: 1024 });
      case 'get_server_capabilities': return json({ supported_models: [{ model_name: 'Qwen/Qwen3-8B' }] });
      case 'create_session': return json({ session_id: 's' });
      case 'create_model': return future(JSON.stringify({ model_id: 's:train:1' }), false);
      case 'get_info': return json({ model_id: 's:train:1', model_data: { tokenizer_id: 'Qwen/Qwen3-8B', vocab_size: V } });
      case 'optim_step': return future(JSON.stringify({ metrics: { 'grad_norm:mean': 1 } }), false);
      case 'save_weights_for_sampler': return future(JSON.stringify({ sampling_session_id: 's:sample:1' }), false);
      case 'create_sampling_session': return json({ sampling_session_id: 's:sample:2' });
      case 'forward_backward': {
        const req = decodeForwardBackwardRequest(init.body as Uint8Array);
        const outs = req.forward_backward_input.data.map((d) => {
          const tt = d.loss_fn_inputs.target_tokens;
          const count = denseOf(tt).length;
          return { logprobs: { data: Array.from({ length: count }, () => Math.log(0.5 / 64) - rng.next()), dtype: 'float32' as const, shape: tt.shape } };
        });
        return future(encodeForwardBackwardOutput({ loss_fn_output_type: 'ArrayRecord', loss_fn_outputs: outs, metrics: { 'loss:sum': 0 } }), true);
      }
      case 'asample': {
        const prompt: number[] = body.prompt.chunks[0].tokens;
        const k: number = body.topk_prompt_logprobs ?? 0;
        const res: SampleResponse = { sequences: [{ stop_reason: 'length', tokens: body.prompt_logprobs ? [1] : Array.from({ length: T }, () => 1 + Math.floor(rng.next() * 1000)), logprobs: [] }] };
        res.sequences[0].logprobs = res.sequences[0].tokens.map(() => -1);
        if (body.prompt_logprobs) {
          res.prompt_logprobs = [null, ...prompt.slice(1).map(() => -1.5)];
          if (k) res.topk_prompt_logprobs = [null, ...prompt.slice(1).map(() => Array.from({ length: k }, (_, j) => [2000 + j, Math.log(0.9 / k)] as [number, number]))];
        }
        return future(encodeSampleResponse(res), true);
      }
      case 'retrieve_future': {
        const r = results.get(body.request_id)!;
        if (r.proto) return { status: 200, headers: { get: () => 'application/x-protobuf' }, arrayBuffer: async () => (r.body as Uint8Array).slice().buffer as ArrayBuffer };
        return json(JSON.parse(r.body as string));
      }
      default: return json({});
    }
  };
}

function distilSpec(batch: TrainBatch, rng: Rng): LossSpec {
  const ids = batch.sequences.map((s) => {
    const a = new Int32Array(s.completion.length * K);
    for (let t = 0; t < s.completion.length; t++) {
      const seen = new Set<number>();
      for (let j = 0; j < K; j++) {
        let id = Math.floor(rng.next() * V);
        while (seen.has(id)) id = (id + 1) % V;
        seen.add(id);
        a[t * K + j] = id;
      }
    }
    return a;
  });
  const probs = batch.sequences.map((s) => new Float32Array(s.completion.length * K).fill(0.9 / K));
  const ones = batch.sequences.map((s) => new Float32Array(s.completion.length).fill(1));
  return { terms: [{ kind: 'softCrossEntropy', weight: 1, support: 'tail', k: K, targetIds: ids, targetProbs: probs, tokenWeights: ones, futureCredit: { lambdaFc: 0.5, gamma: 0.9, baseline: 'group_position', standardize: false, groups: batch.sequences.map((_, i) => Math.floor(i / 8)) } }] };
}

const section: BenchSection = {
  name: 'remote',
  order: 90,
  async run(ctx: BenchContext) {
    const rng = new Rng(3);
    const tokenizer = new CharTokenizer('abcdefghijklmnopqrstuvwxyz');
    const be = await TinkerBackend.connect({ baseUrl: 'http://stub.invalid', baseModel: 'Qwen/Qwen3-8B', tokenizer, loraRank: 32, http: { fetch: stubService(rng) }, heartbeatMs: 3_600_000, log: () => {} });
    const prompt = Array.from({ length: P }, (_, i) => 1 + (i % 1000));
    const stats = () => ({ ...be.stats });
    const phase = async (name: string, f: () => Promise<unknown>) => {
      const a = stats();
      const t0 = performance.now();
      await f();
      const b = stats();
      const row = { phase: name, round_trips: b.roundTrips - a.roundTrips, mb_sent: (b.bytesSent - a.bytesSent) / 1e6, mb_received: (b.bytesReceived - a.bytesReceived) / 1e6, client_s: (performance.now() - t0) / 1000 };
      ctx.record(row);
      return row;
    };
    const samples = await be.sample(Array.from({ length: B }, (_, i) => ({ prompt, maxTokens: T, seed: i })));
    const batch: TrainBatch = { sequences: samples.map((c) => ({ prompt, completion: c.tokens })) };
    const spec = distilSpec(batch, rng);
    ctx.note(`remote: ${B} completions x ${T} tokens after ${P}-token prompts, top-k ${K}, vocabulary ${V}; stub service, protobuf + CSR`);
    const sampling = await phase('sample (64 asample + 64 top-1 passes)', () => be.sample(Array.from({ length: B }, (_, i) => ({ prompt, maxTokens: T, seed: i }))));
    const scoring = await phase('teacher scores (64 asample, top-20 prompt logprobs)', () => be.score(batch.sequences.map((s) => ({ ...s, topK: K }))));
    const train = await phase('two-pass forward_backward', () => be.forwardBackward(batch, spec));
    const step = await phase('optim_step', () => be.optimStep({ lr: 1e-5 }));
    be.close();
    // The same datums as dense float32 JSON (what a JSON-only client sends per pass).
    const N = P + T - 1, m = K + 1;
    const denseDatum = JSON.stringify({ model_input: { chunks: [{ type: 'encoded_text', tokens: prompt.concat(batch.sequences[0].completion).slice(0, N) }] }, loss_fn_inputs: {
      target_tokens: { data: Array.from({ length: N * m }, () => 151_000), dtype: 'int64', shape: [N, m] },
      weights: { data: Array.from({ length: N * m }, () => -0.012345678), dtype: 'float32', shape: [N, m] } } });
    const denseJsonMb = Buffer.byteLength(denseDatum) / 1e6;
    ctx.record({ phase: 'dense float32 JSON, one datum, one pass', round_trips: 0, mb_sent: denseJsonMb, mb_received: 0, client_s: 0 });
    const trainRt = train.round_trips + step.round_trips;
    return {
      remote_train_round_trips: trainRt,
      remote_train_mb_sent: train.mb_sent + step.mb_sent,
      remote_train_mb_received: train.mb_received + step.mb_received,
      remote_step_round_trips: trainRt + sampling.round_trips + scoring.round_trips,
      remote_step_mb: train.mb_sent + train.mb_received + sampling.mb_sent + sampling.mb_received + scoring.mb_sent + scoring.mb_received,
      remote_dense_json_mb_per_datum_pass: denseJsonMb,
    };
  },
};
export default section;
