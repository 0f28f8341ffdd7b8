/**
 * Minimal integer coefficients of a chemical equation: the null space of the
 * element-by-species matrix (products negated, plus a charge row), found by exact Gaussian
 * elimination over the rationals. Unique balancing needs a one-dimensional null space with
 * all entries of one sign.
 */
import type { Formula } from './formula.ts';
import { Q, gcd, lcm } from './rational.ts';

export class BalanceError extends Error {}

/** Rows: each element, then charge; columns: reactants then products (negated). */
export function compositionMatrix(reactants: Formula[], products: Formula[]): { rows: string[]; m: number[][] } {
  const species = [...reactants, ...products];
  const rows: string[] = [];
  for (const f of species) for (const el of f.counts.keys()) if (!rows.includes(el)) rows.push(el);
  const m = rows.map((el) => species.map((f, j) => (f.counts.get(el) ?? 0) * (j < reactants.length ? 1 : -1)));
  if (species.some((f) => f.charge !== 0)) {
    rows.push('charge');
    m.push(species.map((f, j) => f.charge * (j < reactants.length ? 1 : -1)));
  }
  return { rows, m };
}

/**
 * Basis of the null space of an integer matrix, as rational vectors. Rows stay integer
 * (fraction-free elimination, each row divided by its gcd), which is exact and much cheaper
 * than rational arithmetic at every step.
 */
export function nullSpace(m: number[][], cols: number): Q[][] {
  const a = m.map((row) => row.map(BigInt));
  const pivots: number[] = [];
  let r = 0;
  for (let c = 0; c < cols && r < a.length; c++) {
    const p = a.findIndex((row, i) => i >= r && row[c] !== 0n);
    if (p < 0) continue;
    [a[r], a[p]] = [a[p], a[r]];
    for (let i = 0; i < a.length; i++) {
      if (i === r || a[i][c] === 0n) continue;
      const [x, y] = [a[r][c], a[i][c]];
      const row = a[i].map((v, j) => v * x - a[r][j] * y);
      const g = row.reduce((acc, v) => gcd(acc, v), 0n);
      a[i] = g > 1n ? row.map((v) => v / g) : row;
    }
    pivots.push(c);
    r++;
  }
  const free = Array.from({ length: cols }, (_, c) => c).filter((c) => !pivots.includes(c));
  return free.map((f) => {
    const v = Array.from({ length: cols }, () => Q.of(0));
    v[f] = Q.of(1);
    // Row i reads a[i][pc] x_pc + a[i][f] x_f = 0 (other pivot columns are zero in it).
    pivots.forEach((pc, i) => (v[pc] = new Q(-a[i][f], a[i][pc])));
    return v;
  });
}

/** The smallest positive integer coefficients, or a BalanceError saying why there are none. */
export function balance(reactants: Formula[], products: Formula[]): number[] {
  if (!reactants.length || !products.length) throw new BalanceError('an equation needs species on both sides');
  const cols = reactants.length + products.length;
  const basis = nullSpace(compositionMatrix(reactants, products).m, cols);
  if (basis.length === 0) throw new BalanceError('cannot be balanced: the only solution is all zeros');
  if (basis.length > 1) {
    throw new BalanceError(`not uniquely balanceable: ${basis.length} independent sets of coefficients (two reactions mixed?)`);
  }
  const v = basis[0];
  const den = v.reduce((acc, x) => lcm(acc, x.d), 1n);
  let ints = v.map((x) => (x.n * den) / x.d);
  const g = ints.reduce((acc, x) => gcd(acc, x), 0n);
  ints = ints.map((x) => x / g);
  if (ints.every((x) => x < 0n)) ints = ints.map((x) => -x);
  if (!ints.every((x) => x > 0n)) {
    throw new BalanceError('cannot be balanced with positive coefficients (a species is on the wrong side)');
  }
  return ints.map(Number);
}
