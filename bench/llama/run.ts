/**
 * llama.cpp on the sampling section's weights and loop: writes the GGUF, checks that
 * llama.cpp reproduces distil's logits, then times generation with 1 and 2 threads (the faster
 * is kept, like PyTorch's configurations) in F32 and, for what lower precision buys, in BF16 and
 * Q8_0 made by llama.cpp's own quantizer from the same file.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchContext } from '../section.ts';
import type { ModelConfig } from '../../src/nn/config.ts';
import { writeLlamaGguf } from './gguf.ts';
import { installLlama, NODE_LLAMA_CPP_VERSION, type LlamaInstall } from './install.ts';

export type LlamaWeights = 'f32' | 'bf16' | 'q8_0';
const FTYPE: Record<Exclude<LlamaWeights, 'f32'>, number> = { bf16: 32, q8_0: 7 };

export interface LlamaMeasure { key: string; batch: number; prompt: number; new: number; reps: number }
/** Seconds per measurement key and weight type, and the thread count that gave each. */
export interface LlamaResult { times: Record<LlamaWeights, Record<string, number>>; threads: Record<string, number> }

let install: LlamaInstall | string | undefined;
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

function drive(inst: LlamaInstall, args: string[], timeoutMs = 30 * 60_000): string {
  const out = execFileSync(inst.driver, args, {
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 28, timeout: timeoutMs,
    env: { ...process.env, DISTIL_LLAMA_LIB_DIR: inst.libDir },
  });
  return out.trim().split('\n').pop()!;
}

/**
 * `checkIds` [B][T] with distil's logits `ours` for the last position (prefill T-1, decode 1).
 * Returns null (after a note saying why) when llama.cpp is not available or disagrees.
 */
export function runLlama(ctx: BenchContext, c: ModelConfig, w: Map<string, Float32Array>, measure: LlamaMeasure[],
  checkIds: number[][], ours: Float32Array): LlamaResult | null {
  if (process.env.DISTIL_BENCH_NO_LLAMA === '1') return null;
  install ??= installLlama(repoRoot, ctx.note);
  if (typeof install === 'string') {
    ctx.note(`llama.cpp: not measured: ${install}`);
    return null;
  }
  const inst = install;
  const dir = mkdtempSync(join(tmpdir(), 'distil-bench-llama-'));
  try {
    const f32 = join(dir, 'model-f32.gguf');
    writeLlamaGguf(f32, c, w, c.maxPositions);
    const check = drive(inst, ['check', f32, '2', String(checkIds.length), String(checkIds[0].length), ...checkIds.flat().map(String)]).split(' ').map(Number);
    let maxDiff = 0, maxAbs = 0;
    ours.forEach((v, i) => {
      maxDiff = Math.max(maxDiff, Math.abs(v - check[i]));
      maxAbs = Math.max(maxAbs, Math.abs(v));
    });
    if (check.length !== ours.length || !(maxDiff <= 1e-3 * Math.max(1, maxAbs))) {
      ctx.note(`llama.cpp: disagrees with distil's logits (max difference ${maxDiff}, ${check.length} vs ${ours.length} values); not used`);
      return null;
    }
    ctx.note(`llama.cpp (node-llama-cpp ${NODE_LLAMA_CPP_VERSION}'s prebuilt library): F32 logits agree with distil's to ${maxDiff.toExponential(1)}`);
    const files: Record<LlamaWeights, string> = { f32, bf16: join(dir, 'model-bf16.gguf'), q8_0: join(dir, 'model-q8_0.gguf') };
    for (const t of ['bf16', 'q8_0'] as const) drive(inst, ['quantize', f32, files[t], String(FTYPE[t])]);
    const times = { f32: {}, bf16: {}, q8_0: {} } as LlamaResult['times'];
    const threads: Record<string, number> = {};
    for (const m of measure) {
      for (const t of ['f32', 'bf16', 'q8_0'] as const) {
        for (const n of [1, 2]) {
          const s = Number(drive(inst, ['sample', files[t], String(n), String(m.batch), String(m.prompt), String(m.new), String(m.reps)]).split(' ')[0]);
          ctx.note(`llama.cpp ${t} ${n}t ${m.key}: ${s.toFixed(3)} s`);
          if (times[t][m.key] === undefined || s < times[t][m.key]) {
            times[t][m.key] = s;
            if (t === 'f32') threads[m.key] = n;
          }
        }
      }
    }
    return { times, threads };
  } catch (e) {
    const err = e as Error & { stderr?: string };
    ctx.note(`llama.cpp: failed: ${(err.stderr || err.message).trim().split('\n').slice(-3).join(' ')}`);
    return null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
