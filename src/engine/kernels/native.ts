/**
 * Loads the C++ addon (native/build/distil.node) and adapts it to the Kernels interface.
 *
 * The addon takes positional arguments only (no option objects cross into C++), so this
 * file resolves every default and unpacks the argument objects; each method is one call.
 * A kernel the addon does not export (an older build, a kernel not yet ported) falls back
 * to the TypeScript reference, so a partial addon is still usable; `nativeMissing` lists them.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jsKernels, packedWeightsSize } from './js.ts';
import type { Kernels, Support } from './types.ts';

export type NativeLoad = { kernels: Kernels } | { error: string };

/** The addon's functions, by name (positional signatures as in native/src/ops_*.cc and gemm.cc). */
export type Addon = Record<string, ((...args: unknown[]) => unknown) | undefined>;

const addonPath = fileURLToPath(new URL('../../../native/build/distil.node', import.meta.url));
const failPath = fileURLToPath(new URL('../../../native/build/BUILD_FAILED.txt', import.meta.url));
const sourcesPath = fileURLToPath(new URL('../../../native/build/sources.sha256', import.meta.url));
const srcDir = fileURLToPath(new URL('../../../native/src/', import.meta.url));

/** sha256 of the addon's sources (.cc then .h, each sorted by name), as native/build.mjs records it. */
export function nativeSourcesHash(dir: string): string {
  const names = readdirSync(dir);
  const files = [...names.filter((f) => f.endsWith('.cc')).sort(), ...names.filter((f) => f.endsWith('.h')).sort()];
  const h = createHash('sha256');
  for (const f of files) h.update(readFileSync(join(dir, f)));
  return h.digest('hex');
}

/**
 * Why an addon must not be used although it loads: built from other sources than the ones
 * beside it (a pull without a rebuild). Such an addon can lack a kernel's new contract, e.g. a
 * return value the TypeScript side now reads, and then training silently skips every step.
 * Null when it matches, or when there are no sources to compare with (an installed package).
 */
export function staleAddon(dir: string, recorded: string): string | null {
  if (!existsSync(dir)) return null;
  const want = nativeSourcesHash(dir);
  const have = existsSync(recorded) ? readFileSync(recorded, 'utf8').trim() : '(no record)';
  return have === want ? null : `the native addon was built from other sources than ${dir} (run \`npm run build:native\` to rebuild it)`;
}

/** The addon's code of a support-closing mode (ops_loss.cc), -1 for an unknown one. */
const supportCode = (s: Support): number => (s === 'renorm' ? 0 : s === 'tail' ? 1 : s === 'full' ? 2 : -1);

/** Kernel names that the loaded addon lacks (served by the TypeScript reference). */
export let nativeMissing: string[] = [];
/** The loaded addon itself, for tests of functions outside the Kernels interface (expF64). */
export let nativeAddon: Addon | null = null;

function loadAddon(): Addon | string {
  if (!existsSync(addonPath)) {
    let why = `${addonPath} does not exist (run \`npm run build:native\`)`;
    if (existsSync(failPath)) why += `; the last build failed:\n${readFileSync(failPath, 'utf8').slice(0, 4000)}`;
    return why;
  }
  const stale = staleAddon(srcDir, sourcesPath);
  if (stale) return stale;
  try {
    return createRequire(import.meta.url)(addonPath) as Addon;
  } catch (e) {
    return `loading ${addonPath} failed: ${(e as Error).message}`;
  }
}

export function loadNativeKernels(): NativeLoad {
  const addon = loadAddon();
  if (typeof addon === 'string') return { error: addon };
  const { kernels, missing } = adaptAddon(addon);
  nativeMissing = missing;
  nativeAddon = addon;
  return { kernels };
}

/**
 * The Kernels view of an addon object: each method one positional call into it, and the
 * TypeScript reference for every function the addon lacks (listed in `missing`).
 */
