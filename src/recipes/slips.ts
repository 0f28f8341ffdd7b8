/**
 * Imperfect attempts for pretraining corpora and the teacher gate: the env's own slip model
 * where it has one (math chains/arithmetic, science, code level 7's other families, ambiguous's
 * wrong digit), else the reference with one character
 * changed to another of the same class (digit for digit, operator for operator), which keeps
 * the attempt well-formed so the env answers with feedback about the work, not the format.
 */
import { slipAttempt } from '../envs/math/slips.ts';
import { slipScience } from '../envs/science/slips.ts';
import { hiddenCodeAttempt } from '../envs/code/hidden.ts';
import { slipAmbiguous } from '../envs/ambiguous/index.ts';
import type { Task } from '../envs/types.ts';
import type { Rng } from '../util/rng.ts';

const CLASSES = ['0123456789', '+-*', '<>'];

export function slippedAttempt(task: Task, rng: Rng, maxSlips = 1): string {
  const kind = task.meta.kind;
  if (kind === 'chain' || kind === 'arith') return slipAttempt(task, rng, rng.range(1, Math.max(1, maxSlips))).completion;
  if (kind === 'chem' || kind === 'units') return slipScience(task, rng);
  if (task.env === 'ambiguous') return slipAmbiguous(task, rng);
  // Code level 7: mostly another family's fitting program (the student's real mistake there).
  const hidden = hiddenCodeAttempt(task.meta, rng, corruptOne);
  if (hidden !== undefined) return hidden;
  return corruptOne(task.reference ?? '', rng);
}

function corruptOne(text: string, rng: Rng): string {
  const spots: number[] = [];
  for (let i = 0; i < text.length; i++) if (CLASSES.some((c) => c.includes(text[i]))) spots.push(i);
  if (spots.length === 0) return text + ' ';
  const i = rng.pick(spots);
  const cls = CLASSES.find((c) => c.includes(text[i]))!;
  const others = [...cls].filter((c) => c !== text[i]);
  return text.slice(0, i) + rng.pick(others) + text.slice(i + 1);
}
