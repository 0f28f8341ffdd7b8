/**
 * OPD, sampled-token on-policy distillation (docs/architecture.md): the per-token advantage is the
 * negative reverse-KL estimate on the sampled token, log q(y_t) - log p(y_t), trained with the
 * importance-sampled policy gradient. Needs only the teacher's log-prob of each sampled token.
 */
import { opdAdvantages } from '../losses/advantages.ts';
import { batchOf, clippedPolicyGradient, teacherOptions, teacherTokenWeights } from './common.ts';
import { resolveOptions, type Schema } from '../util/schema.ts';
import type { Algorithm, StepData, TeacherKind } from './types.ts';

// OPD reads only the teacher's log-prob of each sampled token: no top-k or support options.
const { teacher, emaRate, context } = teacherOptions({ teacher: 'ema', context: 'feedback' });

export const OPD_OPTIONS = {
  teacher,
  emaRate,
  context,
  clipLow: { type: 'number', default: 0.2, min: 0, max: 1, help: 'PPO clip eps_low' },
  clipHigh: { type: 'number', default: 0.28, min: 0, help: 'PPO clip eps_high' },
  aggregation: { type: 'enum', values: ['token_mean', 'seq_mean', 'fixed_len'], default: 'token_mean', help: 'loss aggregation' },
} as const satisfies Schema;

export function opd(options?: Record<string, unknown>): Algorithm {
  const o = resolveOptions(OPD_OPTIONS, options, 'opd');
  return {
    name: 'opd',
    // top-k 1 is enough: only the sampled token's teacher log-prob is used.
    needs: { sampling: true, teacher: { context: o.context, topK: 1, kind: o.teacher, emaRate: o.emaRate } },
    build(step: StepData) {
      const rs = step.rollouts;
      if (!step.teacher) throw new Error('opd: the trainer gave no teacher scores for this step');
      return {
        batch: batchOf(rs),
        loss: {
          // No advantage inside the rest of a stop string: the teacher's log-probs there are not about the answer.
          terms: [clippedPolicyGradient(rs, rs.map((r, i) => {
            const w = teacherTokenWeights(r);
            return opdAdvantages(r.logprobs, step.teacher![i].scored.logprobs).map((a, t) => (w[t] ? a : 0));
          }), o)],
        },
        metrics: {},
      };
    },
  };
}
