/**
 * d-OPSD's self-teacher and the positions it supervises (Luo, Chen et al., "Learning from the
 * Self-future"; checked against the authors' trainer, see docs/diffusion-lm.md).
 *
 * Teacher input for a state x_s that decodes block n: x_s with a random share `ratio` of the
 * positions from the start of block n+1 to the end of the sequence replaced by the trajectory's
 * own final tokens (floor(candidates * ratio) of them). The current block and everything before it
 * stay as in x_s, so the teacher sees part of its own future and nothing it is asked about.
 * When block n+1 starts at or after the final answer's first <eos>, there is no future to show
 * and the teacher input is x_s itself.
 *
 * Supervised positions: the `count` masked positions of block n with the highest teacher
 * confidence (largest teacher logit).
 */
import type { Rng } from '../util/rng.ts';

export interface StateRef {
  promptLength: number;
  blockSize: number;
  /** The block the state's step decodes. */
  block: number;
}

export function selfFutureTeacherInput(state: Int32Array, final: Int32Array, r: StateRef, ratio: number, eosId: number, rng: Rng): { input: Int32Array; replaced: number[] } {
  if (!(ratio >= 0 && ratio <= 1)) throw new Error(`d-opsd: teacherRetainRatio must be in [0, 1], got ${ratio}`);
  const input = Int32Array.from(state);
  const start = r.promptLength + (r.block + 1) * r.blockSize;
  let eos = final.length;
  for (let i = r.promptLength; i < final.length; i++)
    if (final[i] === eosId) {
      eos = i;
      break;
    }
  if (start >= eos || start >= final.length) return { input, replaced: [] };
  const candidates = Array.from({ length: final.length - start }, (_, i) => start + i);
  const replaced = rng.shuffle(candidates).slice(0, Math.floor(candidates.length * ratio)).sort((a, b) => a - b);
  for (const p of replaced) input[p] = final[p];
  return { input, replaced };
}

/**
 * The `count` masked positions of the state's block with the largest teacher max-logit, most
 * confident first (ties: leftmost). `maxLogit(p)` is the teacher's largest logit at position p.
 */
export function supervisedPositions(state: Int32Array, r: StateRef, maskId: number, maxLogit: (pos: number) => number, count: number): number[] {
  const start = r.promptLength + r.block * r.blockSize;
  const masked: number[] = [];
  for (let p = start; p < start + r.blockSize; p++) if (state[p] === maskId) masked.push(p);
  if (masked.length < count) throw new Error(`d-opsd: block ${r.block} has ${masked.length} masked positions, fewer than the ${count} supervised per state`);
  return masked.map((p) => ({ p, c: maxLogit(p) })).sort((a, b) => b.c - a.c).slice(0, count).map((x) => x.p);
}
