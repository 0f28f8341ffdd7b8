/**
 * The built-in losses of a Tinker-style service, as functions of the target log-probs l of one
 * datum (what a server computes after its forward pass): each returns the summed loss and
 * dL/dl, which the server then back-propagates as weighted target log-probs. Inputs per
 * target (same shape as target_tokens): weights (cross_entropy), or the sampler's log-probs q
 * and advantages A (the policy losses), with r = exp(l - q):
 *   cross_entropy        L = -sum w l
 *   importance_sampling  L = -sum r A
 *   ppo                  L = -sum min(r A, clip(r, lo, hi) A)          (lo, hi default 0.8, 1.2)
 *   cispo                L = -sum sg(clip(r, lo, hi)) A l              (lo, hi default 0, 4)
 * Thresholds are ratio bounds (loss_fn_config clip_low_threshold / clip_high_threshold).
 */
import { LOSS_FNS } from './wire.ts';

export interface LossFnInputs {
  weights?: ArrayLike<number>;
  logprobs?: ArrayLike<number>;
  advantages?: ArrayLike<number>;
}

export interface LossFnResult {
  loss: number;
  /** dL/dl, one per target. */
  grad: Float64Array;
}

const DEFAULT_CLIP: Record<string, [number, number]> = { ppo: [0.8, 1.2], cispo: [0, 4] };

export function tinkerLoss(lossFn: string, l: ArrayLike<number>, inputs: LossFnInputs, config: Record<string, number> = {}): LossFnResult {
  if (!LOSS_FNS.includes(lossFn)) throw new Error(`loss_fn '${lossFn}' is not supported; this server supports ${LOSS_FNS.join(', ')}`);
  const n = l.length;
  const grad = new Float64Array(n);
  const need = (name: keyof LossFnInputs): ArrayLike<number> => {
    const x = inputs[name];
    if (!x) throw new Error(`loss_fn '${lossFn}' needs loss_fn_inputs.${name}`);
    if (x.length !== n) throw new Error(`loss_fn_inputs.${name} has ${x.length} values, target_tokens has ${n}`);
    return x;
  };
  let loss = 0;
  if (lossFn === 'cross_entropy') {
    const w = need('weights');
    for (let i = 0; i < n; i++) {
      if (w[i] === 0) continue;
      loss -= w[i] * l[i];
      grad[i] = -w[i];
    }
    return { loss, grad };
  }
  const q = need('logprobs'), A = need('advantages');
  const [dlo, dhi] = DEFAULT_CLIP[lossFn] ?? [0, Infinity];
  const lo = config.clip_low_threshold ?? dlo, hi = config.clip_high_threshold ?? dhi;
  if (!(lo <= hi)) throw new Error(`loss_fn_config: clip_low_threshold ${lo} exceeds clip_high_threshold ${hi}`);
  for (let i = 0; i < n; i++) {
    if (A[i] === 0) continue;
    const r = Math.exp(l[i] - q[i]);
    if (lossFn === 'importance_sampling') {
      loss -= r * A[i];
      grad[i] = -r * A[i];
    } else if (lossFn === 'ppo') {
      const c = Math.min(Math.max(r, lo), hi);
      const un = r * A[i], cl = c * A[i];
      if (un <= cl) {
        loss -= un;
        grad[i] = -un; // d(r A)/dl = r A
      } else loss -= cl; // the clipped branch is constant in l
    } else {
      const c = Math.min(Math.max(r, lo), hi);
      loss -= c * A[i] * l[i];
      grad[i] = -c * A[i];
    }
  }
  return { loss, grad };
}
