/**
 * How distil's cost grows with the work: sampling and training throughput against batch size,
 * sequence length and model size, for the scaling table in bench/README.md. A developer tool,
 * not a bench section (the large cells take minutes on a small machine):
 *   node --import tsx bench/scaling.ts [reference|135m] [sample|train] [cells...]
 * A cell is `b<batch>` (sampling: 16-token prompt + 64 new; training: 128 tokens per sequence)
 * or `t<length>` (sampling: a prompt of length - 64 tokens then 64 new at batch 8; training:
 * batch 8 of that length; `t<length>x<batch>` for another batch). Each cell runs once to warm
 * up, then REPS times (env DISTIL_SCALING_REPS, default 3); the medians of wall-clock and CPU
 * time are printed with the load average, whose level the numbers must be read with on a
 * shared machine.
 */
import { cpuMs, loadLine, median, randomPromptSampler } from './common.ts';
import { randomWeights } from './sections/sampling.ts';
import { crossEntropy, kernels } from '../src/engine/index.ts';
import { Decoder } from '../src/inference/decoder.ts';
import type { ModelConfig } from '../src/nn/config.ts';
import { AdamW } from '../src/nn/optim.ts';
import { REFERENCE_MODEL, SMOLLM_135M_SHAPE } from '../src/nn/presets.ts';
import { Transformer } from '../src/nn/transformer.ts';
import { Rng } from '../src/util/rng.ts';

const [which = 'reference', what = 'sample', ...cells] = process.argv.slice(2);
const REPS = Number(process.env.DISTIL_SCALING_REPS ?? 3);
// Positions enough for the longest cell (rotary embeddings have no learned limit).
const c: ModelConfig = { ...(which === '135m' ? SMOLLM_135M_SHAPE : REFERENCE_MODEL), maxPositions: 4096 };
const NEW = 64, PROMPT = 16;

/**
 * Median wall-clock and CPU seconds (all threads) of fn. Under load the wall clock mostly
 * measures the other processes; the CPU time is the work (with 2 threads, up to twice the wall
 * clock of an idle machine).
 */
const timed = (fn: () => void) => {
  fn();
  const ts: number[] = [], cs: number[] = [];
  for (let r = 0; r < REPS; r++) {
    const t0 = performance.now(), c0 = cpuMs();
    fn();
    cs.push((cpuMs() - c0) / 1000);
    ts.push((performance.now() - t0) / 1000);
  }
  return { wall: median(ts), cpu: median(cs) };
};
const parse = (cell: string) => {
  const m = /^(b|t)(\d+)(?:x(\d+))?$/.exec(cell);
  if (!m) throw new Error(`scaling: cell '${cell}' is not b<batch>, t<length> or t<length>x<batch>`);
  return m[1] === 'b' ? { batch: Number(m[2]), len: 0 } : { batch: Number(m[3] ?? 8), len: Number(m[2]) };
};

if (what === 'sample') {
  const w = randomWeights(c, 1);
  const dec = new Decoder(c, w, kernels());
  for (const cell of cells) {
    const { batch, len } = parse(cell);
    const prompt = len ? len - NEW : PROMPT;
    const gen = randomPromptSampler(dec, batch, prompt);
    const s = timed(() => gen(NEW));
    console.log(JSON.stringify({
      model: which, what: 'sample', batch, prompt, new: NEW, seconds: +s.wall.toFixed(3), cpu_seconds: +s.cpu.toFixed(3),
      new_tok_s: Math.round((batch * NEW) / s.wall), new_tok_per_cpu_s: Math.round((batch * NEW) / s.cpu), load: loadLine(),
    }));
  }
} else {
  const model = new Transformer(c, new Rng(0));
  const opt = new AdamW(model.params, { lr: 1e-4, weightDecay: 0.01 });
  const rng = new Rng(1);
  for (const cell of cells) {
    const { batch, len } = parse(cell);
    const T = len || 128;
    const ids = new Int32Array(batch * T).map(() => rng.int(c.vocabSize));
    const targets = new Int32Array(batch * T).map(() => rng.int(c.vocabSize));
    const s = timed(() => {
      opt.zeroGrad();
      const l = crossEntropy(model.forward(ids, batch, T), targets);
      l.backward();
      opt.step();
    });
    const rss = process.memoryUsage().rss / 2 ** 20;
    console.log(JSON.stringify({
      model: which, what: 'train', batch, seq: T, seconds: +s.wall.toFixed(3), cpu_seconds: +s.cpu.toFixed(3),
      tok_s: Math.round((batch * T) / s.wall), tok_per_cpu_s: Math.round((batch * T) / s.cpu), rss_mb: Math.round(rss), load: loadLine(),
    }));
  }
}
