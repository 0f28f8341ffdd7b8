/**
 * Hugging Face model folders: config.json, model.safetensors (or shards + index),
 * tokenizer.json + tokenizer_config.json (or distil's char_tokenizer.json), an optional chat
 * template, generation_config.json. Loading never touches the network: a path is required.
 * Saving writes a folder transformers can load with from_pretrained.
 */
import { existsSync, readFileSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { ModelConfig } from '../nn/config.ts';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.ts';
import { ChatTemplate, pickChatTemplate } from './chat-template.ts';
import { CHAR_TOKENIZER_FILE, CharTokenizer } from './char-tokenizer.ts';
import { compareTokenizers } from './compare-tokenizers.ts';
import { INDEX_FILE, SINGLE_FILE, loadWeights, saveWeights } from './checkpoint.ts';
import type { TensorDestination } from './safetensors.ts';
import { asInputError } from '../util/errors.ts';
import { checkWeights, expectedTensors } from './expected-weights.ts';
import { generationConfigToHf, parseGenerationConfig, type GenerationDefaults } from './generation-config.ts';
import { configFromHf, configToHf, type TorchDtype } from './hf-config.ts';
import { HfTokenizer, specialTokenText } from './hf-tokenizer.ts';
import type { Tokenizer } from './tokenizer.ts';
import type { SaveDtype, WeightMap } from './types.ts';

type Json = Record<string, unknown>;

export interface ModelFolder {
  dir: string;
  config: ModelConfig;
  /** config.json as read. */
  hfConfig: Json;
  /** Empty when loaded with { weights: false }. */
  weights: WeightMap;
  /** Unused tensors and other non-fatal findings. */
  warnings: string[];
  tokenizer?: Tokenizer;
  /** The file the tokenizer was read from ('char_tokenizer.json' or 'tokenizer.json'). */
  tokenizerFile?: string;
  chatTemplate?: ChatTemplate;
  generation: GenerationDefaults;
  /** config.json's torch_dtype, if any. */
  torchDtype?: string;
}

export interface LoadOptions {
  /** Read the weights (default true). false: config, tokenizer and templates only. */
  weights?: boolean;
  /** Fail when the folder has no tokenizer (default true). */
  requireTokenizer?: boolean;
  /** Where each tensor's values go (e.g. a model's own parameter buffers), given the config. */
  into?: (config: ModelConfig) => TensorDestination;
}

function readJson(path: string, what: string): Json {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new Error(`${what}: ${path} does not exist or cannot be read`);
  }
  try {
    const v = JSON.parse(text);
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('not a JSON object');
    return v as Json;
  } catch (e) {
    throw new Error(`${path} is not valid JSON (${(e as Error).message})`);
  }
}

function readJsonIfExists(path: string, what: string): Json | undefined {
  return existsSync(path) ? readJson(path, what) : undefined;
}

/**
 * Load a model folder. Whatever is wrong with it (missing, malformed, inconsistent) is bad
 * input: an InputError naming the file and what to do.
 */
export function loadModelFolder(path: string, opts: LoadOptions = {}): ModelFolder {
  try {
    return loadFolder(path, opts);
  } catch (e) {
    throw asInputError(e);
  }
}

