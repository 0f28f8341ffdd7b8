/** Builds the judge an algorithm asks for (needs.judge). */
import type { PolicyBackend } from '../backends/types.ts';
import { LocalBackend } from '../backends/local.ts';
import { OpenAICompatibleBackend } from '../backends/openai.ts';
import type { Env } from '../envs/types.ts';
import { loadModelFolder } from '../models/folder.ts';
import { transformerFromWeights } from '../models/transformer-io.ts';
import type { Tokenizer } from '../models/tokenizer.ts';
import { modelJudge } from './model.ts';
import { answerJudge, stepJudge } from './reference.ts';
import type { Judge, JudgeView } from './types.ts';

export const JUDGE_KINDS = ['steps', 'answer', 'model'] as const;
export type JudgeKind = (typeof JUDGE_KINDS)[number];

export interface JudgeSpec {
  kind: JudgeKind;
  view: JudgeView;
  /** kind 'model': a model folder, or the URL of an OpenAI-compatible server; '' = a frozen copy of the initial student. */
  model: string;
  maxTokens: number;
  /** kind 'model': the rubric prompt ('' = the built-in one). */
  template: string;
}

export async function makeJudge(spec: JudgeSpec, env: Env, tokenizer: Tokenizer, student: PolicyBackend): Promise<Judge> {
  if (spec.kind === 'steps') return stepJudge(env);
  if (spec.kind === 'answer') return answerJudge(env);
  const o = { template: spec.template, maxTokens: spec.maxTokens };
  if (!spec.model) return modelJudge(await student.snapshot('frozen'), tokenizer, o, 'model(initial)');
  if (/^https?:\/\//.test(spec.model)) {
    // Prompts go to the server as token ids: it must share the student's tokenizer (checked).
    const remote = await OpenAICompatibleBackend.connect({ baseURL: spec.model, tokenizer });
    await remote.checkTokenizer(tokenizer);
    return modelJudge(remote, tokenizer, o, `model(${spec.model})`);
  }
  const f = loadModelFolder(spec.model);
  if (!f.tokenizer) throw new Error(`judge model ${spec.model} has no tokenizer; give a model folder with one`);
  return modelJudge(new LocalBackend(transformerFromWeights(f.config, f.weights, spec.model), { tokenizer: f.tokenizer }), f.tokenizer, o, `model(${spec.model})`);
}
