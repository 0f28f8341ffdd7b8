/**
 * distil's sampling against the PyTorch reference, interleaved: the sampling section's loop
 * (16-token prompt, NEW new tokens at temperature 1 over the full vocabulary, prompt included)
 * on the same random weights, distil in this process and bench/torch/sample.py in each given
 * configuration as a child, in turn, PAIRS times; each side reports the median of REPS runs after
 * a warm-up, timed inside its own process. On a shared machine the pairs see the same load, so
 * their ratio is the number to quote. A developer tool (not a bench section):
 *   node --import tsx bench/ab_torch_sample.ts [reference|135m] [batch] [pairs] [reps] [new] [configs, e.g. static/1,hf/1]
 * A config `variant/threads/1` runs OpenBLAS on one thread (PyTorch wholly on one core; compare
 * with distil under OMP_NUM_THREADS=1); otherwise OpenBLAS gets 2, as in the sampling section.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadLine, median, randomPromptSampler, timeSampling } from './common.ts';
import { randomWeights } from './sections/sampling.ts';
import { detectTorch, runPythonJson } from './torch.ts';
import { kernels } from '../src/engine/kernels/index.ts';
import { Decoder } from '../src/inference/decoder.ts';
import { REFERENCE_MODEL, SMOLLM_135M_SHAPE } from '../src/nn/presets.ts';
import { parameterShapes } from '../src/nn/transformer.ts';

const [which = 'reference', bArg = '32', pArg = '3', rArg = '3', nArg = '64', cArg = 'static/1,hf/1'] = process.argv.slice(2);
const B = Number(bArg), PAIRS = Number(pArg), REPS = Number(rArg), NEW = Number(nArg), PROMPT = 16;
const c = which === '135m' ? SMOLLM_135M_SHAPE : REFERENCE_MODEL;
const python = detectTorch();
if (!python) throw new Error('ab_torch_sample: PyTorch is not installed for /usr/bin/python3');
const w = randomWeights(c, 1);
const shapes = parameterShapes(c);
const dir = mkdtempSync(join(tmpdir(), 'distil-ab-torch-'));
const file = join(dir, 'weights.bin');
const flat = new Float32Array(shapes.reduce((a, [, s]) => a + s.reduce((x, y) => x * y, 1), 0));
let off = 0;
for (const [name] of shapes) {
  flat.set(w.get(name)!, off);
  off += w.get(name)!.length;
}
writeFileSync(file, new Uint8Array(flat.buffer));

const gen = randomPromptSampler(new Decoder(c, w, kernels()), B, PROMPT);
const distil = (): number => timeSampling(gen, REPS, NEW).wall;
const script = fileURLToPath(new URL('./torch/sample.py', import.meta.url));
const torch = (variant: string, threads: number, blas = '2'): number => {
  const job = { config: c, weights: file, names: shapes.map((s) => s[0]), shapes: shapes.map((s) => s[1]), variant, threads,
    measure: [{ key: 't', kind: 'sample', batch: B, prompt: PROMPT, new: NEW, reps: REPS }] };
  const r = runPythonJson<{ t: number }>(python, script, job, { env: { OPENBLAS_NUM_THREADS: blas, OMP_NUM_THREADS: String(threads) }, timeoutMs: 60 * 60_000 });
  return r.t;
};

console.log(`${which}, batch ${B}, ${PROMPT} + ${NEW} tokens, median of ${REPS} per side, PyTorch ${cArg}; load ${loadLine()}`);
const ratios: number[] = [];
try {
  for (let p = 0; p < PAIRS; p++) {
    const d = distil();
    let best = Infinity, bestName = '';
    const seen: string[] = [];
    for (const cfg of cArg.split(',')) {
      const [variant, threads, blas] = cfg.split('/');
      const t = torch(variant, Number(threads), blas);
      seen.push(`${cfg} ${t.toFixed(3)} s (${((B * NEW) / t).toFixed(0)} tok/s)`);
      if (t < best) [best, bestName] = [t, cfg];
    }
    ratios.push(best / d);
    console.log(`pair ${p + 1}: distil ${d.toFixed(3)} s (${((B * NEW) / d).toFixed(0)} tok/s); PyTorch ${seen.join(', ')}; speed ratio ${(best / d).toFixed(2)} (vs ${bestName}); load ${loadLine()}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(`speed ratio distil / PyTorch (PyTorch time / distil time): median ${median(ratios).toFixed(2)}, range ${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}`);
