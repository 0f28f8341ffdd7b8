/**
 * Inference speed: KV-cache sampling (64 new tokens after a 16-token prompt) at batch 1 and
 * 32, and teacher-forced scoring with top-64, for the reference model and a model of
 * SmolLM-135M's shape; PyTorch runs the same loop on the same weights when available.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchContext, BenchSection } from '../section.ts';
import { median, randomPromptSampler } from '../common.ts';
import { runPythonJson } from '../torch.ts';
import { runLlama, type LlamaResult } from '../llama/run.ts';
import { kernels } from '../../src/engine/kernels/index.ts';
import { Decoder } from '../../src/inference/decoder.ts';
import { score } from '../../src/inference/scorer.ts';
import type { ModelConfig } from '../../src/nn/config.ts';
import { REFERENCE_MODEL, SMOLLM_135M_SHAPE } from '../../src/nn/presets.ts';
import { parameterShapes } from '../../src/nn/transformer.ts';
import { Rng } from '../../src/util/rng.ts';

const PROMPT = 16, NEW = 64, SCORE_K = 64;

export function randomWeights(c: ModelConfig, seed: number): Map<string, Float32Array> {
  const rng = new Rng(seed);
  const m = new Map<string, Float32Array>();
  for (const [name, shape] of parameterShapes(c)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const w = new Float32Array(n);
    if (shape.length === 1) w.fill(1);
    else for (let i = 0; i < n; i++) w[i] = (rng.next() - 0.5) * 0.04; // uniform: cheaper than normal for 135M draws
    m.set(name, w);
  }
  return m;
}

function timeIt(fn: () => void, reps: number, warm: () => void = fn): number {
  warm();
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    ts.push((performance.now() - t0) / 1000);
  }
  return median(ts);
}

interface Measure { key: string; kind: 'sample' | 'score'; batch: number; prompt?: number; new?: number; len?: number; k?: number; reps: number }

/** One PyTorch configuration: which implementation of bench/torch/sample.py and how many torch threads. */
interface TorchConfig { variant: 'hf' | 'static'; threads: number }
const TORCH_CONFIGS: TorchConfig[] = [
  { variant: 'hf', threads: 1 }, { variant: 'hf', threads: 2 },
  { variant: 'static', threads: 1 }, { variant: 'static', threads: 2 },
];
const configName = (t: TorchConfig) => `${t.variant}/${t.threads}t`;

/** Small token batch whose last-position logits every PyTorch configuration must reproduce. */
const CHECK_B = 2, CHECK_T = 9;

/** distil's logits for the check batch: prefill all but the last token, then one cached decode step. */
function ourCheckLogits(dec: Decoder, ids: number[][]): Float32Array {
  const cache = dec.newCache(CHECK_B, CHECK_T);
  dec.forward(Int32Array.from(ids.flatMap((r) => r.slice(0, -1))), CHECK_T - 1, cache, [0]);
  return dec.forward(Int32Array.from(ids.map((r) => r[CHECK_T - 1])), 1, cache, [0, 1]);
}

/**
 * Runs every PyTorch configuration on the same weights and keeps, per measurement, the fastest:
 * the reference is PyTorch at its best. Each configuration first reproduces distil's logits on
 * a check batch (so all of them compute the same model). Returns seconds per key and which
 * configuration gave each.
 */
