/**
 * Final answers of math benchmarks: extracting them (`#### 42`, `\boxed{...}`, `answer: x`)
 * and comparing them (1,000 = 1000 = 1000.0; 3/4 = 0.75 = \frac{3}{4} = \dfrac34).
 */

/** Contents of the last `\boxed{...}` (or `\fbox{...}`), braces balanced; null if none. */
export function lastBoxed(text: string): string | null {
  const re = /\\(?:boxed|fbox)\s*\{/g;
  let found: string | null = null;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    let depth = 1;
    let i = m.index + m[0].length;
    const start = i;
    for (; i < text.length && depth > 0; i++) {
      if (text[i] === '{') depth++;
      else if (text[i] === '}') depth--;
    }
    if (depth === 0) found = text.slice(start, i - 1);
  }
  return found;
}

/**
 * The final answer of a solution or completion: the last `\boxed{}`, else what follows the
 * last `####`, else the last `answer: x` / `the answer is x`, else the last number.
 */
export function extractAnswer(text: string): string | null {
  const boxed = lastBoxed(text);
  if (boxed !== null) return boxed.trim();
  const hashes = text.lastIndexOf('####');
  if (hashes >= 0) return text.slice(hashes + 4).split('\n')[0].trim();
  const stated = [...text.matchAll(/(?:^|\n)\s*(?:final\s+)?answer\s*:\s*([^\n]+)|the (?:final )?answer is[:\s]*([^\n]+)/gi)];
  if (stated.length) {
    const last = stated[stated.length - 1];
    return (last[1] ?? last[2]).trim().replace(/\.$/, '');
  }
  const nums = text.match(/-?\d[\d,]*(?:\.\d+)?(?:\/\d+)?/g);
  return nums ? nums[nums.length - 1] : null;
}

/** Strips LaTeX and prose wrappers that do not change the value. */
export function normaliseAnswer(s: string): string {
  let t = s.trim();
  t = t.replace(/^\$+|\$+$/g, '').replace(/\\[,!;: ]/g, '').replace(/\\left|\\right/g, '');
  t = t.replace(/\\text\s*\{([^}]*)\}/g, '$1').replace(/\\mathrm\s*\{([^}]*)\}/g, '$1');
  t = t.replace(/\^\s*\{?\\circ\}?/g, '').replace(/\\%|%/g, '');
  t = t.replace(/\\[dt]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}/g, '($1)/($2)');
  t = t.replace(/\\[dt]?frac\s*(\d)(\d)/g, '$1/$2');
  t = t.replace(/\s+/g, '').replace(/\.$/, '');
  return t;
}

/** A rational value as [numerator, denominator], or null if the text is not a plain number. */
function numeric(s: string): number | null {
  const t = s.replace(/^\(([^()]*)\)$/, '$1');
  const frac = /^\(?(-?[\d,]*\.?\d+)\)?\/\(?(-?[\d,]*\.?\d+)\)?$/.exec(t);
  if (frac) {
    const [a, b] = [toNumber(frac[1]), toNumber(frac[2])];
    return a === null || b === null || b === 0 ? null : a / b;
  }
  return toNumber(t);
}

function toNumber(s: string): number | null {
  // Thousands separators only in the form 1,000 / 12,345,678.
  if (s.includes(',') && !/^-?\d{1,3}(,\d{3})+(\.\d+)?$/.test(s)) return null;
  const t = s.replace(/,/g, '');
  if (!/^-?(\d+\.?\d*|\.\d+)$/.test(t)) return null;
  return Number(t);
}

/** One spelling per value (numbers as a plain decimal, to 12 significant digits), for answer voting. */
export function canonicalAnswer(a: string): string {
  const x = normaliseAnswer(a);
  const p = numeric(x);
  return p === null ? x : String(Number(p.toPrecision(12)));
}

export function answersEqual(a: string, b: string): boolean {
  const [x, y] = [normaliseAnswer(a), normaliseAnswer(b)];
  if (x === y) return true;
  const [p, q] = [numeric(x), numeric(y)];
  if (p === null || q === null) return false;
  return Math.abs(p - q) <= 1e-9 * Math.max(1, Math.abs(p), Math.abs(q));
}
