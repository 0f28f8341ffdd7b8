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
import { sampleSteps } from '../inference/sampler.ts';
import { logSumExp } from '../inference/sampling.ts';
import type { WeightMap } from '../inference/weights.ts';
import type { ChatTemplate } from '../models/chat-template.ts';
import { describeTokenizer, loadModelFolder } from '../models/folder.ts';
import type { Tokenizer } from '../models/tokenizer.ts';
import type { ModelConfig } from '../nn/config.ts';
import { Rng } from '../util/rng.ts';
import { Batcher } from './batcher.ts';
import { SampleQueue, type SampleListener } from './sample-queue.ts';

export interface ServedModel {
  /** The name clients pass as "model". */
  name: string;
  config: ModelConfig;
  weights: WeightMap;
  tokenizer: Tokenizer;
  chatTemplate?: ChatTemplate;
  /** Ids that end generation by default (the tokenizer's eos and generation_config's). */
  eosIds: number[];
  /** Stop strings used when a request names none (generation_config.json stop_strings, or --stop). */
  stopStrings?: string[];
  /** Which tokenizer file was loaded, for the start-up line. */
  tokenizerNote?: string;
}

/** Log-prob of the token at one position, its rank in the vocabulary (1 = most likely), and the top N. */
export interface PositionLogprobs {
  logprob: number;
  rank: number;
  topIds: number[];
  topLogprobs: number[];
}

export interface PositionRequest {
  ids: number[];
  /** First position to report (>= 1: position 0 has no context). */
  from: number;
  topN: number;
}

/** Budgets of one teacher-forced pass: padded tokens, and logits kept (floats; 256 MB). */
const TOKENS_PER_PASS = 16384;
const LOGITS_PER_PASS = 64 * 1024 * 1024;

export function servedModelFromFolder(dir: string, name?: string): ServedModel {
  const f = loadModelFolder(dir);
  const tokenizer = f.tokenizer!; // loadModelFolder requires one by default
  const weights = new Map([...f.weights].map(([n, t]) => [n, t.data]));
  const eosIds = [...new Set([tokenizer.eosId, ...f.generation.eosIds])];
  return {
    name: name ?? f.dir.split(/[\\/]/).pop()!, config: f.config, weights, tokenizer, chatTemplate: f.chatTemplate, eosIds,
    stopStrings: f.generation.stopStrings, tokenizerNote: describeTokenizer(f),
  };
}

export class Engine {
  readonly decoder: Decoder;
  private readonly rng: Rng;
  private readonly sampler: SampleQueue;
  private readonly scorer: Batcher<PositionRequest, PositionLogprobs[]>;

  constructor(
    readonly model: ServedModel,
    /** Seeds the draws of requests that carry no seed. */
    seed = 0,
  ) {
    this.decoder = new Decoder(model.config, model.weights, kernels());
    this.rng = new Rng(seed);
    const tok = model.tokenizer;
    this.sampler = new SampleQueue((reqs, cancelled) =>
      sampleSteps(this.decoder, reqs, {
        // As vLLM: special tokens are not part of the returned text.
        decode: this.decodeText,
        eosIds: model.eosIds,
        padId: tok.padId,
        rng: this.rng,
        cancelled,
      }),
    );
    this.scorer = new Batcher((items) => this.scoreAll(items));
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

  /** The text of sampled ids, as completions return it (special tokens left out). */
  readonly decodeText = (ids: number[]): string => this.decode(ids, true);

  /** Samples `reqs`; `listener` sees each step (streaming) and can cancel. */
  sample(reqs: SampleRequest[], listener?: SampleListener): Promise<Completion[]> {
    return this.sampler.submit(reqs, listener);
  }

  /**
   * Teacher-forced log-probs of ids[t] given ids[<t] for t in [from, ids.length), from >= 1,
   * with the top `topN` alternatives at each position (ties: lower id first, as the scorer).
   * Passes of concurrent requests are batched like sampling.
   */
  positionLogprobs(items: PositionRequest[]): Promise<PositionLogprobs[][]> {
    items.forEach((it) => {
      if (it.from < 1) throw new Error('positionLogprobs: the first token has no context (from must be >= 1)');
    });
    return this.scorer.submit(items);
  }

  /** Sequences sorted by length and cut into left-padded batches within the budgets. */
  private scoreAll(items: PositionRequest[]): PositionLogprobs[][] {
    const out: PositionLogprobs[][] = items.map(() => []);
    const fed = (i: number) => items[i].ids.length - 1;
    const order = items.map((_, i) => i).filter((i) => items[i].from < items[i].ids.length).sort((a, b) => fed(a) - fed(b));
    const V = this.vocabSize;
    let chunk: number[] = [], rows = 0;
    const flush = () => {
      if (chunk.length) this.scoreChunk(items, chunk, out);
      chunk = [];
      rows = 0;
    };
    for (const i of order) {
      const n = items[i].ids.length - items[i].from;
      if (chunk.length && (fed(i) * (chunk.length + 1) > TOKENS_PER_PASS || (rows + n) * V > LOGITS_PER_PASS)) flush();
      chunk.push(i);
      rows += n;
    }
    flush();
    return out;
  }

  private scoreChunk(items: PositionRequest[], idx: number[], out: PositionLogprobs[][]): void {
    const V = this.vocabSize, K = this.decoder.k;
    const L = Math.max(...idx.map((i) => items[i].ids.length - 1));
    const cache = this.decoder.newCache(idx.length, L);
    const ids = new Int32Array(idx.length * L).fill(this.model.tokenizer.padId);
    const outRows: number[] = [];
    idx.forEach((i, b) => {
      // Row t-1 of a sequence predicts its token t; the last token is never fed.
      const seq = items[i].ids;
      cache.kvStart[b] = L - (seq.length - 1);
      ids.set(seq.slice(0, -1), b * L + cache.kvStart[b]);
      for (let t = items[i].from; t < seq.length; t++) outRows.push(b * L + cache.kvStart[b] + t - 1);
    });
    const logits = this.decoder.forward(ids, L, cache, outRows);
    const topN = Math.max(...idx.map((i) => items[i].topN));
    const kIds = new Int32Array(topN), kVals = new Float32Array(topN);
    let r = 0;
    for (const i of idx) {
      const { ids: seq, from, topN: want } = items[i];
      for (let t = from; t < seq.length; t++, r++) {
        const row = logits.subarray(r * V, (r + 1) * V);
        const lse = logSumExp(row);
        const own = row[seq[t]];
        let above = 0;
        for (let j = 0; j < V; j++) if (row[j] > own) above++;
        const topIds: number[] = [], topLogprobs: number[] = [];
        if (want > 0) {
          K.topk(row, 1, V, topN, kIds, kVals);
          for (let j = 0; j < want; j++) {
            topIds.push(kIds[j]);
            topLogprobs.push(kVals[j] - lse);
          }
        }
        out[i].push({ logprob: own - lse, rank: above + 1, topIds, topLogprobs });
      }
    }
  }
}
