/**
 * ExpRL (docs/exprl.md): RL whose reward is a judge's 1-5 score of the student's work against
 * the task's hidden reference (the policy never sees it), as a scaffold where sparse rewards
 * give no signal. Outcome mode: the judged completion's (s - 1) / 4 as GRPO's reward. Process
 * mode: each segment (line) judged, segment t's tokens carry s_t - s_{t-1}, the first
 * segment's s_1 - s_T (losses/exprl.ts), no group normalisation. A completion cut by the length
 * limit gets 0 (zeroTruncated); a k3 KL anchor to the initial policy (klBeta, the authors' 0.001 by default).
 */
import { expandToTokens, grpoAdvantages } from '../losses/advantages.ts';
import { JUDGE_KINDS } from '../judges/make.ts';
import { likertReward, processAdvantages, segmentAdvantagesToTokens } from '../losses/exprl.ts';
import { anchoredPolicyGradient, groupsOf } from './common.ts';
import { GRPO_OPTIONS } from './grpo.ts';
import { ConfigError, resolveOptions, type Schema } from '../util/schema.ts';
import type { Algorithm, StepData } from './types.ts';

export const EXPRL_OPTIONS = {
  mode: { type: 'enum', values: ['outcome', 'process'], default: 'outcome', help: 'outcome: judge the completion, GRPO on (s-1)/4; process: judge every segment (line), segment advantages s_t - s_{t-1}' },
  judge: { type: 'enum', values: JUDGE_KINDS, default: 'steps', help: "steps: the env's step checker against the reference (partial progress); answer: final answer only (outcome mode = GRPO); model: a model with a rubric" },
  judgeSees: { type: 'enum', values: ['prefix', 'segment'], default: 'prefix', help: 'process mode: the judge sees each prefix (paper text) or each segment alone (the authors\' code)' },
  judgeModel: { type: 'string', default: '', help: "judge 'model': a model folder or an OpenAI-compatible server URL ('' = a frozen copy of the initial student)" },
  judgeMaxTokens: { type: 'number', default: 256, min: 1, integer: true, help: "judge 'model': tokens it may write" },
  judgeTemplate: { type: 'string', default: '', help: "judge 'model': rubric prompt with {problem} {reference} {attempt} {view} ('' = built-in)" },
  zeroTruncated: { type: 'boolean', default: true, help: 'a completion cut by the length limit gets reward 0 (false: the judge scores it like any other)' },
  ...GRPO_OPTIONS,
  klBeta: { type: 'number', default: 0.001, min: 0, help: 'k3 KL penalty toward the initial policy' },
} as const satisfies Schema;

export function exprl(options?: Record<string, unknown>): Algorithm {
  const o = resolveOptions(EXPRL_OPTIONS, options, 'exprl');
  if (o.judge !== 'model' && (o.judgeModel || o.judgeTemplate)) throw new ConfigError(`exprl: judgeModel and judgeTemplate are for judge 'model' (judge is '${o.judge}'); set judge=model or drop them`);
  const process = o.mode === 'process';
  return {
    name: 'exprl',
    needs: {
      sampling: true,
      refLogprobs: o.klBeta > 0,
      judge: { kind: o.judge, view: process ? o.judgeSees : 'completion', model: o.judgeModel, maxTokens: o.judgeMaxTokens, template: o.judgeTemplate },
    },
    build(step: StepData) {
      const rs = step.rollouts;
      const j = step.judged;
      if (!j || j.rollouts.length !== rs.length) throw new Error('exprl: the trainer gave no judge scores for this step (the algorithm declares needs.judge; this is a bug in the caller)');
      const rewards = j.rollouts.map((x, i) => (rs[i].truncated && o.zeroTruncated ? 0 : likertReward(x.scores[x.scores.length - 1])));
      let advantages: Float32Array[];
      if (!process) {
        advantages = expandToTokens(grpoAdvantages(rewards, groupsOf(rs), o.scaling), rs.map((r) => r.tokens.length));
      } else {
        advantages = j.rollouts.map((x, i) => {
          const seg = x.segmentOfToken!;
          if (rs[i].truncated && o.zeroTruncated) return new Float32Array(seg.length);
          return segmentAdvantagesToTokens(seg, processAdvantages(x.scores.map(likertReward)));
        });
      }
      const all = j.rollouts.flatMap((x) => x.scores);
      return anchoredPolicyGradient(step, advantages, o, {
        'exprl/judge_score': all.reduce((a, b) => a + b, 0) / all.length,
        'exprl/reward': rewards.reduce((a, b) => a + b, 0) / rewards.length,
        'exprl/unreadable': j.unreadable,
        'exprl/segments': j.requests / rs.length,
        'exprl/truncated': rs.filter((r) => r.truncated).length / rs.length,
        'exprl/nonzero_adv_frac': advantages.filter((a) => a.some((x) => x !== 0)).length / rs.length,
      });
    },
  };
}
