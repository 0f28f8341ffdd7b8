/**
 * Loads the C++ addon (native/build/distil.node) and adapts it to the Kernels interface.
 * Placeholder until the native kernels land: reports that it is not available.
 */
import type { Kernels } from './types.ts';

export type NativeLoad = { kernels: Kernels } | { error: string };

export function loadNativeKernels(): NativeLoad {
  return { error: 'the native kernels are not implemented yet' };
}
