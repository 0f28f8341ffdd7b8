/** The engine's public surface: Tensor, the tape, every op, and the kernel choice. */
export { Tensor, noGrad, tidy, isGradEnabled, record, shapeStr, sizeOf, type Shape } from './tensor.ts';
export { poolStats, poolFree, clearPool, setPoolLimit, acquire, release } from './pool.ts';
export { kernels, kernelsName, setKernels, tryNativeKernels, nativeError, jsKernels } from './kernels/index.ts';
export type { Kernels } from './kernels/types.ts';
export { matmul, linear } from './ops/matmul.ts';
export { add, sub, mul, scale } from './ops/elementwise.ts';
export { reshape, view, gatherRows } from './ops/shape.ts';
export { embedding } from './ops/embedding.ts';
export { rmsnorm } from './ops/norm.ts';
export { rope } from './ops/rope.ts';
export { silu, swiglu } from './ops/activation.ts';
export { swigluMlp } from './ops/mlp.ts';
export { softmax, logSoftmax } from './ops/softmax.ts';
export { attention, type AttentionShape } from './ops/attention.ts';
export { sum, mean } from './ops/reduce.ts';
export { crossEntropy, pick, type CrossEntropyOptions } from './ops/loss.ts';
