/**
 * Hugging Face `config.json` <-> distil's ModelConfig, for the architectures the transformer
 * implements: Llama (and SmolLM, which is Llama), Qwen2 and Qwen3. Anything these cannot
 * represent exactly — another architecture, rope scaling, sliding-window attention, a non-SiLU
 * activation, biases the transformer does not have — is an error naming the config key, because
 * loading it anyway would silently compute a different function than the checkpoint was trained for.
 */
import type { Architecture, ModelConfig } from '../nn/config.ts';

const MODEL_TYPES: Record<string, Architecture> = { llama: 'llama', qwen2: 'qwen2', qwen3: 'qwen3' };
const ARCH_CLASSES: Record<Architecture, string> = {
  llama: 'LlamaForCausalLM',
  qwen2: 'Qwen2ForCausalLM',
  qwen3: 'Qwen3ForCausalLM',
};
const CLASS_TO_ARCH: Record<string, Architecture> = Object.fromEntries(
  Object.entries(ARCH_CLASSES).map(([a, c]) => [c, a as Architecture]),
);

type Json = Record<string, unknown>;

function err(file: string, msg: string): never {
  throw new Error(`${file}: ${msg}`);
}

function int(cfg: Json, key: string, file: string, fallback?: number): number {
  const v = cfg[key] ?? fallback;
  if (v === undefined) err(file, `missing required key "${key}"`);
  if (!Number.isSafeInteger(v) || (v as number) <= 0) err(file, `"${key}" must be a positive integer, got ${JSON.stringify(v)}`);
  return v as number;
}

function num(cfg: Json, key: string, file: string, fallback: number): number {
  const v = cfg[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) err(file, `"${key}" must be a positive number, got ${JSON.stringify(v)}`);
  return v;
}

function optId(cfg: Json, key: string, file: string): number | undefined {
  const v = cfg[key];
  if (v === undefined || v === null) return undefined;
  if (!Number.isSafeInteger(v) || (v as number) < 0) err(file, `"${key}" must be a token id, got ${JSON.stringify(v)}`);
  return v as number;
}

function architectureOf(cfg: Json, file: string): Architecture {
  const mt = cfg.model_type;
  if (typeof mt === 'string') {
    const arch = MODEL_TYPES[mt];
    if (!arch) err(file, `"model_type" is "${mt}", which distil does not support (supported: ${Object.keys(MODEL_TYPES).join(', ')}; SmolLM is "llama")`);
    return arch;
  }
  const classes = cfg.architectures;
  if (Array.isArray(classes) && typeof classes[0] === 'string') {
    const arch = CLASS_TO_ARCH[classes[0]];
    if (!arch) err(file, `"architectures" is ${JSON.stringify(classes)}, which distil does not support (supported: ${Object.values(ARCH_CLASSES).join(', ')})`);
    return arch;
  }
  err(file, 'has neither "model_type" nor "architectures"; it is not a transformers model config');
}

/**
 * RoPE base frequency. transformers 4.x stores it as `rope_theta`; 5.x moves it (and the scaling
 * type) into `rope_parameters`. Only plain RoPE is supported.
 */
function ropeTheta(cfg: Json, file: string): number {
  for (const key of ['rope_scaling', 'rope_parameters'] as const) {
    const rs = cfg[key];
    if (rs === undefined || rs === null) continue;
    if (typeof rs !== 'object' || Array.isArray(rs)) err(file, `"${key}" must be an object or null`);
    const type = (rs as Json).rope_type ?? (rs as Json).type ?? 'default';
    if (type !== 'default') {
      err(file, `"${key}.${(rs as Json).rope_type !== undefined ? 'rope_type' : 'type'}" is "${String(type)}"; distil implements only plain RoPE (rope_scaling null / "default")`);
    }
  }
  const params = cfg.rope_parameters as Json | undefined;
  if (params && typeof params === 'object' && params.rope_theta !== undefined) return num(params, 'rope_theta', `${file} rope_parameters`, 10000);
  return num(cfg, 'rope_theta', file, 10000);
}

