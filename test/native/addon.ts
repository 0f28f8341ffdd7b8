/**
 * Loads the native addon for the native kernel tests. When native/build/distil.node is missing
 * the build runs first; when it still cannot be loaded the tests fail with the reason (they are
 * never skipped: a machine without a working addon is exactly what they must report).
 * DISTIL_NATIVE_ADDON=<path> loads another build of the addon (handy while developing a kernel).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const defaultPath = join(root, 'native', 'build', 'distil.node');

export type SgemmFn = (
  transA: boolean, transB: boolean, M: number, N: number, K: number, alpha: number,
  a: Float32Array, lda: number, b: Float32Array, ldb: number, beta: number,
  c: Float32Array, ldc: number, batch: number, strideA: number, strideB: number, strideC: number,
) => void;

export interface Addon {
  sgemm: SgemmFn;
  numThreads(): number;
}

export function loadAddon(): Addon {
  const path = process.env.DISTIL_NATIVE_ADDON || defaultPath;
  if (!existsSync(path) && path === defaultPath) {
    execFileSync(process.execPath, [join(root, 'native', 'build.mjs')], { stdio: 'inherit' });
  }
  if (!existsSync(path)) {
    const failed = join(root, 'native', 'build', 'BUILD_FAILED.txt');
    const why = existsSync(failed) ? readFileSync(failed, 'utf8').slice(0, 2000) : 'no reason recorded';
    throw new Error(`native addon ${path} is missing and could not be built (run \`node native/build.mjs --force\`): ${why}`);
  }
  try {
    return createRequire(import.meta.url)(path) as Addon;
  } catch (err) {
    throw new Error(`native addon ${path} does not load (rebuild with \`node native/build.mjs --force\`): ${(err as Error).message}`);
  }
}
