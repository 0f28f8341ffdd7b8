/**
 * OPSD, on-policy self-distillation (METHODS.md): generalised JSD(beta) between the student
 * and a frozen copy of itself shown the reference solution, at every state the student
 * visited. beta 0 is forward KL(q||p), 1 reverse KL(p||q).
 */
import { batchOf, teacherTargets } from './common.ts';
import { resolveOptions, type Schema } from './options.ts';
import type { Algorithm, StepData, TeacherKind } from './types.ts';

export const OPSD_OPTIONS = {
  beta: { type: 'number', default: 0.5, min: 0, max: 1, help: 'JSD interpolation (0 forward KL, 1 reverse KL)' },
  topK: { type: 'number', default: 64, min: 1, integer: true, help: 'teacher top-k kept per position' },
  support: { type: 'enum', values: ['tail', 'renorm', 'full'], default: 'tail', help: 'how the top-k support is closed' },
  teacher: { type: 'enum', values: ['frozen', 'ema', 'live', 'external', 'expert'], default: 'frozen', help: 'which model teaches' },
  emaRate: { type: 'number', default: 0.05, min: 0, max: 1, help: 'EMA teacher rate' },
  context: { type: 'string', default: 'reference', help: 'teacher context' },
} as const satisfies Schema;

export function opsd(options?: Record<string, unknown>): Algorithm {
  const o = resolveOptions(OPSD_OPTIONS, options, 'opsd');
  return {
    name: 'opsd',
    needs: { sampling: true, teacher: { context: o.context, topK: o.topK, kind: o.teacher as TeacherKind, emaRate: o.emaRate } },
    build(step: StepData) {
      const rs = step.rollouts;
      const { targetIds, targetProbs } = teacherTargets(step, o.topK, 'opsd');
      return {
        batch: batchOf(rs),
        loss: {
          terms: [{
            kind: 'divergence', weight: 1, beta: o.beta, support: o.support as 'tail', k: o.topK, targetIds, targetProbs,
            tokenWeights: rs.map((r) => new Float32Array(r.tokens.length).fill(1)),
          }],
        },
        metrics: {},
      };
    },
  };
}
