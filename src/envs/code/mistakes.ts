/**
 * Plausible wrong attempts at a generated task: the reference with one slip of the kind a
 * learner makes (a constant off by one, the wrong operator or comparison, the arguments
 * swapped, an off-by-one in a loop bound). Pretraining corpora pair such attempts with the
 * env's feedback and the corrected solution; a slip can happen to be harmless, so callers
 * evaluate the attempt rather than assume it is wrong.
 */
import type { Rng } from '../../util/rng.ts';

type Slip = (code: string, rng: Rng) => string | undefined;

/** Replaces the match at a random one of the places `re` matches, via `to`. */
function atRandom(code: string, re: RegExp, rng: Rng, to: (m: string) => string): string | undefined {
  const hits = [...code.matchAll(new RegExp(re.source, 'g'))];
  if (!hits.length) return undefined;
  const h = rng.pick(hits);
  return code.slice(0, h.index!) + to(h[0]) + code.slice(h.index! + h[0].length);
}

const SWAP_OP: Record<string, string[]> = { '+': ['-', '*'], '-': ['+'], '*': ['+'], '>': ['<', '>='], '<': ['>', '<='] };

const slips: Slip[] = [
  // A constant off by one (digits after `return`/operators, not inside names).
  (c, rng) => atRandom(c, /(?<=[^\w.])\d+(?![\w.])/, rng, (d) => String(Math.max(0, Number(d) + rng.pick([-1, 1])))),
  // The wrong arithmetic operator or comparison (not in `=>`, `++`, `+=`, `>=`).
  (c, rng) => atRandom(c, /(?<![=+\-<>!])[+\-*<>](?![=+\->])/, rng, (op) => rng.pick(SWAP_OP[op] ?? [op])),
  // Arguments swapped in the body.
  (c) => (/\(x,y\)/.test(c) ? c.replace(/\{(.*)\}$/s, (body) => body.replace(/[xy]/g, (v) => (v === 'x' ? 'y' : 'x'))) : undefined),
  // The wrong method or test (string and array levels).
  (c, rng) => {
    const swaps = [['toUpperCase', 'toLowerCase'], ['.reverse()', ''], ['===', '!=='], ['slice(1)', 'slice(2)'], ['Math.max', 'Math.min'], ['c+c', 'c'], ['[aeiou]', '[aeio]']];
    const ok = swaps.filter(([from]) => c.includes(from));
    if (!ok.length) return undefined;
    const [from, to] = rng.pick(ok);
    return c.replace(from, to);
  },
  // A loop or slice bound off by one.
  (c) => (c.includes('i<a.length') ? c.replace('i<a.length', 'i<a.length-1') : c.includes('let i=1') ? c.replace('let i=1', 'let i=2') : undefined),
];

export function plausibleMistake(reference: string, rng: Rng): string {
  const order = rng.shuffle(slips.map((_, i) => i));
  for (const i of order) {
    const out = slips[i](reference, rng);
    if (out !== undefined && out !== reference) return out;
  }
  // Nothing applied: drop the last character (a syntax error is a mistake too).
  return reference.slice(0, -1);
}
