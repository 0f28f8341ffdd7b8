/**
 * DistIL, distributional DAgger (docs/architecture.md): forward cross-entropy from the feedback-
 * conditioned teacher's top-k distribution to the student at every state the student visited,
 * plus the future-credit REINFORCE term (C_t = discounted sum of later cross-entropies, minus
 * a per-position group baseline, standardised, times lambdaFc), optionally restricted to the
 * tokens where the teacher is more confident or where the feedback applies, and anchored to
 * the initial policy by a k3 KL penalty.
 */
import type { LossTerm } from '../backends/types.ts';
import { batchOf, groupsOf, perToken, selectTokens, teacherOptions, teacherTargets, TOKEN_SELECTIONS, type TokenSelection } from './common.ts';
import { teacherContextKinds } from '../feedback/contexts.ts';
import { resolveOptions, type Schema } from '../util/schema.ts';
import type { Algorithm, StepData, TeacherKind } from './types.ts';

export const DISTIL_OPTIONS = {
  ...teacherOptions({ teacher: 'frozen', context: 'feedback' }),
  futureCredit: { type: 'boolean', default: false, help: 'add the future-credit term (off = CE-only ablation)' },
  gamma: { type: 'number', default: 0.9, min: 0, max: 1, help: 'discount of future cross-entropies' },
  lambdaFc: { type: 'number', default: 0.1, min: 0, help: 'coefficient of the future-credit term' },
  baseline: { type: 'enum', values: ['group_position', 'batch', 'none'], default: 'group_position', help: 'baseline subtracted from C_t' },
  standardize: { type: 'boolean', default: true, help: 'standardise C_t - b_t over the batch' },
  select: { type: 'enum', values: TOKEN_SELECTIONS, default: 'confident', help: 'tokens trained on' },
  margin: { type: 'number', default: 0, min: 0, max: 1, help: "with select 'confident': required teacher-over-student confidence" },
  confidentAgainst: { type: 'enum', values: ['top', 'token'], default: 'token', help: "with select 'confident': compare the teacher's top probability with the student's top probability, or with the student's probability of the teacher's top token" },
  klBeta: { type: 'number', default: 0, min: 0, help: 'k3 KL anchor to the initial policy' },
  daggerBuffer: { type: 'number', default: 0, min: 0, integer: true, help: 'past rollouts kept for relabelling (DAgger aggregation; 0 = off)' },
  daggerSample: { type: 'number', default: 0, min: 0, integer: true, help: 'buffered rollouts relabelled and added per step' },
  rollInBeta: { type: 'number', default: 0, min: 0, max: 1, help: 'probability of drawing a roll-in token from the teacher (0 = on-policy)' },
  rollInContext: { type: 'string', default: 'reference', oneOf: teacherContextKinds, help: 'what the roll-in teacher is shown (it samples before any feedback exists)' },
} as const satisfies Schema;

export function distil(options?: Record<string, unknown>): Algorithm {
  const o = resolveOptions(DISTIL_OPTIONS, options, 'distil');
  return {
    name: 'distil',
    needs: {
      sampling: true,
      teacher: { context: o.context, topK: o.topK, kind: o.teacher, emaRate: o.emaRate },
      refLogprobs: o.klBeta > 0,
      rollIn: o.rollInBeta > 0 ? { beta: o.rollInBeta, context: o.rollInContext } : undefined,
      dagger: o.daggerBuffer > 0 && o.daggerSample > 0 ? { size: o.daggerBuffer, sample: o.daggerSample } : undefined,
    },
    build(step: StepData) {
      const rs = step.rollouts;
      const { targetIds, targetProbs } = teacherTargets(step, o.topK, 'distil');
      const sel = selectTokens(step, o.select, o.margin, o.topK, o.confidentAgainst);
      const terms: LossTerm[] = [];
      if (sel.kept > 0) {
        terms.push({
          kind: 'softCrossEntropy', weight: 1, support: o.support, k: o.topK, targetIds, targetProbs, tokenWeights: sel.weights,
          futureCredit: o.futureCredit && o.lambdaFc > 0
            ? { lambdaFc: o.lambdaFc, gamma: o.gamma, baseline: o.baseline, standardize: o.standardize, groups: groupsOf(rs), logpOld: rs.map((r) => r.logprobs), clip: { epsLow: 0.2, epsHigh: 0.28 } }
            : undefined,
        });
      }
      if (o.klBeta > 0) {
        // The KL anchor: a policy-gradient term with zero advantages is exactly beta * k3.
        terms.push({
          kind: 'policyGradient', weight: 1, advantages: perToken(rs, 0), logpOld: rs.map((r) => r.logprobs),
          clipLow: 0.2, clipHigh: 0.28, aggregation: 'token_mean', klBeta: o.klBeta, logpRef: step.refLogprobs,
        });
      }
      if (!terms.length) return null;
      return { batch: batchOf(rs), loss: { terms }, metrics: { 'distil/selected_frac': sel.total ? sel.kept / sel.total : 0 } };
    },
  };
}
