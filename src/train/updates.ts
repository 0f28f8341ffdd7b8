/**
 * Several optimiser updates per sampled batch (PPO epochs x mini-batches). With one update
 * the batch goes through forwardBackward + optimStep exactly once, as the trainer always did.
 * With more, each epoch shuffles the sequences (from the step's seed, so a resumed run
 * replays the same order) and cuts them into `miniBatches` near-equal parts, each one
 * update. From the second update on the policy has moved away from the sampler's, so the
 * importance ratio rho = p / p_old departs from 1 and the PPO clip starts to bind; that is
 * also what gives KL-Cov's |logp - logp_old| penalty a gradient.
 *
 * Terms are aggregated per mini-batch (token_mean is the mean over the mini-batch's tokens),
 * as in PPO implementations; advantages were fixed when the batch was built.
 */
import type { LossSpec, LossTerm, OptimOptions, PolicyBackend, TrainBatch } from '../backends/types.ts';
import { Rng } from '../util/rng.ts';

export interface UpdatePlan {
  epochs: number;
  miniBatches: number;
  /** Seeds the shuffles (the trainer passes the step's seed). */
  seed: number;
}

/** Sequence indices of each update, in order. One update: every sequence, in batch order. */
export function updateOrder(nSeq: number, plan: UpdatePlan): number[][] {
  const { epochs, miniBatches } = plan;
  if (!Number.isInteger(epochs) || epochs < 1) throw new Error(`updates: epochs must be a whole number >= 1, got ${epochs}`);
  if (!Number.isInteger(miniBatches) || miniBatches < 1) throw new Error(`updates: miniBatches must be a whole number >= 1, got ${miniBatches}`);
  const all = Array.from({ length: nSeq }, (_, i) => i);
  if (epochs === 1 && miniBatches === 1) return [all];
  const rng = new Rng(plan.seed);
  // More mini-batches than sequences would leave some empty: use one sequence each.
  const parts = Math.min(miniBatches, Math.max(nSeq, 1));
  const out: number[][] = [];
  for (let e = 0; e < epochs; e++) {
    const order = rng.shuffle([...all]);
    for (let m = 0; m < parts; m++) {
      out.push(order.slice(Math.floor((m * nSeq) / parts), Math.floor(((m + 1) * nSeq) / parts)));
    }
  }
  return out;
}

/** The batch and loss restricted to sequences `idx` (every per-sequence array is indexed, nested objects too). */
export function selectSequences(batch: TrainBatch, loss: LossSpec, idx: number[]): { batch: TrainBatch; loss: LossSpec } {
  const n = batch.sequences.length;
  const pick = (obj: object): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(obj)) {
      if (Array.isArray(v) && v.length === n) out[k] = idx.map((i) => v[i]);
      else if (v && typeof v === 'object' && !Array.isArray(v) && !ArrayBuffer.isView(v)) out[k] = pick(v);
      else out[k] = v;
    }
    return out;
  };
  return {
    batch: { sequences: idx.map((i) => batch.sequences[i]) },
    loss: { terms: loss.terms.map((t) => pick(t) as unknown as LossTerm) },
  };
}

export interface UpdatesResult {
  /** The first update's report and step (what a one-update run logs). */
  first: { loss: number; metrics: Record<string, number>; tokens: number; gradNorm: number; skipped: boolean; lr: number };
  /** Extra metrics when there were several updates (none with one, so such runs log what they always did). */
  extra: Record<string, number>;
  /** Milliseconds spent in optimStep, over all updates. */
  optimMs: number;
}

/** Runs every update of one step on `backend`. */
export async function runUpdates(backend: PolicyBackend, batch: TrainBatch, loss: LossSpec, plan: UpdatePlan, optim: OptimOptions): Promise<UpdatesResult> {
  const order = updateOrder(batch.sequences.length, plan);
  let first: UpdatesResult['first'] | null = null;
  let last: Record<string, number> = {};
  let skipped = 0, optimMs = 0;
  for (const idx of order) {
    const part = order.length === 1 ? { batch, loss } : selectSequences(batch, loss, idx);
    const rep = await backend.forwardBackward(part.batch, part.loss);
    const t = performance.now();
    const st = await backend.optimStep(optim);
    optimMs += performance.now() - t;
    if (st.skipped) skipped++;
    first ??= { loss: rep.loss, metrics: rep.metrics, tokens: rep.tokens, gradNorm: st.gradNorm, skipped: st.skipped, lr: st.lr };
    last = { loss: rep.loss, grad_norm: st.gradNorm, ...rep.metrics };
  }
  if (order.length === 1) return { first: first!, extra: {}, optimMs };
  const extra: Record<string, number> = { updates: order.length, skipped_updates: skipped };
  for (const [k, v] of Object.entries(last)) extra[`last_update/${k}`] = v;
  return { first: first!, extra, optimMs };
}
