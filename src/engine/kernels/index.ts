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

/** The native kernels if they load, else null (and the reason in `nativeError()`). Never warns. */
export function tryNativeKernels(): Kernels | null {
  if (!nativeTried) {
    try {
      nativeTried = loadNativeKernels();
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
