/**
 * Linear equations in x with an integer solution (`Q: 3x+5=20`), for real models.
 * Forms: `ax+b=c`, `ax+b=cx+d` (collect x on the left first) and `a(x+b)=c` (expand first).
 * Each line of the reference is the next simplified equation; the last is `x=v`.
 */
import type { Rng } from '../../util/rng.ts';
import type { Generated } from '../loaders/split.ts';

export type LinearForm = 'ax+b=c' | 'ax+b=cx+d' | 'a(x+b)=c';

/** `kx+m` written the way the reference writes it (`x`, `-x`, no `+0`). */
export function linearSide(k: number, m: number): string {
  const xs = k === 0 ? '' : k === 1 ? 'x' : k === -1 ? '-x' : `${k}x`;
  if (m === 0) return xs || '0';
  if (!xs) return String(m);
  return `${xs}${m > 0 ? '+' : ''}${m}`;
}

/** Makes two spellings of the same equation line compare equal: spaces, `1x`, `*x`, `+-`. */
export function normaliseEquation(s: string): string {
  return s
    .replace(/\s+/g, '')
    .replace(/\*/g, '')
    .replace(/\+-/g, '-')
    .replace(/(^|[=+\-(])1x/g, '$1x')
    .replace(/^\+/, '')
    .replace(/=\+/, '=');
}

function nonZero(rng: Rng, lo: number, hi: number): number {
  for (;;) {
    const v = rng.range(lo, hi);
    if (v !== 0) return v;
  }
}

export function generateLinear(form: LinearForm, rng: Rng): Generated {
  const x = rng.range(-9, 12);
  let prompt: string;
  const steps: string[] = [];
  if (form === 'ax+b=c') {
    const a = rng.range(2, 9) * (rng.int(4) === 0 ? -1 : 1);
    const b = nonZero(rng, -20, 20);
    const c = a * x + b;
    prompt = `${linearSide(a, b)}=${c}`;
    steps.push(`${linearSide(a, 0)}=${c - b}`);
  } else if (form === 'ax+b=cx+d') {
    const c = rng.range(1, 7);
    const k = rng.range(2, 6); // a - c, kept >= 2 so the collected coefficient is visible
    const a = c + k;
    const b = nonZero(rng, -20, 20);
    const d = k * x + b;
    prompt = `${linearSide(a, b)}=${linearSide(c, d)}`;
    steps.push(`${linearSide(k, b)}=${d}`);
    steps.push(`${linearSide(k, 0)}=${d - b}`);
  } else {
    const a = rng.range(2, 9);
    const b = nonZero(rng, -9, 9);
    const c = a * (x + b);
    prompt = `${a}(${linearSide(1, b)})=${c}`;
    steps.push(`${linearSide(a, a * b)}=${c}`);
    steps.push(`${linearSide(a, 0)}=${c - a * b}`);
  }
  steps.push(`x=${x}`);
  const answer = String(x);
  return {
    prompt: `Q: ${prompt}\n`,
    reference: [...steps, `answer: ${answer}`].join('\n'),
    meta: { kind: 'linear', form, steps, answer, answerLine: `answer: ${answer}` },
  };
}
