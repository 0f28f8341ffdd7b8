/**
 * Which kernel set the engine runs on. Native (the C++ addon) unless DISTIL_ENGINE=js or the
 * addon cannot be loaded; in that case the TypeScript reference runs, and one warning says why.
 * Ops call `kernels()` at every call, so `setKernels` switches the whole engine (tests use it
 * to run gradient checks on the float64-accumulating reference).
 */
import { jsKernels } from './js.ts';
import { loadNativeKernels } from './native.ts';
import type { Kernels } from './types.ts';

let current: Kernels | null = null;
let nativeTried: { kernels: Kernels } | { error: string } | null = null;

/**
 * OpenMP threads that wait at the end of a parallel region spin for ~300k iterations by default.
 * A training step runs a few hundred short regions, and on a shared (oversubscribed) machine a
 * spinning thread burns the time slice its partner needs: measured on a 2-core machine at load
 * ~13, a REFERENCE_MODEL step took 3-4 s with the default and 1.1 s with a short spin (the same
 * as one thread). A short spin keeps the hand-off fast on an idle machine. libgomp reads the
 * variable once, when the addon loads it; it is set only for that moment (child processes, e.g.
 * a PyTorch reference, keep the caller's environment), and a policy the user set wins.
 */
function withOpenMPTuning<T>(load: () => T): T {
  const set = process.env.OMP_WAIT_POLICY === undefined && process.env.GOMP_SPINCOUNT === undefined;
  if (set) process.env.GOMP_SPINCOUNT = '1000';
  try {
    return load();
  } finally {
    if (set) delete process.env.GOMP_SPINCOUNT;
  }
}

/** The native kernels if they load, else null (and the reason in `nativeError()`). Never warns. */
export function tryNativeKernels(): Kernels | null {
  if (!nativeTried) {
    try {
      nativeTried = withOpenMPTuning(loadNativeKernels);
    } catch (e) {
      nativeTried = { error: (e as Error).message };
    }
  }
  return 'kernels' in nativeTried ? nativeTried.kernels : null;
}

export function nativeError(): string | null {
  tryNativeKernels();
  return nativeTried && 'error' in nativeTried ? nativeTried.error : null;
}

export function kernels(): Kernels {
  if (current) return current;
  if (process.env.DISTIL_ENGINE === 'js') {
    current = jsKernels;
  } else {
    const native = tryNativeKernels();
    if (native) current = native;
    else {
      process.stderr.write(
        `[distil] native kernels unavailable (${nativeError()}); using the TypeScript kernels, which are much slower. ` +
          'Run `npm run build:native` to build them, or set DISTIL_ENGINE=js to silence this.\n',
      );
      current = jsKernels;
    }
  }
  return current;
}

/** 'native' or 'js': what `kernels()` returns. */
export function kernelsName(): 'native' | 'js' {
  return kernels().name;
}

/** Force a kernel set (e.g. `setKernels(jsKernels)` in tests); returns the previous one. null: choose again. */
export function setKernels(k: Kernels | null): Kernels | null {
  const prev = current;
  current = k;
  return prev;
}

export { jsKernels };
export type { Kernels };
