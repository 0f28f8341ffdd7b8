/**
 * Loading a Hugging Face folder of SmolLM-135M's shape (134.5M parameters) from disk: the
 * time from loadModelFolder to a model ready to sample. Target: under 2 s.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchSection } from '../section.ts';
import { saveModelFolder } from '../../src/models/folder.ts';
import { CharTokenizer } from '../../src/models/char-tokenizer.ts';
import { loadTransformer } from '../../src/models/transformer-io.ts';
import { parameterShapes } from '../../src/nn/transformer.ts';
import { SMOLLM_135M_SHAPE } from '../../src/nn/presets.ts';
import { Rng } from '../../src/util/rng.ts';

const section: BenchSection = {
  name: 'load',
  order: 40,
  async run(ctx) {
    const dir = mkdtempSync(join(tmpdir(), 'distil-load-'));
    const out: Record<string, number | null> = {};
    try {
      const c = SMOLLM_135M_SHAPE;
      const rng = new Rng(0);
      const weights = new Map(parameterShapes(c).map(([name, shape]) => {
        const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
        for (let i = 0; i < data.length; i += 97) data[i] = rng.next() - 0.5; // sparse fill: content does not matter
        return [name, { shape, data }] as const;
      }));
      const tok = new CharTokenizer('abcdefghijklmnopqrstuvwxyz');
      for (const dtype of ['F32', 'BF16'] as const) {
        const folder = join(dir, dtype);
        ctx.note(`load: writing a ${dtype} folder of SmolLM-135M's shape`);
        saveModelFolder(folder, { config: c, weights, tokenizer: tok, dtype });
        const times: number[] = [];
        for (let i = 0; i < (ctx.quick ? 1 : 3); i++) {
          const t0 = performance.now();
          loadTransformer(folder);
          times.push((performance.now() - t0) / 1000);
        }
        times.sort((a, b) => a - b);
        const s = times[Math.floor(times.length / 2)];
        ctx.record({ section: 'load', what: `SmolLM-135M shape, ${dtype} safetensors -> Transformer`, seconds: +s.toFixed(3), target_s: 2 });
        out[`load_135m_${dtype.toLowerCase()}_s`] = s;
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    return out;
  },
};
export default section;
