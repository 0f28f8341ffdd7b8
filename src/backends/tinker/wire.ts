/**
 * The Tinker protocol's message shapes as distil reads and writes them (field names as on the
 * wire; docs/remote.md cites the SDK commit they were read from). JSON bodies carry these
 * objects; forward_backward requests and the results of forward_backward and sample also
 * travel as protobuf (proto.ts), decoded into the same shapes.
 */

export type Dtype = 'int64' | 'float32';

/** A tensor: dense (`data` row-major) or CSR (`data` = the non-zero values). */
export interface TensorData {
  data: ArrayLike<number>;
  dtype: Dtype;
  shape?: number[];
  sparse_crow_indices?: ArrayLike<number>;
  sparse_col_indices?: ArrayLike<number>;
}

export interface EncodedTextChunk {
  type: 'encoded_text';
  tokens: number[];
}

export interface ModelInput {
  chunks: EncodedTextChunk[];
}

export interface Datum {
  model_input: ModelInput;
  loss_fn_inputs: Record<string, TensorData>;
}

export type LossFn = 'cross_entropy' | 'importance_sampling' | 'ppo' | 'cispo';
export const LOSS_FNS: readonly string[] = ['cross_entropy', 'importance_sampling', 'ppo', 'cispo'];

export interface ForwardBackwardRequest {
  model_id: string;
  seq_id: number;
  forward_backward_input: { data: Datum[]; loss_fn: string; loss_fn_config?: Record<string, number> };
  /** Proto only: run the forward pass alone (the SDK's forward()). */
  forward_only?: boolean;
}

export interface ForwardBackwardOutput {
  loss_fn_output_type: string;
  loss_fn_outputs: Record<string, TensorData>[];
  metrics: Record<string, number>;
}

export interface SampledSequence {
  stop_reason: 'stop' | 'length';
  tokens: number[];
  logprobs?: number[];
}

export interface SampleResponse {
  sequences: SampledSequence[];
  /** One per prompt token; null (JSON) or NaN (proto) where there is none (position 0). */
  prompt_logprobs?: (number | null)[];
  /** Per prompt position, up to k [id, logprob] pairs; null at position 0. */
  topk_prompt_logprobs?: ([number, number][] | null)[];
  prompt_cache_hit_tokens?: number;
}

export interface SamplingParams {
  max_tokens?: number;
  seed?: number;
  stop?: string[] | number[];
  temperature?: number;
  top_k?: number;
  top_p?: number;
}

export interface SampleRequest {
  num_samples: number;
  prompt: ModelInput;
  sampling_params: SamplingParams;
  base_model?: string;
  model_path?: string;
  sampling_session_id?: string;
  seq_id?: number;
  prompt_logprobs?: boolean;
  topk_prompt_logprobs?: number;
  type: 'sample';
}

export interface AdamParams {
  learning_rate: number;
  beta1: number;
  beta2: number;
  eps: number;
  weight_decay: number;
  grad_clip_norm: number;
}

export interface UntypedFuture {
  request_id: string;
  model_id?: string;
}

export interface TryAgain {
  type: 'try_again';
  request_id: string;
  queue_state: 'active' | 'paused_capacity' | 'paused_rate_limit';
}

export interface RequestFailed {
  error: string;
  category: 'unknown' | 'server' | 'user';
}

export const PROTO_CONTENT_TYPE = 'application/x-protobuf';

/** Dense row-major values of a (possibly CSR) tensor. */
export function denseOf(t: TensorData): Float64Array {
  const shape = t.shape ?? [t.data.length];
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float64Array(n);
  if (t.sparse_crow_indices) {
    const crow = t.sparse_crow_indices, col = t.sparse_col_indices;
    if (!col || shape.length !== 2) throw new Error('a CSR tensor needs sparse_col_indices and a 2-D shape');
    const cols = shape[1];
    if (crow.length !== shape[0] + 1) throw new Error(`CSR crow indices have ${crow.length} entries, expected rows + 1 = ${shape[0] + 1}`);
    for (let r = 0; r < shape[0]; r++) {
      for (let j = crow[r]; j < crow[r + 1]; j++) {
        const c = col[j];
        if (!(c >= 0 && c < cols)) throw new Error(`CSR column index ${c} outside 0..${cols - 1}`);
        out[r * cols + c] = t.data[j];
      }
    }
    return out;
  }
  if (t.data.length !== n) throw new Error(`tensor has ${t.data.length} values for shape [${shape.join(', ')}]`);
  for (let i = 0; i < n; i++) out[i] = t.data[i];
  return out;
}

/** CSR when it is smaller than dense (the SDK's rule for 2-D target_tokens / weights), else dense. */
export function tensorOf(values: ArrayLike<number>, dtype: Dtype, shape: number[], sparse: boolean): TensorData {
  if (!sparse || shape.length !== 2) return { data: Array.from(values), dtype, shape };
  const [rows, cols] = shape;
  let nnz = 0;
  for (let i = 0; i < values.length; i++) if (values[i] !== 0) nnz++;
  if (rows + 1 + 2 * nnz >= rows * cols) return { data: Array.from(values), dtype, shape };
  const data: number[] = [], colIdx: number[] = [], crow = [0];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = values[r * cols + c];
      if (v !== 0) {
        data.push(v);
        colIdx.push(c);
      }
    }
    crow.push(data.length);
  }
  return { data, dtype, shape, sparse_crow_indices: crow, sparse_col_indices: colIdx };
}