function loadFolder(path: string, opts: LoadOptions): ModelFolder {
  if (typeof path !== 'string' || path.length === 0) {
    throw new Error('loadModelFolder needs the path of a local model folder (distil never downloads; fetch it with `huggingface-cli download` first)');
  }
  const dir = resolve(path);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`model folder ${dir} does not exist or is not a folder`);
  const configPath = join(dir, 'config.json');
  const hfConfig = readJson(configPath, `model folder ${dir} has no config.json`);
  const config = configFromHf(hfConfig, configPath);
  const warnings: string[] = [];

  let weights: WeightMap = new Map();
  if (opts.weights ?? true) {
    const loaded = loadWeights(dir, opts.into?.(config));
    weights = loaded.tensors;
    warnings.push(...checkWeights(config, weights, { configFile: configPath, weightsFile: loaded.description, sources: loaded.sources }));
  }

  const genPath = join(dir, 'generation_config.json');
  const configEos = config.eosTokenId === undefined ? [] : Array.isArray(config.eosTokenId) ? config.eosTokenId : [config.eosTokenId];
  const generation = parseGenerationConfig(readJsonIfExists(genPath, 'generation config') ?? {}, genPath, configEos);

  const tokConfigPath = join(dir, 'tokenizer_config.json');
  const tokConfig = readJsonIfExists(tokConfigPath, 'tokenizer config') ?? {};
  let tokenizer: Tokenizer | undefined;
  let tokenizerFile: string | undefined;
  const charPath = join(dir, CHAR_TOKENIZER_FILE);
  const hfPath = join(dir, 'tokenizer.json');
  // bos comes only from tokenizer_config.json, as in transformers: Qwen configs name a
  // bos_token_id that the tokenizer never prepends.
  const hfIds = { eosId: generation.eosIds[0], padId: config.padTokenId ?? generation.padId };
  if (existsSync(charPath)) {
    tokenizer = CharTokenizer.fromJSON(readJson(charPath, 'char tokenizer'), charPath);
    tokenizerFile = CHAR_TOKENIZER_FILE;
    // distil reads char_tokenizer.json, Hugging Face tools read tokenizer.json: when both are
    // there they must be the same tokenizer, or the folder means different things to each.
    if (existsSync(hfPath)) checkTwinTokenizers(tokenizer as CharTokenizer, dir, hfPath, tokConfig, hfIds);
  } else if (existsSync(hfPath)) {
    tokenizer = new HfTokenizer(readJson(hfPath, 'tokenizer'), tokConfig, dir, hfIds);
    tokenizerFile = 'tokenizer.json';
  } else if (opts.requireTokenizer ?? true) {
    const legacy = ['tokenizer.model', 'vocab.json'].filter((f) => existsSync(join(dir, f)));
    throw new Error(
      `model folder ${dir} has no tokenizer.json (or ${CHAR_TOKENIZER_FILE})` +
        (legacy.length ? `; found ${legacy.join(', ')}, which distil does not read — re-save the tokenizer with transformers (a fast tokenizer writes tokenizer.json)` : ''),
    );
  }
  if (tokenizer && tokenizer.vocabSize > config.vocabSize) {
    throw new Error(`${dir}: the tokenizer has ${tokenizer.vocabSize} ids but config.json "vocab_size" is ${config.vocabSize}; ids past the embedding would crash the model — the tokenizer does not belong to this model`);
  }

  let chatTemplate: ChatTemplate | undefined;
  const jinjaPath = join(dir, 'chat_template.jinja');
  const defaults = { bosToken: specialTokenText(tokConfig.bos_token), eosToken: specialTokenText(tokConfig.eos_token) };
  if (existsSync(jinjaPath)) chatTemplate = new ChatTemplate(readFileSync(jinjaPath, 'utf8'), jinjaPath, defaults);
  else {
    const src = pickChatTemplate(tokConfig.chat_template, tokConfigPath);
    if (src !== undefined) chatTemplate = new ChatTemplate(src, tokConfigPath, defaults);
  }

  return {
    dir,
    config,
    hfConfig,
    weights,
    warnings,
    tokenizer,
    tokenizerFile,
    chatTemplate,
    generation,
    torchDtype: typeof hfConfig.torch_dtype === 'string' ? hfConfig.torch_dtype : undefined,
  };
}

/**
 * char_tokenizer.json was loaded; tokenizer.json beside it (its Hugging Face export) must be
 * readable and agree with it on every id, the special ids, and the encoding of the alphabet.
 */
function checkTwinTokenizers(char: CharTokenizer, dir: string, hfPath: string, tokConfig: Json, ids: { eosId?: number; padId?: number }): void {
  const fix = `distil reads ${CHAR_TOKENIZER_FILE}, Hugging Face tools read tokenizer.json; delete the wrong one (or re-save the folder with saveModelFolder, which writes both from one tokenizer)`;
  let twin: HfTokenizer;
  try {
    twin = new HfTokenizer(readJson(hfPath, 'tokenizer'), tokConfig, dir, ids);
  } catch (e) {
    throw new Error(`model folder ${dir} has two tokenizers and tokenizer.json is broken (${(e as Error).message}); ${fix}`);
  }
  const cmp = compareTokenizers(char, twin, { probes: [char.alphabet.join('')] });
  if (!cmp.same) throw new Error(`model folder ${dir}: ${CHAR_TOKENIZER_FILE} and tokenizer.json disagree (${cmp.summary}); ${fix}`);
}

/** One line saying which tokenizer a folder's model uses, for commands to print. */
export function describeTokenizer(f: Pick<ModelFolder, 'tokenizer' | 'tokenizerFile' | 'dir'>): string {
  if (!f.tokenizer) return `tokenizer: none in ${f.dir}`;
  const also = f.tokenizerFile === CHAR_TOKENIZER_FILE && existsSync(join(f.dir, 'tokenizer.json')) ? ' (tokenizer.json beside it agrees)' : '';
  return `tokenizer: ${join(f.dir, f.tokenizerFile ?? '?')} (${f.tokenizer.kind}, ${f.tokenizer.vocabSize} ids)${also}`;
}

export interface SaveModelFolderInput {
  config: ModelConfig;
  weights: WeightMap;
  tokenizer?: Tokenizer;
  /** Jinja source; written into tokenizer_config.json's "chat_template". */
  chatTemplate?: string;
  generation?: GenerationDefaults;
  /** Storage dtype of the weights (default F32). */
  dtype?: SaveDtype;
  /** Shard the weights when they exceed this many bytes. */
  maxShardBytes?: number;
}

const TORCH_DTYPE: Record<SaveDtype, TorchDtype> = { F32: 'float32', BF16: 'bfloat16', F16: 'float16' };
let tmpCounter = 0;

