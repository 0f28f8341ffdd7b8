/** A weight as the model folder code hands it around: row-major float32 with its shape. */
export interface WeightTensor {
  shape: number[];
  data: Float32Array;
}

/** Parameters keyed by their Hugging Face names (`model.layers.0.self_attn.q_proj.weight`, ...). */
export type WeightMap = Map<string, WeightTensor>;

/** The storage dtypes distil writes. Reading also accepts F64 (converted, see safetensors.ts). */
export type SaveDtype = 'F32' | 'F16' | 'BF16';
