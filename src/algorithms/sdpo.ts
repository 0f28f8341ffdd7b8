/**
 * SDPO (METHODS.md): the same divergence as OPSD (alpha 0 forward, 1 reverse, 0.5 JSD) toward
 * an EMA teacher shown a successful peer from the same group (else the feedback), with a
 * per-token importance weight p/p_old clipped at isClip.
 */
import { batchOf, teacherTargets } from './common.ts';
import { resolveOptions, type Schema } from './options.ts';
import type { Algorithm, StepData, TeacherKind } from './types.ts';

export const SDPO_OPTIONS = {
  alpha: { type: 'number', default: 0.5, min: 0, max: 1, help: 'divergence interpolation (0 forward KL, 1 reverse KL)' },
  topK: { type: 'number', default: 64, min: 1, integer: true, help: 'teacher top-k kept per position' },
  support: { type: 'enum', values: ['tail', 'renorm', 'full'], default: 'tail', help: 'how the top-k support is closed' },
  teacher: { type: 'enum', values: ['ema', 'frozen', 'live', 'external', 'expert'], default: 'ema', help: 'which model teaches' },
  emaRate: { type: 'number', default: 0.05, min: 0, max: 1, help: 'EMA teacher rate' },
  context: { type: 'string', default: 'peer', help: 'teacher context' },
  isClip: { type: 'number', default: 2, min: 1, help: 'clip of the per-token importance weight p/p_old' },
} as const satisfies Schema;

export function sdpo(options?: Record<string, unknown>): Algorithm {
  const o = resolveOptions(SDPO_OPTIONS, options, 'sdpo');
  return {
    name: 'sdpo',
    needs: { sampling: true, teacher: { context: o.context, topK: o.topK, kind: o.teacher as TeacherKind, emaRate: o.emaRate } },
    build(step: StepData) {
      const rs = step.rollouts;
      const { targetIds, targetProbs } = teacherTargets(step, o.topK, 'sdpo');
      return {
        batch: batchOf(rs),
        loss: {
          terms: [{
            kind: 'divergence', weight: 1, beta: o.alpha, support: o.support as 'tail', k: o.topK, targetIds, targetProbs,
            tokenWeights: rs.map((r) => new Float32Array(r.tokens.length).fill(1)),
            isClip: o.isClip, logpOld: rs.map((r) => r.logprobs),
          }],
        },
        metrics: {},
      };
    },
  };
}
