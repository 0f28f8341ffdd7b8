/**
 * SDPO (docs/architecture.md): the divergence of OPSD (alpha 0 forward KL, 1 reverse, 0.5 JSD) toward an
 * EMA teacher shown a successful peer from the same group (else the feedback), with a
 * per-token importance weight p/p_old clipped at isClip.
 */
import { teacherOptions } from './common.ts';
import { selfDistillation } from './opsd.ts';
import { resolveOptions, type Schema } from '../util/schema.ts';
import type { Algorithm } from './types.ts';

export const SDPO_OPTIONS = {
  alpha: { type: 'number', default: 0.5, min: 0, max: 1, help: 'divergence interpolation (0 forward KL, 1 reverse KL)' },
  ...teacherOptions({ teacher: 'ema', context: 'peer' }),
  isClip: { type: 'number', default: 2, min: 1, help: 'clip of the per-token importance weight p/p_old' },
} as const satisfies Schema;

export function sdpo(options?: Record<string, unknown>): Algorithm {
  const o = resolveOptions(SDPO_OPTIONS, options, 'sdpo');
  return selfDistillation('sdpo', { ...o, beta: o.alpha });
}
