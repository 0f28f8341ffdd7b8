/**
 * Advantages for DDPO. Per-prompt stat tracking (as in the DDPO reference code): each prompt
 * keeps its last `bufferSize` rewards; a reward's advantage is (r - mean)/(std + 1e-6) over its
 * prompt's buffer once that buffer holds `minCount` rewards (this batch's included), and over
 * the whole batch before that. std is the population standard deviation.
 */
const STD_EPS = 1e-6;

function meanStd(xs: number[]): [number, number] {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const v = xs.reduce((a, b) => a + (b - m) * (b - m), 0) / xs.length;
  return [m, Math.sqrt(v)];
}

/** Whole-batch normalisation: (r - mean)/(std + 1e-6). */
export function batchAdvantages(rewards: number[]): number[] {
  if (rewards.length === 0) return [];
  const [m, s] = meanStd(rewards);
  return rewards.map((r) => (r - m) / (s + STD_EPS));
}

export function clipAdvantages(adv: number[], max: number): number[] {
  if (!(max > 0)) throw new Error(`advantage clip must be > 0, got ${max}`);
  return adv.map((a) => Math.max(-max, Math.min(max, a)));
}

export class PerPromptStatTracker {
  private buffers = new Map<number, number[]>();

  constructor(readonly bufferSize: number, readonly minCount: number) {
    if (!(Number.isInteger(bufferSize) && bufferSize >= 1)) throw new Error(`stat tracker buffer size must be a positive integer, got ${bufferSize}`);
    if (!(Number.isInteger(minCount) && minCount >= 1)) throw new Error(`stat tracker min count must be a positive integer, got ${minCount}`);
  }

  update(prompts: number[], rewards: number[]): number[] {
    if (prompts.length !== rewards.length) throw new Error(`stat tracker: ${prompts.length} prompts but ${rewards.length} rewards`);
    const batch = rewards.length ? meanStd(rewards) : [0, 0];
    const adv = new Array<number>(rewards.length);
    for (const p of new Set(prompts)) {
      const idx = prompts.flatMap((q, i) => (q === p ? [i] : []));
      const buf = this.buffers.get(p) ?? [];
      buf.push(...idx.map((i) => rewards[i]));
      buf.splice(0, Math.max(0, buf.length - this.bufferSize));
      this.buffers.set(p, buf);
      const [m, s] = buf.length < this.minCount ? batch : meanStd(buf);
      for (const i of idx) adv[i] = (rewards[i] - m) / (s + STD_EPS);
    }
    return adv;
  }

  /** For checkpoints: the buffers as plain JSON. */
  state(): Record<string, number[]> {
    return Object.fromEntries([...this.buffers].map(([k, v]) => [String(k), [...v]]));
  }
  load(state: Record<string, number[]>): void {
    this.buffers = new Map(Object.entries(state).map(([k, v]) => [Number(k), [...v]]));
  }
}
