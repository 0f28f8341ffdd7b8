/**
 * LoRA adapters in PEFT's on-disk layout, so adapters move between distil and Hugging Face PEFT:
 *
 *   <dir>/adapter_config.json        {"peft_type": "LORA", "r", "lora_alpha", "target_modules",
 *                                     "base_model_name_or_path", "task_type": "CAUSAL_LM", "bias": "none", ...}
 *   <dir>/adapter_model.safetensors  base_model.model.model.layers.{i}.self_attn.q_proj.lora_A.weight  [r, in]
 *                                    base_model.model.model.layers.{i}.self_attn.q_proj.lora_B.weight  [out, r]
 *
 * Reading accepts what PEFT writes for the seven projections of a Llama/Qwen model:
 * target_modules as a list (module short names, or dotted suffixes of module paths, matched as
 * PEFT does), as a regex string (full match against `model.layers.{i}.{block}.{name}`), or
 * "all-linear"; layers_to_transform; use_rslora; F32/F16/BF16 tensors. lora_dropout is read but
 * not applied (distil's LoRA has no dropout; a warning says so). Anything that would change the
 * maths and is not implemented (DoRA, LoRA biases, rank_pattern / alpha_pattern, modules_to_save,
 * embedding or lm_head adapters) is refused with an error naming the file and field or tensor.
 * Every tensor is checked (present, expected, shaped [r, in] / [out, r]) before the model is touched.
 */
import { join } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { attachLora, checkLoraConfig, LORA_TARGETS, loraModuleName, type LoraConfig, type LoraModel, type LoraTarget } from '../nn/lora.ts';
import type { Transformer } from '../nn/transformer.ts';
import { writeFileAtomic } from '../util/atomic.ts';
import { readSafetensors, writeSafetensors } from './safetensors.ts';
import type { SaveDtype, WeightMap } from './types.ts';

export const ADAPTER_CONFIG_FILE = 'adapter_config.json';
export const ADAPTER_WEIGHTS_FILE = 'adapter_model.safetensors';
/** What PeftModel puts in front of the base model's module names in saved state dicts. */
export const PEFT_PREFIX = 'base_model.model.';

type Json = Record<string, unknown>;

export interface PeftAdapterConfig {
  /** The LoRA settings, resolved against the model's layers. */
  lora: LoraConfig;
  baseModelNameOrPath: string | null;
  /** adapter_config.json as read. */
  raw: Json;
  /** Non-fatal findings (e.g. a lora_dropout that will not be applied). */
  warnings: string[];
}

export interface LoadedPeftAdapter {
  lora: LoraModel;
  baseModelNameOrPath: string | null;
  warnings: string[];
}

export interface SavePeftOptions {
  /** Recorded as base_model_name_or_path (default null). */
  baseModelNameOrPath?: string | null;
  /** Storage dtype of the adapter tensors (default F32). */
  dtype?: SaveDtype;
}

/** The safetensors key of an adapter tensor. */
export function peftKey(module: string, which: 'A' | 'B'): string {
  return `${PEFT_PREFIX}${module}.lora_${which}.weight`;
}

