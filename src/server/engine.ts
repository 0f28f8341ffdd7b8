/**
 * The model behind the server: a KV-cache decoder over the folder's weights, its tokenizer and
 * chat template. Sampling goes through src/inference's batched sampler (through a Batcher, so
 * concurrent requests share passes); prompt and echo log-probs come from teacher-forced
 * passes that keep the full next-token row, so they can report the rank of a token as well as
 * the top-N alternatives.
 */
import { kernels } from '../engine/kernels/index.ts';
import type { Completion, SampleRequest } from '../backends/types.ts';
import { Decoder } from '../inference/decoder.ts';
import { sample } from '../inference/sampler.ts';
import { logSumExp } from '../inference/sampling.ts';
import type { WeightMap } from '../inference/weights.ts';
import type { ChatTemplate } from '../models/chat-template.ts';
import { loadModelFolder } from '../models/folder.ts';
import type { Tokenizer } from '../models/tokenizer.ts';
import type { ModelConfig } from '../nn/config.ts';
import { Rng } from '../util/rng.ts';
import { Batcher } from './batcher.ts';

export interface ServedModel {
  /** The name clients pass as "model". */
  name: string;
  config: ModelConfig;
  weights: WeightMap;
  tokenizer: Tokenizer;
  chatTemplate?: ChatTemplate;
  /** Ids that end generation by default (the tokenizer's eos and generation_config's). */
  eosIds: number[];
}

/** Log-prob of the token at one position, its rank in the vocabulary (1 = most likely), and the top N. */
export interface PositionLogprobs {
  logprob: number;
  rank: number;
  topIds: number[];
  topLogprobs: number[];
}

/** Positions per teacher-forced pass; bounds the logits kept at once to CHUNK x vocab floats. */
const CHUNK = 256;

export function servedModelFromFolder(dir: string, name?: string): ServedModel {
  const f = loadModelFolder(dir);
  const tokenizer = f.tokenizer!; // loadModelFolder requires one by default
  const weights = new Map([...f.weights].map(([n, t]) => [n, t.data]));
  const eosIds = [...new Set([tokenizer.eosId, ...f.generation.eosIds])];
  return { name: name ?? f.dir.split(/[\\/]/).pop()!, config: f.config, weights, tokenizer, chatTemplate: f.chatTemplate, eosIds };
}

export class Engine {
  readonly decoder: Decoder;
  private readonly rng: Rng;
  private readonly sampler: Batcher<SampleRequest, Completion>;

  constructor(
    readonly model: ServedModel,
    /** Seeds the draws of requests that carry no seed. */
    seed = 0,
  ) {
    this.decoder = new Decoder(model.config, model.weights, kernels());
    this.rng = new Rng(seed);
    const tok = model.tokenizer;
    this.sampler = new Batcher((reqs) =>
      sample(this.decoder, reqs, {
        // As vLLM: special tokens are not part of the returned text.
        decode: (ids) => this.decode(ids, true),
        eosIds: model.eosIds,
        padId: tok.padId,
        rng: this.rng,
      }),
    );
  }

  /**
   * Text of ids. Ids the model has but the tokenizer does not (embedding rows padded past the
   * vocabulary, as in Qwen) have no text and are left out instead of failing the request.
   */
  decode(ids: readonly number[], skipSpecialTokens = false): string {
    const tok = this.model.tokenizer;
    return tok.decode(ids.filter((id) => id < tok.vocabSize), { skipSpecialTokens });
  }

  /** One token's text, as OpenAI-style logprobs show it. */
  tokenText(id: number): string {
    return this.decode([id]);
  }

  get vocabSize(): number {
    return this.model.config.vocabSize;
  }

  get maxPositions(): number {
    return this.model.config.maxPositions;
  }

  sample(reqs: SampleRequest[]): Promise<Completion[]> {
    return this.sampler.submit(reqs);
  }

  /**
   * Teacher-forced log-probs of ids[t] given ids[<t] for t in [from, ids.length), from >= 1,
   * with the top `topN` alternatives at each position (ties: lower id first, as the scorer).
   */
  positionLogprobs(ids: number[], from: number, topN: number): PositionLogprobs[] {
    const n = ids.length;
    if (from < 1) throw new Error('positionLogprobs: the first token has no context (from must be >= 1)');
    if (from >= n) return [];
    const V = this.vocabSize, K = this.decoder.k;
    const cache = this.decoder.newCache(1, n - 1);
    const out: PositionLogprobs[] = [];
    const kIds = new Int32Array(topN), kVals = new Float32Array(topN);
    // Only ids[0 .. n-2] are fed: row t-1 predicts ids[t].
    for (let start = 0; start < n - 1; start += CHUNK) {
      const end = Math.min(n - 1, start + CHUNK);
      const rows: number[] = [];
      for (let r = Math.max(start, from - 1); r < end; r++) rows.push(r - start);
      const logits = this.decoder.forward(Int32Array.from(ids.slice(start, end)), end - start, cache, rows);
      rows.forEach((r, i) => {
        const row = logits.subarray(i * V, (i + 1) * V);
        const target = ids[start + r + 1];
        const lse = logSumExp(row);
        const t = row[target];
        let above = 0;
        for (let j = 0; j < V; j++) if (row[j] > t) above++;
        const topIds: number[] = [], topLogprobs: number[] = [];
        if (topN > 0) {
          K.topk(row, 1, V, topN, kIds, kVals);
          for (let j = 0; j < topN; j++) {
            topIds.push(kIds[j]);
            topLogprobs.push(kVals[j] - lse);
          }
        }
        out.push({ logprob: t - lse, rank: above + 1, topIds, topLogprobs });
      });
    }
    return out;
  }
}