/**
 * Save a model folder. A new folder is built under a temporary name and renamed into place, so
 * it appears complete or not at all. An existing folder is updated file by file (each write
 * atomic, weights before config.json), keeping unrelated files, and weight files of the other
 * layout (single vs sharded) are removed afterwards.
 */
export function saveModelFolder(dir: string, input: SaveModelFolderInput): string[] {
  const target = resolve(dir);
  // Validate before writing anything: missing, misshapen or extra tensors.
  const copy: WeightMap = new Map(input.weights);
  const warnings = checkWeights(input.config, copy, { configFile: 'the config', weightsFile: 'the weights to save' });
  if (warnings.length) {
    const expected = new Set(expectedTensors(input.config).map((e) => e.name));
    const extra = [...input.weights.keys()].filter((n) => !expected.has(n));
    throw new Error(`saveModelFolder(${target}): tensors ${extra.slice(0, 5).map((n) => `"${n}"`).join(', ')}${extra.length > 5 ? ', ...' : ''} are not parameters of this config; remove them before saving`);
  }
  if (input.tokenizer && input.tokenizer.vocabSize > input.config.vocabSize) {
    throw new Error(`saveModelFolder(${target}): the tokenizer has ${input.tokenizer.vocabSize} ids but the config's vocabSize is ${input.config.vocabSize}; the folder would not load`);
  }
  const fresh = !existsSync(target);
  const workDir = fresh ? join(dirname(target), `.${basename(target)}.tmp-${process.pid}-${tmpCounter++}`) : target;
  try {
    const written = writeFolderFiles(workDir, input);
    if (fresh) renameSync(workDir, target);
    else removeStaleWeightFiles(target, written);
    return written;
  } catch (e) {
    if (fresh) rmSync(workDir, { recursive: true, force: true });
    throw e;
  }
}

function writeFolderFiles(dir: string, input: SaveModelFolderInput): string[] {
  const dtype = input.dtype ?? 'F32';
  const written = saveWeights(dir, input.weights, { dtype, maxShardBytes: input.maxShardBytes });
  const tok = input.tokenizer;
  if (tok instanceof CharTokenizer) {
    writeJsonAtomic(join(dir, CHAR_TOKENIZER_FILE), tok.toJSON());
    writeJsonAtomic(join(dir, 'tokenizer.json'), tok.toHfTokenizerJson());
    writeJsonAtomic(join(dir, 'tokenizer_config.json'), tok.hfTokenizerConfig(input.chatTemplate));
    written.push(CHAR_TOKENIZER_FILE, 'tokenizer.json', 'tokenizer_config.json');
  } else if (tok instanceof HfTokenizer) {
    const cfg: Json = { ...tok.tokenizerConfig };
    if (input.chatTemplate !== undefined) cfg.chat_template = input.chatTemplate;
    writeJsonAtomic(join(dir, 'tokenizer.json'), tok.tokenizerJson);
    writeJsonAtomic(join(dir, 'tokenizer_config.json'), cfg);
    written.push('tokenizer.json', 'tokenizer_config.json');
  } else if (tok) {
    throw new Error(`saveModelFolder: cannot save a tokenizer of kind "${tok.kind}" that is neither an HfTokenizer nor a CharTokenizer`);
  } else if (input.chatTemplate !== undefined) {
    writeFileAtomic(join(dir, 'chat_template.jinja'), input.chatTemplate);
    written.push('chat_template.jinja');
  }
  const c = input.config;
  // Ids default to the tokenizer's, so transformers' generate() stops at the right token.
  const config: ModelConfig = {
    ...c,
    bosTokenId: c.bosTokenId ?? tok?.bosId,
    eosTokenId: c.eosTokenId ?? tok?.eosId,
    padTokenId: c.padTokenId ?? tok?.padId,
  };
  const eosIds = config.eosTokenId === undefined ? [] : Array.isArray(config.eosTokenId) ? config.eosTokenId : [config.eosTokenId];
  const generation = input.generation ?? { eosIds, bosId: config.bosTokenId, padId: config.padTokenId };
  writeJsonAtomic(join(dir, 'generation_config.json'), generationConfigToHf(generation));
  // config.json last: its presence marks a complete folder for readers that poll.
  writeJsonAtomic(join(dir, 'config.json'), configToHf(config, TORCH_DTYPE[dtype]));
  written.push('generation_config.json', 'config.json');
  return written;
}

function removeStaleWeightFiles(dir: string, written: string[]): void {
  const keep = new Set(written);
  for (const name of readdirSync(dir)) {
    const isWeights = name === SINGLE_FILE || name === INDEX_FILE || /^model-\d{5}-of-\d{5}\.safetensors$/.test(name);
    // A leftover char_tokenizer.json would take precedence over a newly written tokenizer.json.
    const staleChar = name === CHAR_TOKENIZER_FILE && keep.has('tokenizer.json');
    if ((isWeights || staleChar) && !keep.has(name)) rmSync(join(dir, name), { force: true });
  }
}
