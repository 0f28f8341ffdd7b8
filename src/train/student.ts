/**
 * The student a run trains, and the initial policy its KL is measured against, on the backend
 * the config names: a model in this process (LocalBackend, full weights or LoRA), or a LoRA
 * model on a Tinker-protocol service (TinkerBackend; the local model folder supplies the
 * tokenizer, the service the weights). On resume each comes back from the checkpoint: local
 * weights and adapter from its model folder, a remote state from the tinker:// path it recorded.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { LocalBackend } from '../backends/local.ts';
import { REMOTE_STATE_FILE, TinkerBackend } from '../backends/tinker/backend.ts';
import type { PolicyBackend } from '../backends/types.ts';
import { refuseDiffusionLm } from '../models/family.ts';
import { loadModelFolder } from '../models/folder.ts';
import type { GenerationDefaults } from '../models/generation-config.ts';
import { loadPeftAdapter } from '../models/peft.ts';
import type { Tokenizer } from '../models/tokenizer.ts';
import { loadTransformer } from '../models/transformer-io.ts';
import { attachLora } from '../nn/lora.ts';
import { Rng } from '../util/rng.ts';
import { InputError } from '../util/errors.ts';
import { loraTargets, type TrainConfig } from './config.ts';

export interface Student {
  student: PolicyBackend;
  tokenizer: Tokenizer;
  /** The initial policy (KL measurement and anchors), when asked for. */
  initial: PolicyBackend | null;
  /** The starting model's generation_config.json (its stop strings; saved with local checkpoints). */
  generation: GenerationDefaults;
}

/** The tinker:// state a remote run's checkpoint recorded, or null for local weights. */
function remoteState(checkpointModelDir: string): { state_path: string } | null {
  const f = join(checkpointModelDir, REMOTE_STATE_FILE);
  return existsSync(f) ? JSON.parse(readFileSync(f, 'utf8')) : null;
}

/**
 * `resumeFrom`: the model folder of the checkpoint a resumed run continues from (null for a
 * fresh run). Called before the run folder is opened, so that a model that fails to load
 * leaves no folder behind.
 */
export async function makeStudent(config: TrainConfig, resumeFrom: string | null, needInitial: boolean, log: (m: string) => void): Promise<Student> {
  return config.backend === 'tinker' ? tinkerStudent(config, resumeFrom, needInitial, log) : localStudent(config, resumeFrom, needInitial, log);
}

async function localStudent(config: TrainConfig, resumeFrom: string | null, needInitial: boolean, log: (m: string) => void): Promise<Student> {
  if (resumeFrom && remoteState(resumeFrom)) throw new InputError(`the checkpoint at ${resumeFrom} holds a remote (tinker) state; resume it with backend tinker`);
  // Under LoRA the checkpoint's adapter goes on top of the starting model's weights.
  refuseDiffusionLm(config.model, 'distil train');
  const { model, folder } = loadTransformer(resumeFrom && !config.loraRank ? resumeFrom : config.model);
  if (!folder.tokenizer) throw new InputError(`model folder ${config.model} has no tokenizer (tokenizer.json or char_tokenizer.json)`);
  const tokenizer = folder.tokenizer;
  // Read from the starting model on resume too, so the stop strings never change mid-run.
  const generation = resumeFrom ? loadModelFolder(config.model, { weights: false, requireTokenizer: false }).generation : folder.generation;
  const lora = config.loraRank > 0
    ? resumeFrom
      ? loadPeftAdapter(model, join(resumeFrom, 'adapter')).lora
      : attachLora(model, { r: config.loraRank, alpha: config.loraAlpha, targetModules: loraTargets(config.loraTargets) }, new Rng(config.seed))
    : undefined;
  const student = new LocalBackend(model, { tokenizer, rng: new Rng(config.seed), maxTokensPerPass: config.maxTokensPerPass, warn: log, lora, generation });
  // On resume the initial policy is re-read from the starting model, not from the checkpoint.
  const initial = needInitial ? (resumeFrom ? new LocalBackend(loadTransformer(config.model).model, { tokenizer }) : await student.snapshot('frozen')) : null;
  return { student, tokenizer, initial, generation };
}

async function tinkerStudent(config: TrainConfig, resumeFrom: string | null, needInitial: boolean, log: (m: string) => void): Promise<Student> {
  const remote = resumeFrom ? remoteState(resumeFrom) : null;
  if (resumeFrom && !remote) throw new InputError(`the checkpoint at ${resumeFrom} holds local weights, not a remote state; resume it with backend local`);
  const folder = loadModelFolder(config.model, { weights: false });
  if (!folder.tokenizer) throw new InputError(`model folder ${config.model} has no tokenizer (a remote run needs the served model's tokenizer locally)`);
  const targets = loraTargets(config.loraTargets);
  const attn = ['q_proj', 'k_proj', 'v_proj', 'o_proj'], mlp = ['gate_proj', 'up_proj', 'down_proj'];
  const has = (xs: string[]) => xs.every((x) => targets.includes(x as never));
  const none = (xs: string[]) => xs.every((x) => !targets.includes(x as never));
  if (!((has(attn) || none(attn)) && (has(mlp) || none(mlp)))) {
    throw new InputError(`loraTargets ${config.loraTargets}: a Tinker service adapts all attention projections (${attn.join(',')}) and/or all MLP projections (${mlp.join(',')}), not a subset of either`);
  }
  if (config.loraAlpha !== 16) log(`tinker: loraAlpha ${config.loraAlpha} is not sent (the protocol carries only the rank); the service's own LoRA scale applies (distil serve: --lora-alpha)`);
  const baseModel = config.tinkerBaseModel || basename(resolve(config.model));
  const student = await TinkerBackend.connect({
    baseUrl: config.tinkerUrl, baseModel, tokenizer: folder.tokenizer, loraRank: config.loraRank, seed: config.seed,
    trainAttn: has(attn), trainMlp: has(mlp), resumeFrom: remote?.state_path, log,
  });
  // A fresh LoRA adapter leaves the base model unchanged (B = 0): the initial policy is the base model.
  const initial = needInitial ? await student.samplerOfBase(baseModel) : null;
  return { student, tokenizer: folder.tokenizer, initial, generation: folder.generation };
}