function readConfigJson(file: string): Json {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new Error(`${file} does not exist or cannot be read (a PEFT adapter folder holds ${ADAPTER_CONFIG_FILE} and ${ADAPTER_WEIGHTS_FILE})`);
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file} is not valid JSON (${(e as Error).message})`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error(`${file} must hold a JSON object`);
  return v as Json;
}

const isEmpty = (v: unknown) => v === undefined || v === null || (typeof v === 'object' && Object.keys(v as object).length === 0);

/**
 * Read and check adapter_config.json for a model of `numLayers` layers. Throws naming the
 * file and the field for anything unsupported or malformed.
 */
export function readPeftConfig(dir: string, numLayers: number): PeftAdapterConfig {
  const file = join(dir, ADAPTER_CONFIG_FILE);
  const raw = readConfigJson(file);
  const bad = (msg: string): never => {
    throw new Error(`${file}: ${msg}`);
  };
  const warnings: string[] = [];
  if (raw.peft_type !== 'LORA') bad(`peft_type is ${JSON.stringify(raw.peft_type)}; only LORA adapters are supported`);
  if (raw.task_type !== undefined && raw.task_type !== null && raw.task_type !== 'CAUSAL_LM')
    bad(`task_type is ${JSON.stringify(raw.task_type)}; distil loads CAUSAL_LM adapters`);
  const r = raw.r;
  if (!(typeof r === 'number' && Number.isInteger(r) && r > 0)) bad(`r must be a positive integer, got ${JSON.stringify(r)}`);
  const alpha = raw.lora_alpha ?? 8; // PEFT's default
  if (!(typeof alpha === 'number' && Number.isFinite(alpha))) bad(`lora_alpha must be a number, got ${JSON.stringify(raw.lora_alpha)}`);
  if ((raw.bias ?? 'none') !== 'none') bad(`bias is ${JSON.stringify(raw.bias)}; only "none" is supported (LoRA biases are not implemented)`);
  if (raw.use_dora === true) bad('use_dora is true; DoRA is not supported');
  if (raw.fan_in_fan_out === true) bad('fan_in_fan_out is true; that is for GPT-2 style Conv1D weights, which Llama/Qwen models do not have');
  if (!isEmpty(raw.rank_pattern)) bad(`rank_pattern ${JSON.stringify(raw.rank_pattern)} is not supported (one rank for every adapter)`);
  if (!isEmpty(raw.alpha_pattern)) bad(`alpha_pattern ${JSON.stringify(raw.alpha_pattern)} is not supported (one lora_alpha for every adapter)`);
  if (!isEmpty(raw.modules_to_save)) bad(`modules_to_save ${JSON.stringify(raw.modules_to_save)} is not supported (fully trained extra modules)`);
  if (!isEmpty(raw.layer_replication)) bad('layer_replication is not supported');
  if (raw.use_rslora !== undefined && typeof raw.use_rslora !== 'boolean') bad(`use_rslora must be true or false, got ${JSON.stringify(raw.use_rslora)}`);
  const dropout = raw.lora_dropout ?? 0;
  if (typeof dropout !== 'number') bad(`lora_dropout must be a number, got ${JSON.stringify(raw.lora_dropout)}`);
  if (dropout !== 0) warnings.push(`${file}: lora_dropout ${dropout} is ignored (distil's LoRA has no dropout; it only matters when training)`);
  const lp = raw.layers_pattern;
  if (!(lp === undefined || lp === null || lp === 'layers' || (Array.isArray(lp) && lp.length === 1 && lp[0] === 'layers')))
    bad(`layers_pattern ${JSON.stringify(lp)} does not name this model's "layers"`);

  // Which layers.
  let layerSet: Set<number> | null = null;
  const ltt = raw.layers_to_transform;
  if (ltt !== undefined && ltt !== null) {
    const list = typeof ltt === 'number' ? [ltt] : ltt;
    if (!Array.isArray(list) || list.some((l) => !Number.isInteger(l) || l < 0))
      bad(`layers_to_transform must be a layer index or a list of them, got ${JSON.stringify(ltt)}`);
    for (const l of list as number[]) if (l >= numLayers) bad(`layers_to_transform names layer ${l} but the model has layers 0..${numLayers - 1}`);
    layerSet = new Set(list as number[]);
  }

  // Which modules: resolve target_modules against every projection module, as PEFT does.
  const tm = raw.target_modules;
  let matches: (module: string) => boolean;
  if (tm === 'all-linear') matches = () => true;
  else if (typeof tm === 'string') {
    let re: RegExp;
    try {
      re = new RegExp(`^(?:${tm})$`);
    } catch (e) {
      return bad(`target_modules ${JSON.stringify(tm)} is not a valid regular expression (${(e as Error).message})`);
    }
    matches = (m) => re.test(m);
  } else if (Array.isArray(tm) && tm.length > 0 && tm.every((t) => typeof t === 'string')) {
    const entries = tm as string[];
    const modules: string[] = [];
    for (let i = 0; i < numLayers; i++) for (const t of LORA_TARGETS) modules.push(loraModuleName(i, t));
    for (const e of entries)
      if (!modules.some((m) => m === e || m.endsWith('.' + e)))
        bad(`unknown target module "${e}": LoRA can adapt ${LORA_TARGETS.join(', ')} (embeddings and lm_head are not supported)`);
    matches = (m) => entries.some((e) => m === e || m.endsWith('.' + e));
  } else return bad(`target_modules must be a list of module names or a regex string, got ${JSON.stringify(tm)}`);

  const chosen: [number, LoraTarget][] = [];
  for (let i = 0; i < numLayers; i++) {
    if (layerSet && !layerSet.has(i)) continue;
    for (const t of LORA_TARGETS) if (matches(loraModuleName(i, t))) chosen.push([i, t]);
  }
  if (chosen.length === 0) bad(`target_modules ${JSON.stringify(tm)} selects none of this model's projections (${LORA_TARGETS.join(', ')})`);
  const targets = LORA_TARGETS.filter((t) => chosen.some(([, c]) => c === t));
  const layers = [...new Set(chosen.map(([l]) => l))];
  if (targets.length * layers.length !== chosen.length)
    bad(`target_modules ${JSON.stringify(tm)} selects different projections in different layers; only the same set in every chosen layer is supported`);
  const lora: LoraConfig = { r: r as number, alpha: alpha as number, targetModules: targets, useRslora: raw.use_rslora === true };
  if (layers.length < numLayers) lora.layers = layers;
  checkLoraConfig(lora, numLayers, file);
  const base = raw.base_model_name_or_path;
  return { lora, baseModelNameOrPath: typeof base === 'string' ? base : null, raw, warnings };
}

/**
 * Load a PEFT LoRA adapter folder onto `model` (which must have no adapters): checks the config
 * and every tensor first, then attaches the adapters with the saved values. The model's own
 * parameters are frozen, as with attachLora.
 */