/** Map a parsed config.json to a ModelConfig; `file` names it in errors. */
export function configFromHf(cfg: Json, file = 'config.json'): ModelConfig {
  if (cfg === null || typeof cfg !== 'object' || Array.isArray(cfg)) err(file, 'is not a JSON object');
  const architecture = architectureOf(cfg, file);
  const hiddenSize = int(cfg, 'hidden_size', file);
  const numHeads = int(cfg, 'num_attention_heads', file);
  const numKvHeads = int(cfg, 'num_key_value_heads', file, numHeads);
  if (numHeads % numKvHeads !== 0) err(file, `"num_attention_heads" (${numHeads}) must be a multiple of "num_key_value_heads" (${numKvHeads})`);
  // head_dim is explicit in Qwen3 (and in newer Llama configs); otherwise hidden / heads.
  const headDim = cfg.head_dim == null ? hiddenSize / numHeads : int(cfg, 'head_dim', file);
  if (!Number.isInteger(headDim)) err(file, `"hidden_size" (${hiddenSize}) is not divisible by "num_attention_heads" (${numHeads}) and there is no "head_dim"`);
  if (headDim % 2 !== 0) err(file, `head dimension ${headDim} is odd; RoPE needs an even head_dim`);

  const act = cfg.hidden_act ?? 'silu';
  if (act !== 'silu') err(file, `"hidden_act" is ${JSON.stringify(act)}; distil's SwiGLU MLP implements only "silu"`);
  if (cfg.mlp_bias === true) err(file, '"mlp_bias" is true; distil\'s MLP has no biases');
  if (cfg.use_sliding_window === true) err(file, '"use_sliding_window" is true; distil implements only full causal attention');

  // Qwen2 always has q/k/v biases (not a config key). In Llama and Qwen3, attention_bias adds a
  // bias to o_proj as well, which distil's attention does not have.
  const attentionBias = architecture === 'qwen2';
  if (architecture !== 'qwen2' && cfg.attention_bias === true) {
    err(file, `"attention_bias" is true; in ${ARCH_CLASSES[architecture]} that also biases o_proj, which distil does not implement`);
  }

  const eos = cfg.eos_token_id;
  let eosTokenId: number | number[] | undefined;
  if (Array.isArray(eos)) {
    if (!eos.every((x) => Number.isSafeInteger(x) && x >= 0)) err(file, `"eos_token_id" must be a token id or a list of ids, got ${JSON.stringify(eos)}`);
    eosTokenId = eos as number[];
  } else {
    eosTokenId = optId(cfg, 'eos_token_id', file);
  }

  return {
    architecture,
    vocabSize: int(cfg, 'vocab_size', file),
    hiddenSize,
    intermediateSize: int(cfg, 'intermediate_size', file),
    numLayers: int(cfg, 'num_hidden_layers', file),
    numHeads,
    numKvHeads,
    headDim,
    maxPositions: int(cfg, 'max_position_embeddings', file, 2048),
    ropeTheta: ropeTheta(cfg, file),
    rmsNormEps: num(cfg, 'rms_norm_eps', file, 1e-6),
    tieWordEmbeddings: cfg.tie_word_embeddings === true,
    attentionBias,
    qkNorm: architecture === 'qwen3',
    bosTokenId: optId(cfg, 'bos_token_id', file),
    eosTokenId,
    padTokenId: optId(cfg, 'pad_token_id', file),
  };
}

/** torch_dtype names as transformers writes them. */
export type TorchDtype = 'float32' | 'bfloat16' | 'float16';

/**
 * ModelConfig -> config.json with the keys transformers expects for that architecture, so
 * `AutoModelForCausalLM.from_pretrained(dir)` builds the same model.
 */
export function configToHf(config: ModelConfig, torchDtype: TorchDtype = 'float32'): Json {
  const a = config.architecture;
  if (!(a in ARCH_CLASSES)) throw new Error(`cannot save config: architecture "${a}" is not one of ${Object.keys(ARCH_CLASSES).join(', ')}`);
  if (config.qkNorm !== (a === 'qwen3')) {
    throw new Error(`cannot save config: qkNorm=${config.qkNorm} with architecture "${a}"; in Hugging Face only Qwen3 has q/k norms — set architecture to "qwen3" or qkNorm to ${a === 'qwen3'}`);
  }
  if (config.attentionBias !== (a === 'qwen2')) {
    throw new Error(`cannot save config: attentionBias=${config.attentionBias} with architecture "${a}"; in Hugging Face only Qwen2 has q/k/v biases (and only those) — set architecture to "qwen2" or attentionBias to ${a === 'qwen2'}`);
  }
  const out: Json = {
    architectures: [ARCH_CLASSES[a]],
    model_type: a,
    vocab_size: config.vocabSize,
    hidden_size: config.hiddenSize,
    intermediate_size: config.intermediateSize,
    num_hidden_layers: config.numLayers,
    num_attention_heads: config.numHeads,
    num_key_value_heads: config.numKvHeads,
    head_dim: config.headDim,
    hidden_act: 'silu',
    max_position_embeddings: config.maxPositions,
    initializer_range: 0.02,
    rms_norm_eps: config.rmsNormEps,
    rope_theta: config.ropeTheta,
    rope_scaling: null,
    attention_dropout: 0.0,
    tie_word_embeddings: config.tieWordEmbeddings,
    use_cache: true,
    torch_dtype: torchDtype,
    bos_token_id: config.bosTokenId ?? null,
    eos_token_id: config.eosTokenId ?? null,
    pad_token_id: config.padTokenId ?? null,
  };
  if (a === 'llama') Object.assign(out, { attention_bias: false, mlp_bias: false, pretraining_tp: 1 });
  if (a === 'qwen3') out.attention_bias = false;
  if (a === 'qwen2' || a === 'qwen3') {
    Object.assign(out, { use_sliding_window: false, sliding_window: null, max_window_layers: config.numLayers });
  }
  return out;
}