export function adaptAddon(addon: Addon): { kernels: Kernels; missing: string[] } {
  // Plain property calls: the hot path costs one call into the addon and nothing else.
  const A = addon as Record<string, (...args: unknown[]) => unknown>;
  /**
   * n floats starting on a cache line. JavaScript's allocator places buffers on 16-byte
   * boundaries, and 64-byte loads from a buffer off a line boundary each touch two lines: the
   * decode step streams its packed weights so, and a run was measured 1.4x slower or not by
   * where its buffers happened to land (reference model, batch 1: 15 or 21-25 ms per process).
   */
  const alignedFloat32Array = (n: number): Float32Array => {
    if (typeof A.misalignment !== 'function') return new Float32Array(n);
    const buf = new Float32Array(n + 15);
    const skip = ((64 - (A.misalignment(buf) as number)) % 64) / 4;
    return buf.subarray(skip, skip + n);
  };
  const native: Kernels = {
    name: 'native',
    sgemm: (g) => {
      const { transA, transB, M, N, K } = g;
      A.sgemm(
        transA, transB, M, N, K, g.alpha ?? 1, g.a, g.lda ?? (transA ? M : K), g.b, g.ldb ?? (transB ? K : N),
        g.beta ?? 0, g.c, g.ldc ?? N, g.batch ?? 1, g.strideA ?? M * K, g.strideB ?? K * N, g.strideC ?? M * N,
      );
    },
    packWeights: (w, N, K, into) => {
      const out = into ?? alignedFloat32Array(packedWeightsSize(N, K));
      A.packWeights(w, N, K, out);
      return out;
    },
    linearPacked: (x, M, packed, N, K, out) => void A.linearPacked(x, M, packed, N, K, out),
    fill: (out, value) => void A.fill(out, value),
    copy: (src, out) => void A.copy(src, out),
    add: (a, b, out) => void A.add(a, b, out),
    sub: (a, b, out) => void A.sub(a, b, out),
    mul: (a, b, out) => void A.mul(a, b, out),
    scale: (a, s, out) => void A.scale(a, s, out),
    axpy: (alpha, x, y) => void A.axpy(alpha, x, y),
    addRowVector: (a, bias, R, C, out) => void A.addRowVector(a, bias, R, C, out),
    sumRows: (a, R, C, out, accumulate) => void A.sumRows(a, R, C, out, accumulate),
    sumSquares: (a) => A.sumSquares(a) as number,
    silu: (x, out) => void A.silu(x, out),
    siluBackward: (x, dOut, dx, accumulate) => void A.siluBackward(x, dOut, dx, accumulate),
    swiglu: (gate, up, out) => void A.swiglu(gate, up, out),
    swigluBackward: (gate, up, dOut, dGate, dUp, accumulate) =>
      void A.swigluBackward(gate, up, dOut, dGate, dUp, accumulate),
    rmsnorm: (x, w, R, D, eps, out, rstd) => void A.rmsnorm(x, w, R, D, eps, out, rstd),
    rmsnormBackward: (x, w, rstd, dOut, R, D, dx, dw, accumulateDx) =>
      void A.rmsnormBackward(x, w, rstd, dOut, R, D, dx, dw, accumulateDx),
    softmax: (x, R, D, out) => void A.softmax(x, R, D, out),
    logSoftmax: (x, R, D, out) => void A.logSoftmax(x, R, D, out),
    softmaxBackward: (y, dy, R, D, dx, accumulate) => void A.softmaxBackward(y, dy, R, D, dx, accumulate),
    logSoftmaxBackward: (y, dy, R, D, dx, accumulate) => void A.logSoftmaxBackward(y, dy, R, D, dx, accumulate),
    rope: (x, rows, H, Dh, positions, theta, inverse, out) =>
      void A.rope(x, rows, H, Dh, positions, theta, inverse, out),
    attention: (a) =>
      void A.attention(
        a.q, a.k, a.v, a.out, a.lse ?? null, a.B, a.Tq, a.S, a.kvLen, a.qOffset, a.Hq, a.Hkv, a.Dh, a.scale,
        a.kvStart ?? null,
      ),
    attentionBackward: (a) =>
      void A.attentionBackward(
        a.q, a.k, a.v, a.lse, a.dOut, a.dq, a.dk, a.dv, a.B, a.Tq, a.S, a.kvLen, a.qOffset, a.Hq, a.Hkv, a.Dh,
        a.scale, a.kvStart ?? null,
      ),
    embedding: (table, ids, D, out) => void A.embedding(table, ids, D, out),
    embeddingBackward: (dOut, ids, D, dTable) => void A.embeddingBackward(dOut, ids, D, dTable),
    crossEntropy: (logits, N, V, targets, rowWeights, lossOut, dLogits, accumulate) =>
      void A.crossEntropy(logits, N, V, targets, rowWeights, lossOut, dLogits, accumulate),
    softCrossEntropy: (a) => {
      const code = supportCode(a.support);
      if (code < 0) throw new TypeError(`softCrossEntropy: unknown support '${a.support}' (renorm | tail | full)`);
      return A.softCrossEntropy(
        a.logits, a.N, a.V, a.ids, a.probs, a.k, code, a.rowWeights, a.lossOut, a.dLogits, a.accumulate ?? false,
        a.studentMassOut ?? null, a.lseOut ?? null,
      ) as number;
    },
    topk: (x, N, V, k, idsOut, valsOut) => void A.topk(x, N, V, k, idsOut, valsOut),
    sampleRows: (a) => void A.sampleRows(a.logits, a.V, a.rows, a.us, a.ids, a.rowMax, a.sumExp, a.sumLogits),
    adamw: (a) =>
      void A.adamw(a.param, a.grad, a.m, a.v, a.lr, a.beta1, a.beta2, a.eps, a.weightDecay, a.step),
  };
  // Whatever the addon lacks runs on the reference (the addon's function names are the
  // Kernels method names).
  const missing: string[] = [];
  const kernels = native as unknown as Record<string, unknown>;
  const reference = jsKernels as unknown as Record<string, unknown>;
  for (const name of Object.keys(native)) {
    if (name === 'name' || typeof addon[name] === 'function') continue;
    missing.push(name);
    kernels[name] = (reference[name] as (...args: unknown[]) => unknown).bind(jsKernels);
  }
  return { kernels: native, missing };
}
