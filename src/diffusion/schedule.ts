/**
 * The DDPM noise schedule and the DDIM timestep grid.
 *
 * Training uses T discrete timesteps with linear betas; x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps.
 * Sampling visits `steps` of them, evenly spaced and offset by one (t = k * T/steps + 1, as
 * Stable Diffusion's scheduler config does), from the noisiest down to t = 1, whose step lands
 * on abar_prev = abar_0. Ending at t = 0, or on abar_prev = 1, would give the last eta = 1 step
 * zero variance and so no log-probability.
 */
export interface ScheduleConfig {
  /** Training timesteps T (default 1000). */
  timesteps: number;
  betaStart: number;
  betaEnd: number;
}

export const DEFAULT_SCHEDULE: ScheduleConfig = { timesteps: 1000, betaStart: 1e-4, betaEnd: 0.02 };

export class NoiseSchedule {
  readonly T: number;
  /** abar_t = prod_{s <= t} (1 - beta_s), t = 0..T-1. */
  readonly alphaBar: Float64Array;

  constructor(readonly config: ScheduleConfig = DEFAULT_SCHEDULE) {
    const { timesteps: T, betaStart, betaEnd } = config;
    if (!(Number.isInteger(T) && T >= 2)) throw new Error(`schedule: timesteps must be an integer >= 2, got ${T}`);
    if (!(betaStart > 0 && betaEnd < 1 && betaStart <= betaEnd)) throw new Error(`schedule: need 0 < betaStart <= betaEnd < 1, got ${betaStart}..${betaEnd}`);
    this.T = T;
    this.alphaBar = new Float64Array(T);
    let prod = 1;
    for (let t = 0; t < T; t++) {
      prod *= 1 - (betaStart + ((betaEnd - betaStart) * t) / (T - 1));
      this.alphaBar[t] = prod;
    }
  }

  /** The DDIM grid for `steps` sampling steps: [t, tPrev] pairs from noisiest to cleanest. */
  ddimSteps(steps: number): { t: number; abar: number; abarPrev: number }[] {
    if (!(Number.isInteger(steps) && steps >= 1 && steps <= this.T)) throw new Error(`DDIM steps must be an integer in [1, ${this.T}], got ${steps}`);
    const ratio = Math.floor(this.T / steps);
    const out: { t: number; abar: number; abarPrev: number }[] = [];
    for (let k = steps - 1; k >= 0; k--) {
      const t = k * ratio + 1, prev = t - ratio;
      out.push({ t, abar: this.alphaBar[t], abarPrev: prev >= 0 ? this.alphaBar[prev] : this.alphaBar[0] });
    }
    return out;
  }
}
