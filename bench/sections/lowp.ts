/**
 * What lower-precision weights would buy distil's decode step: the prototype kernels of
 * bench/lowp/lowp.cc (f32 as distil's AVX-512 packed kernel, bf16 with VDPBF16PS, int8 with
 * VPDPBUSD) on every linear layer of one decode step of the reference model and of the 135M
 * shape, at batch 1 and 32, one thread, CPU time. Skipped (with a note) where g++ or the
 * AVX-512 BF16/VNNI instructions are missing.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchSection } from '../section.ts';
import type { ModelConfig } from '../../src/nn/config.ts';
import { REFERENCE_MODEL, SMOLLM_135M_SHAPE } from '../../src/nn/presets.ts';

/** The linear layers of one decode step: [N, K, how many per step]. */
function stepGemms(c: ModelConfig): [number, number, number][] {
  const d = c.hiddenSize, q = c.numHeads * c.headDim, kv = c.numKvHeads * c.headDim, L = c.numLayers;
  const shapes: [number, number, number][] = [[q, d, L], [kv, d, 2 * L], [d, q, L], [c.intermediateSize, d, 2 * L], [d, c.intermediateSize, L], [c.vocabSize, d, 1]];
  const merged = new Map<string, [number, number, number]>();
  for (const [n, k, times] of shapes) {
    const key = `${n}x${k}`;
    const m = merged.get(key);
    if (m) m[2] += times;
    else merged.set(key, [n, k, times]);
  }
  return [...merged.values()];
}

interface Row { M: number; N: number; K: number; f32_us: number; bf16_us: number; int8_us: number; bf16_err: number; int8_err: number }

const section: BenchSection = {
  name: 'lowp',
  order: 35,
  async run(ctx) {
    const flags = process.platform === 'linux' ? readFileSync('/proc/cpuinfo', 'utf8') : '';
    if (!/\bavx512_bf16\b/.test(flags) || !/\bavx512_vnni\b/.test(flags)) {
      ctx.note('lowp: this CPU lacks AVX-512 BF16 or VNNI; the prototype kernels are not measured');
      return {};
    }
    const dir = mkdtempSync(join(tmpdir(), 'distil-lowp-'));
    try {
      const bin = join(dir, 'lowp');
      execFileSync('g++', ['-O3', '-march=native', '-std=c++17', new URL('../lowp/lowp.cc', import.meta.url).pathname, '-o', bin], { stdio: ['ignore', 'ignore', 'pipe'] });
      const out: Record<string, number | null> = {};
      for (const [label, c] of [['reference', REFERENCE_MODEL], ['smollm-135m-shape', SMOLLM_135M_SHAPE]] as const) {
        for (const M of [1, 32]) {
          const gemms = stepGemms(c);
          const args = gemms.flatMap(([n, k]) => [M, n, k].map(String));
          const rows = execFileSync(bin, [...args, ctx.quick ? '0.05' : '0.3'], { encoding: 'utf8' }).trim().split('\n').map((l) => JSON.parse(l) as Row);
          const sum = { f32: 0, bf16: 0, int8: 0 };
          let bf16Err = 0, int8Err = 0;
          rows.forEach((r, i) => {
            const times = gemms[i][2];
            sum.f32 += times * r.f32_us;
            sum.bf16 += times * r.bf16_us;
            sum.int8 += times * r.int8_us;
            bf16Err = Math.max(bf16Err, r.bf16_err);
            int8Err = Math.max(int8Err, r.int8_err);
          });
          ctx.record({
            section: 'lowp', model: label, batch: M, gemms_per_step: gemms.reduce((a, g) => a + g[2], 0),
            f32_ms: +(sum.f32 / 1000).toFixed(3), bf16_ms: +(sum.bf16 / 1000).toFixed(3), int8_ms: +(sum.int8 / 1000).toFixed(3),
            bf16_speedup: +(sum.f32 / sum.bf16).toFixed(2), int8_speedup: +(sum.f32 / sum.int8).toFixed(2),
            bf16_max_rel_err: +bf16Err.toExponential(1), int8_max_rel_err: +int8Err.toExponential(1),
          });
          const key = `lowp_${label === 'reference' ? 'ref' : '135m'}_b${M}`;
          out[`${key}_bf16_speedup`] = sum.f32 / sum.bf16;
          out[`${key}_int8_speedup`] = sum.f32 / sum.int8;
        }
      }
      return out;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
export default section;