export function loadPeftAdapter(model: Transformer, dir: string): LoadedPeftAdapter {
  const cfg = readPeftConfig(dir, model.config.numLayers);
  const file = join(dir, ADAPTER_WEIGHTS_FILE);
  if (!existsSync(file)) {
    const alt = existsSync(join(dir, 'adapter_model.bin')) ? ' (it has adapter_model.bin, a pickle distil does not read: convert it to safetensors)' : '';
    throw new Error(`${file} does not exist${alt}`);
  }
  const tensors = readSafetensors(file).tensors;
  const { r } = cfg.lora;
  const expected = new Map<string, number[]>();
  const layers = cfg.lora.layers ? new Set(cfg.lora.layers) : null;
  const roles = { q_proj: 'q', k_proj: 'k', v_proj: 'v', o_proj: 'o', gate_proj: 'gate', up_proj: 'up', down_proj: 'down' } as const;
  for (let i = 0; i < model.config.numLayers; i++) {
    if (layers && !layers.has(i)) continue;
    for (const t of cfg.lora.targetModules) {
      const [O, I] = model.layers[i][roles[t]].shape;
      const m = loraModuleName(i, t);
      expected.set(peftKey(m, 'A'), [r, I]);
      expected.set(peftKey(m, 'B'), [O, r]);
    }
  }
  const configFile = join(dir, ADAPTER_CONFIG_FILE);
  for (const [key, shape] of expected) {
    const t = tensors.get(key);
    if (!t) {
      const bare = tensors.has(key.slice(PEFT_PREFIX.length)) ? ` (it has "${key.slice(PEFT_PREFIX.length)}": PEFT files carry the "${PEFT_PREFIX}" prefix)` : '';
      throw new Error(`${file}: tensor "${key}" is missing; ${configFile} targets that module${bare}`);
    }
    const isA = key.endsWith('lora_A.weight');
    if (t.shape.length !== 2) throw new Error(`${file}: tensor "${key}" is [${t.shape.join(', ')}] but must be 2-D [${shape.join(', ')}]`);
    const rankDim = isA ? t.shape[0] : t.shape[1];
    if (rankDim !== r) throw new Error(`${file}: rank mismatch: tensor "${key}" is [${t.shape.join(', ')}] (rank ${rankDim}) but ${configFile} has r ${r}`);
    if (t.shape[0] !== shape[0] || t.shape[1] !== shape[1])
      throw new Error(`${file}: tensor "${key}" is [${t.shape.join(', ')}] but this model needs [${shape.join(', ')}] (an adapter for another base model?)`);
  }
  for (const key of tensors.keys())
    if (!expected.has(key)) throw new Error(`${file}: unexpected tensor "${key}" (${configFile} does not target it, or it is not a LoRA A/B weight distil supports)`);

  const lora = attachLora(model, cfg.lora);
  for (const ad of lora.adapters) {
    ad.A.data.set(tensors.get(peftKey(ad.module, 'A'))!.data);
    ad.B.data.set(tensors.get(peftKey(ad.module, 'B'))!.data);
  }
  return { lora, baseModelNameOrPath: cfg.baseModelNameOrPath, warnings: cfg.warnings };
}

/** The adapter_config.json PEFT would write for these adapters. */
export function peftConfigJson(lora: LoraModel, baseModelNameOrPath: string | null = null): Json {
  const c = lora.config;
  return {
    alpha_pattern: {},
    auto_mapping: null,
    base_model_name_or_path: baseModelNameOrPath,
    bias: 'none',
    fan_in_fan_out: false,
    inference_mode: true,
    init_lora_weights: true,
    layer_replication: null,
    layers_pattern: null,
    layers_to_transform: c.layers ? [...c.layers] : null,
    loftq_config: {},
    lora_alpha: c.alpha,
    lora_dropout: 0,
    megatron_config: null,
    megatron_core: 'megatron.core',
    modules_to_save: null,
    peft_type: 'LORA',
    r: c.r,
    rank_pattern: {},
    revision: null,
    target_modules: [...c.targetModules].sort(),
    task_type: 'CAUSAL_LM',
    use_dora: false,
    use_rslora: c.useRslora === true,
  };
}

/**
 * Save adapters as a PEFT folder (each file written atomically). The adapter values are the same
 * whether or not they are merged into the base at the moment. Returns the files written.
 */
export function savePeftAdapter(dir: string, lora: LoraModel, opts: SavePeftOptions = {}): string[] {
  const tensors: WeightMap = new Map();
  for (const ad of lora.adapters) {
    tensors.set(peftKey(ad.module, 'A'), { shape: [...ad.A.shape], data: ad.A.data });
    tensors.set(peftKey(ad.module, 'B'), { shape: [...ad.B.shape], data: ad.B.data });
  }
  const weights = join(dir, ADAPTER_WEIGHTS_FILE), config = join(dir, ADAPTER_CONFIG_FILE);
  writeSafetensors(weights, tensors, { dtype: opts.dtype ?? 'F32' });
  writeFileAtomic(config, JSON.stringify(peftConfigJson(lora, opts.baseModelNameOrPath ?? null), null, 2) + '\n');
  return [config, weights];
}
