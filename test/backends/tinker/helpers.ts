/** A tiny model, a batch and every kind of LossTerm, shared by the remote-path tests. */
import { LocalBackend } from '../../../src/backends/local.ts';
import type { LossSpec, LossTerm, TrainBatch } from '../../../src/backends/types.ts';
import { CharTokenizer } from '../../../src/models/char-tokenizer.ts';
import { Transformer } from '../../../src/nn/transformer.ts';
import type { ModelConfig } from '../../../src/nn/config.ts';
import { Rng } from '../../../src/util/rng.ts';

export const tok = new CharTokenizer('abcdefghijklmnopqrst');
export const CFG: ModelConfig = {
  architecture: 'llama', vocabSize: tok.vocabSize, hiddenSize: 16, intermediateSize: 32, numLayers: 2,
  numHeads: 4, numKvHeads: 2, headDim: 4, maxPositions: 64, ropeTheta: 10000, rmsNormEps: 1e-5,
  tieWordEmbeddings: false, attentionBias: false, qkNorm: false,
};
export const makeLocal = (seed = 1) => new LocalBackend(new Transformer(CFG, new Rng(seed)), { tokenizer: tok, warn: () => {} });

export const batch: TrainBatch = {
  sequences: [
    { prompt: tok.encode('abc'), completion: tok.encode('defgh') },
    { prompt: tok.encode('j'), completion: tok.encode('iik') },
    { prompt: tok.encode('hhhhh'), completion: tok.encode('a') },
    { prompt: tok.encode('qrs'), completion: tok.encode('tsrq') },
  ],
};
const lengths = batch.sequences.map((s) => s.completion.length);

/** Teacher top-k rows: distinct ids, probabilities with total mass `mass` (< 1 leaves a tail). */
export function topK(k: number, seed: number, mass = 0.8) {
  const rng = new Rng(seed);
  const V = tok.vocabSize;
  const ids = lengths.map((T) => {
    const out = new Int32Array(T * k);
    for (let t = 0; t < T; t++) rng.shuffle(Array.from({ length: V }, (_, v) => v)).slice(0, k).forEach((id, j) => (out[t * k + j] = id));
    return out;
  });
  const probs = lengths.map((T) => {
    const out = new Float32Array(T * k);
    for (let t = 0; t < T; t++) {
      const raw = Array.from({ length: k }, () => 0.1 + rng.next());
      const s = raw.reduce((a, b) => a + b, 0);
      raw.forEach((x, j) => (out[t * k + j] = (mass * x) / s));
    }
    return out;
  });
  return { k, targetIds: ids, targetProbs: probs };
}

export const perToken = (f: (i: number, t: number) => number) => lengths.map((T, i) => Float32Array.from({ length: T }, (_, t) => f(i, t)));
const mask = perToken((i, t) => ((i + t) % 4 === 3 ? 0 : 1));
const groups = [0, 0, 1, 1];

/** One spec per term kind and option the remote path must reproduce. */
export function everyTerm(): Record<string, LossSpec> {
  const one = (t: LossTerm): LossSpec => ({ terms: [t] });
  const sce = (support: 'tail' | 'renorm', extra: Partial<LossTerm> = {}) => ({ kind: 'softCrossEntropy', weight: 1, support, ...topK(4, 7), tokenWeights: mask, ...extra }) as LossTerm;
  const div = (beta: number, support: 'tail' | 'renorm', extra = {}) => ({ kind: 'divergence', weight: 0.7, beta, support, ...topK(3, 8, 0.9), tokenWeights: mask, ...extra }) as LossTerm;
  const logpOld = perToken((i, t) => -1.5 - 0.2 * ((i * 3 + t) % 5));
  const adv = perToken((i, t) => ((i + 2 * t) % 3) - 1);
  const pg = (aggregation: 'token_mean' | 'seq_mean' | 'fixed_len', extra = {}) => ({ kind: 'policyGradient', weight: 1, advantages: adv, logpOld, clipLow: 0.2, clipHigh: 0.28, aggregation, ...extra }) as LossTerm;
  const fc = (o: object) => ({ lambdaFc: 0.5, gamma: 0.9, baseline: 'group_position', standardize: false, groups, ...o });
  return {
    'softCE tail': one(sce('tail')),
    'softCE renorm': one(sce('renorm')),
    'softCE tail, whole-vocabulary-scale k': one({ kind: 'softCrossEntropy', weight: 1, support: 'tail', ...topK(12, 3, 0.97), tokenWeights: mask }),
    'softCE + future credit (group baseline)': one(sce('tail', { futureCredit: fc({}) } as Partial<LossTerm>)),
    'softCE + future credit (batch baseline, standardised, ratio clip)': one(sce('renorm', { futureCredit: fc({ baseline: 'batch', standardize: true, logpOld, clip: { epsLow: 0.2, epsHigh: 0.2 } }) } as Partial<LossTerm>)),
    'forward KL (JSD beta 0)': one(div(0, 'tail')),
    'JSD beta 0.5': one(div(0.5, 'tail')),
    'JSD beta 0.5 renorm': one(div(0.5, 'renorm')),
    'reverse KL (JSD beta 1)': one(div(1, 'tail')),
    'SDPO clipped importance weights': one(div(0.5, 'tail', { isClip: 1.1, logpOld })),
    'policy gradient token_mean': one(pg('token_mean')),
    'policy gradient seq_mean with masks': one(pg('seq_mean', { tokenWeights: mask })),
    'policy gradient fixed_len + k3 KL': one(pg('fixed_len', { klBeta: 0.05, logpRef: perToken((i, t) => -2 + 0.1 * t) })),
    'cross-entropy': one({ kind: 'crossEntropy', weight: 1, tokenWeights: mask }),
    'several terms at once': { terms: [sce('tail'), div(0.5, 'renorm'), pg('token_mean', { klBeta: 0.1, logpRef: logpOld }), { kind: 'crossEntropy', weight: 0.3, tokenWeights: mask }] },
  };
}

