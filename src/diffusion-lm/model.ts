/**
 * Masked-diffusion LM folders: an ordinary model folder (config.json, model.safetensors,
 * tokenizer files; models/folder.ts) plus `diffusion_lm.json`, which says that the weights are a
 * bidirectional denoiser, which token is [MASK], and the sampling shape the model was trained
 * for. The marker file is what keeps the two families apart: the autoregressive trainer refuses
 * a folder that has it, and the diffusion-LM code refuses one that lacks it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DIFFUSION_LM_FILE } from '../models/family.ts';
import { saveModelFolder } from '../models/folder.ts';
import type { Tokenizer } from '../models/tokenizer.ts';
import { loadTransformer, weightsOfTransformer } from '../models/transformer-io.ts';
import type { Transformer } from '../nn/transformer.ts';
import { writeJsonAtomic } from '../util/atomic.ts';

export const DLM_FILE = DIFFUSION_LM_FILE;
export const DLM_FAMILY = 'masked-diffusion-lm';

export interface DlmInfo {
  family: typeof DLM_FAMILY;
  /** The [MASK] token's text in the tokenizer (the char tokenizer's '<unk>', which no corpus produces). */
  maskToken: string;
  /** Prompts are left-padded with <pad> to this many tokens (encode.ts). */
  promptLength: number;
  /** Completion length the model was trained to fill (answers padded with <eos> to it). */
  genLength: number;
  /** Semi-autoregressive block size the sampler uses by default. */
  blockSize: number;
  /** Denoising steps over the whole completion (genLength / steps tokens unmasked per step). */
  steps: number;
  /** Anything the writer wants to record (recipe, measured accuracy). */
  info?: Record<string, unknown>;
}

export interface LoadedDlm {
  dir: string;
  model: Transformer;
  tokenizer: Tokenizer;
  dlm: DlmInfo;
  maskId: number;
}

/** The [MASK] id, or one clear error when the tokenizer has no such token. */
export function maskIdOf(tokenizer: Tokenizer, maskToken: string, where: string): number {
  const id = tokenizer.tokenToId(maskToken);
  if (id === undefined)
    throw new Error(`${where}: the mask token ${JSON.stringify(maskToken)} is not in the tokenizer; a masked-diffusion LM needs a token reserved for [MASK] (the char tokenizer's '<unk>' serves) - set maskToken to one of its special tokens`);
  return id;
}

export function saveDlm(dir: string, model: Transformer, tokenizer: Tokenizer, dlm: DlmInfo): void {
  maskIdOf(tokenizer, dlm.maskToken, `saving ${dir}`);
  saveModelFolder(dir, { config: model.config, weights: weightsOfTransformer(model), tokenizer });
  writeJsonAtomic(join(dir, DLM_FILE), dlm);
}

export function readDlmInfo(dir: string): DlmInfo {
  const path = join(dir, DLM_FILE);
  if (!existsSync(path))
    throw new Error(`${dir} is not a masked-diffusion LM (no ${DLM_FILE}); it looks like an autoregressive model folder - pass a folder written by 'distil dlm pretrain' (e.g. src/diffusion-lm/checkpoints/dlm-math)`);
  const info = JSON.parse(readFileSync(path, 'utf8')) as DlmInfo;
  if (info.family !== DLM_FAMILY) throw new Error(`${path}: family is ${JSON.stringify(info.family)}, expected "${DLM_FAMILY}"`);
  return info;
}

export function loadDlm(dir: string): LoadedDlm {
  const dlm = readDlmInfo(dir);
  const { model, folder } = loadTransformer(dir);
  const tokenizer = folder.tokenizer!;
  return { dir, model, tokenizer, dlm, maskId: maskIdOf(tokenizer, dlm.maskToken, dir) };
}
