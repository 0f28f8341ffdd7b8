/**
 * Learning-rate schedules: a function of the 0-based step. Warmup ramps linearly from lr/warmup
 * (step 0) to lr (step warmup - 1); after it, the rate stays (constant) or decays to minLr at
 * step `total` (cosine or linear) and stays there.
 */
export type ScheduleSpec =
  | { kind: 'constant'; lr: number; warmup?: number }
  | { kind: 'cosine' | 'linear'; lr: number; total: number; warmup?: number; minLr?: number };

export type Schedule = (step: number) => number;

export function makeSchedule(spec: ScheduleSpec): Schedule {
  const warmup = spec.warmup ?? 0;
  if (!(spec.lr >= 0)) throw new Error(`schedule: lr must be >= 0, got ${spec.lr}`);
  if (!(warmup >= 0)) throw new Error(`schedule: warmup must be >= 0, got ${warmup}`);
  if (spec.kind !== 'constant' && !(spec.total > warmup)) throw new Error(`schedule: total (${spec.total}) must exceed warmup (${warmup})`);
  return (step: number) => {
    if (step < warmup) return (spec.lr * (step + 1)) / warmup;
    if (spec.kind === 'constant') return spec.lr;
    const minLr = spec.minLr ?? 0;
    const p = Math.min(1, (step - warmup) / (spec.total - warmup));
    if (spec.kind === 'linear') return spec.lr + (minLr - spec.lr) * p;
    return minLr + (spec.lr - minLr) * 0.5 * (1 + Math.cos(Math.PI * p));
  };
}
