/**
 * OPSD and SDPO, on-policy self-distillation (docs/architecture.md): the generalised JSD(beta) between
 * the student and a teacher copy of itself at every state the student visited (beta 0 is
 * forward KL(q||p), 1 reverse KL(p||q)). OPSD: a frozen teacher shown the reference solution.
 * SDPO (sdpo.ts) is built from the same pieces.
 */
import { batchOf, teacherOptions, teacherTargets, teacherTokenWeights } from './common.ts';
import { resolveOptions, type Schema } from '../util/schema.ts';
import type { Support } from '../losses/types.ts';
import type { Algorithm, StepData, TeacherKind } from './types.ts';

export const OPSD_OPTIONS = {
  beta: { type: 'number', default: 0.5, min: 0, max: 1, help: 'JSD interpolation (0 forward KL, 1 reverse KL)' },
  ...teacherOptions({ teacher: 'frozen', context: 'reference' }),
} as const satisfies Schema;

export interface DivergenceSettings {
  beta: number;
  topK: number;
  support: Support;
  teacher: TeacherKind;
  emaRate: number;
  context: string;
  isClip?: number;
}

export function selfDistillation(name: string, o: DivergenceSettings): Algorithm {
  return {
    name,
    needs: { sampling: true, teacher: { context: o.context, topK: o.topK, kind: o.teacher, emaRate: o.emaRate } },
    build(step: StepData) {
      const rs = step.rollouts;
      const { targetIds, targetProbs } = teacherTargets(step, o.topK, name);
      return {
        batch: batchOf(rs),
        loss: {
          terms: [{
            kind: 'divergence', weight: 1, beta: o.beta, support: o.support, k: o.topK, targetIds, targetProbs,
            tokenWeights: rs.map(teacherTokenWeights),
            isClip: o.isClip, logpOld: o.isClip !== undefined ? rs.map((r) => r.logprobs) : undefined,
          }],
        },
        metrics: {},
      };
    },
  };
}

export function opsd(options?: Record<string, unknown>): Algorithm {
  return selfDistillation('opsd', resolveOptions(OPSD_OPTIONS, options, 'opsd'));
}