function runTorch(ctx: BenchContext, c: ModelConfig, w: Map<string, Float32Array>, measure: Measure[], checkIds: number[][], ours: Float32Array):
  { times: Record<string, number>; by: Record<string, string> } | null {
  if (!ctx.torchPython) return null;
  const dir = mkdtempSync(join(tmpdir(), 'distil-bench-'));
  try {
    const shapes = parameterShapes(c);
    const file = join(dir, 'weights.bin');
    const total = shapes.reduce((a, [, s]) => a + s.reduce((x, y) => x * y, 1), 0);
    const flat = new Float32Array(total);
    let off = 0;
    for (const [name] of shapes) {
      flat.set(w.get(name)!, off);
      off += w.get(name)!.length;
    }
    writeFileSync(file, new Uint8Array(flat.buffer));
    const times: Record<string, number> = {}, by: Record<string, string> = {};
    for (const tc of TORCH_CONFIGS) {
      const job = { config: c, weights: file, names: shapes.map((s) => s[0]), shapes: shapes.map((s) => s[1]), measure, check_ids: checkIds, ...tc };
      let r: Record<string, number> & { check_logits: number[] };
      try {
        r = runPythonJson(ctx.torchPython, new URL('../torch/sample.py', import.meta.url).pathname, job, {
          env: { OPENBLAS_NUM_THREADS: '2', OMP_NUM_THREADS: String(tc.threads) }, timeoutMs: 30 * 60_000,
        });
      } catch (e) {
        ctx.note(`sampling: PyTorch ${configName(tc)} failed: ${(e as Error).message.slice(-500)}`);
        continue;
      }
      let maxDiff = 0, maxAbs = 0;
      r.check_logits.forEach((v, i) => {
        maxDiff = Math.max(maxDiff, Math.abs(v - ours[i]));
        maxAbs = Math.max(maxAbs, Math.abs(ours[i]));
      });
      if (!(maxDiff <= 1e-3 * Math.max(1, maxAbs))) {
        ctx.note(`sampling: PyTorch ${configName(tc)} disagrees with distil's logits (max difference ${maxDiff}); not used`);
        continue;
      }
      ctx.note(`sampling: PyTorch ${configName(tc)}: ${measure.map((m) => `${m.key} ${r[m.key].toFixed(3)} s`).join(', ')} (logits agree to ${maxDiff.toExponential(1)})`);
      for (const m of measure) {
        if (times[m.key] === undefined || r[m.key] < times[m.key]) {
          times[m.key] = r[m.key];
          by[m.key] = configName(tc);
        }
      }
    }
    return Object.keys(times).length ? { times, by } : null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * reps: timed runs per measurement (the median is kept), batch 1 and batch 32 alike; each side
 * warms up with a short run first. The reference model's runs take a fraction of a second, so it
 * gets enough of them for the median to be past the first, colder ones (JIT, caches, thread pools
 * of every side); the 135M shape's runs take seconds each.
 */
async function benchModel(ctx: BenchContext, label: string, c: ModelConfig, reps: number) {
  ctx.note(`sampling: building ${label} (${c.numLayers} layers, d ${c.hiddenSize}, vocab ${c.vocabSize})`);
  const w = randomWeights(c, 1);
  const dec = new Decoder(c, w, kernels());
  const rng = new Rng(0);
  const prompt = (): number[] => Array.from({ length: PROMPT }, () => rng.int(c.vocabSize));
  const samplers = new Map([1, 32].map((B) => [B, randomPromptSampler(dec, B, PROMPT)]));
  const gen = (B: 1 | 32, maxTokens = NEW) => () => samplers.get(B)!(maxTokens);
  // Warm-up runs a short generation: a full one would double the time of the large model.
  const warm = (B: 1 | 32) => gen(B, 4);
  const scoreB = 32, scoreLen = PROMPT + NEW;
  const scoreReqs = Array.from({ length: scoreB }, () => ({ prompt: prompt(), completion: Array.from({ length: NEW }, () => rng.int(c.vocabSize)), topK: SCORE_K }));
  const ours = {
    b1: timeIt(gen(1), reps, warm(1)),
    b32: timeIt(gen(32), reps, warm(32)),
    score: timeIt(() => score(dec, scoreReqs, { padId: 0 }), reps, () => score(dec, scoreReqs.slice(0, 2), { padId: 0 })),
  };
  const checkRng = new Rng(7);
  const checkIds = Array.from({ length: CHECK_B }, () => Array.from({ length: CHECK_T }, () => checkRng.int(c.vocabSize)));
  const checkLogits = ourCheckLogits(dec, checkIds);
  const torchRun = runTorch(ctx, c, w, [
    { key: 'b1', kind: 'sample', batch: 1, prompt: PROMPT, new: NEW, reps },
    { key: 'b32', kind: 'sample', batch: 32, prompt: PROMPT, new: NEW, reps },
    { key: 'score', kind: 'score', batch: scoreB, len: scoreLen, k: SCORE_K, reps },
  ], checkIds, checkLogits);
  const torch = torchRun?.times ?? null;
  const llama: LlamaResult | null = runLlama(ctx, c, w, [
    { key: 'b1', batch: 1, prompt: PROMPT, new: NEW, reps },
    { key: 'b32', batch: 32, prompt: PROMPT, new: NEW, reps },
  ], checkIds, checkLogits);
  const tokS = (s: number, B: number) => (B * NEW) / s;
  const rows = {
    b1: { ours: tokS(ours.b1, 1), torch: torch ? tokS(torch.b1, 1) : null },
    b32: { ours: tokS(ours.b32, 32), torch: torch ? tokS(torch.b32, 32) : null },
    score: { ours: (scoreB * scoreLen) / ours.score, torch: torch ? (scoreB * scoreLen) / torch.score : null },
  };
  const llamaTokS = (t: 'f32' | 'bf16' | 'q8_0', what: string) => {
    const s = llama?.times[t][what];
    return s === undefined ? null : tokS(s, what === 'b1' ? 1 : 32);
  };
  const llamaRows = {
    b1: { f32: llamaTokS('f32', 'b1'), bf16: llamaTokS('bf16', 'b1'), q8_0: llamaTokS('q8_0', 'b1') },
    b32: { f32: llamaTokS('f32', 'b32'), bf16: llamaTokS('bf16', 'b32'), q8_0: llamaTokS('q8_0', 'b32') },
  };
  const round = (v: number | null) => (v === null ? null : Math.round(v));
  for (const [what, r] of Object.entries(rows)) {
    const l = what === 'score' ? null : llamaRows[what as 'b1' | 'b32'];
    ctx.record({
      section: 'sampling', model: label, what: what === 'score' ? 'score tok/s (32 x 80, top-64)' : `sample tok/s batch ${what.slice(1)}`,
      distil: Math.round(r.ours), torch: r.torch === null ? null : Math.round(r.torch),
      ratio: r.torch === null ? null : +(r.ours / r.torch).toFixed(2),
      torch_config: torchRun?.by[what] ?? null,
      llama_f32: round(l?.f32 ?? null),
      ratio_llama: l?.f32 ? +(r.ours / l.f32).toFixed(2) : null,
      llama_bf16: round(l?.bf16 ?? null),
      llama_q8_0: round(l?.q8_0 ?? null),
      llama_threads: l ? llama?.threads[what] ?? null : null,
    });
  }
  return { ...rows, llama: llamaRows };
}

const section: BenchSection = {
  name: 'sampling',
  order: 30,
  async run(ctx) {
    const ref = await benchModel(ctx, 'reference', REFERENCE_MODEL, ctx.quick ? 1 : 9);
    // DISTIL_BENCH_SMALL_ONLY=1 skips the 135M shape (minutes on 2 busy cores, most of it PyTorch's).
    const big = process.env.DISTIL_BENCH_SMALL_ONLY === '1' ? null : await benchModel(ctx, 'smollm-135m-shape', SMOLLM_135M_SHAPE, ctx.quick ? 1 : 2);
    const ratio = (r: { ours: number; torch: number | null }) => (r.torch === null ? null : r.ours / r.torch);
    const vsLlama = (ours: number, llama: number | null) => (llama === null ? null : ours / llama);
    return {
      sample_tok_s: ref.b32.ours,
      torch_sample_tok_s: ref.b32.torch,
      sample_ratio: ratio(ref.b32),
      sample_ratio_b1: ratio(ref.b1),
      sample_tok_s_b1: ref.b1.ours,
      torch_sample_tok_s_b1: ref.b1.torch,
      score_tok_s: ref.score.ours,
      torch_score_tok_s: ref.score.torch,
      sample_135m_tok_s: big ? big.b32.ours : null,
      sample_135m_ratio: big ? ratio(big.b32) : null,
      sample_135m_ratio_b1: big ? ratio(big.b1) : null,
      llama_sample_tok_s: ref.llama.b32.f32,
      sample_llama_ratio: vsLlama(ref.b32.ours, ref.llama.b32.f32),
      sample_llama_ratio_b1: vsLlama(ref.b1.ours, ref.llama.b1.f32),
      llama_135m_sample_tok_s: big ? big.llama.b32.f32 : null,
      sample_135m_llama_ratio: big ? vsLlama(big.b32.ours, big.llama.b32.f32) : null,
      sample_135m_llama_ratio_b1: big ? vsLlama(big.b1.ours, big.llama.b1.f32) : null,
      llama_q8_0_sample_tok_s: ref.llama.b32.q8_0,
      llama_135m_q8_0_sample_tok_s: big ? big.llama.b32.q8_0 : null,
    };
  },
};
export default section;