export function gradsOf(be: LocalBackend): Map<string, Float32Array> {
  return new Map([...be.model.params].filter(([, p]) => p.grad).map(([n, p]) => [n, Float32Array.from(p.grad!)]));
}

/** Largest |a - b| relative to the largest |a| over every parameter. */
export function gradGap(a: Map<string, Float32Array>, b: Map<string, Float32Array>): { gap: number; scale: number } {
  let gap = 0, scale = 0;
  for (const [n, ga] of a) {
    const gb = b.get(n);
    if (!gb) throw new Error(`no gradient for ${n}`);
    for (let i = 0; i < ga.length; i++) {
      gap = Math.max(gap, Math.abs(ga[i] - gb[i]));
      scale = Math.max(scale, Math.abs(ga[i]));
    }
  }
  return { gap, scale };
}

import { attachLora } from '../../../src/nn/lora.ts';
import { serve, type RunningServer, type ServeOptions } from '../../../src/server/server.ts';
import type { ServedModel } from '../../../src/server/engine.ts';
import { TinkerBackend, type TinkerConnectOptions } from '../../../src/backends/tinker/backend.ts';

export const LORA = { rank: 2, alpha: 16, seed: 5 };
const ALL_TARGETS = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] as const;

/** The tiny model as a served model (weights of Transformer(CFG, Rng(seed))). */
export function servedTiny(seed = 1, name = 'tiny'): ServedModel {
  const t = new Transformer(CFG, new Rng(seed));
  return { name, config: CFG, weights: new Map([...t.params].map(([n, p]) => [n, Float32Array.from(p.data)])), tokenizer: tok, eosIds: [tok.eosId] };
}

/** The same LoRA run held locally: the reference the remote run must match. */
export function localLora(seed = 1) {
  const t = new Transformer(CFG, new Rng(seed));
  const lora = attachLora(t, { r: LORA.rank, alpha: LORA.alpha, targetModules: [...ALL_TARGETS] }, new Rng(LORA.seed));
  return { backend: new LocalBackend(t, { tokenizer: tok, lora, warn: () => {} }), lora };
}

export async function startTinker(opts: ServeOptions['tinker'] = {}, seed = 1): Promise<RunningServer> {
  return serve(servedTiny(seed), { port: 0, host: '127.0.0.1', tinker: { longPollMs: 200, ...opts } });
}

export function connect(server: RunningServer, extra: Partial<TinkerConnectOptions> = {}) {
  return TinkerBackend.connect({
    baseUrl: server.url, baseModel: 'tiny', tokenizer: tok, loraRank: LORA.rank, seed: LORA.seed, log: () => {},
    ...extra, http: { backoffMs: 1, ...extra.http },
  });
}

/** The server-side adapters of a remote model. */
export function remoteAdapters(server: RunningServer, modelId: string): Map<string, Float32Array> {
  const m = server.tinker!.service.models.get(modelId)!;
  return new Map([...m.lora.parameters()].map(([n, p]) => [n, Float32Array.from(p.data)]));
}

export function adapterGap(a: Map<string, Float32Array>, b: Map<string, { data: Float32Array }> | Map<string, Float32Array>): number {
  let gap = 0;
  for (const [n, x] of a) {
    const y0 = b.get(n);
    if (!y0) throw new Error(`no adapter ${n}`);
    const y = y0 instanceof Float32Array ? y0 : y0.data;
    for (let i = 0; i < x.length; i++) gap = Math.max(gap, Math.abs(x[i] - y[i]));
  }
  return gap;
}
