import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFormula } from '../../../src/envs/science/chem/formula.ts';
import { parseEquation } from '../../../src/envs/science/chem/equation.ts';
import { balance } from '../../../src/envs/science/chem/balance.ts';
import { salt } from '../../../src/envs/science/chem/generate.ts';
import { verifyChem } from '../../../src/envs/science/chem/verify.ts';
import type { Task } from '../../../src/envs/types.ts';

const counts = (f: string) => Object.fromEntries(parseFormula(f).counts);

test('formulas with groups, hydrates and brackets', () => {
  assert.deepEqual(counts('Ca(OH)2'), { Ca: 1, O: 2, H: 2 });
  assert.deepEqual(counts('Fe2(SO4)3'), { Fe: 2, S: 3, O: 12 });
  assert.deepEqual(counts('CuSO4·5H2O'), { Cu: 1, S: 1, O: 9, H: 10 });
  assert.deepEqual(counts('CuSO4*5H2O'), counts('CuSO4·5H2O'));
  assert.deepEqual(counts('CuSO4.5H2O'), counts('CuSO4·5H2O'));
  assert.deepEqual(counts('K4[Fe(CN)6]'), { K: 4, Fe: 1, C: 6, N: 6 });
  assert.deepEqual(counts('(NH4)3PO4'), { N: 3, H: 12, P: 1, O: 4 });
  assert.deepEqual(counts('Co'), { Co: 1 });
  assert.deepEqual(counts('CO'), { C: 1, O: 1 });
});

test('charges in every accepted spelling', () => {
  const charge = (f: string) => parseFormula(f).charge;
  assert.deepEqual(['Fe+3', 'Fe^3+', 'Fe^+3', 'SO4^2-', 'SO4^-2', 'Na+', 'Cl-', 'NH4^+', 'e-', 'H2O'].map(charge), [3, 3, 3, -2, -2, 1, -1, 1, -1, 0]);
  assert.deepEqual(counts('SO4^2-'), { S: 1, O: 4 });
  assert.deepEqual(counts('e-'), {});
});

test('malformed formulas are refused with the reason', () => {
  assert.throws(() => parseFormula('Xx2'), /unknown element 'Xx'/);
  assert.throws(() => parseFormula('Ca(OH2'), /missing '\)'/);
  assert.throws(() => parseFormula('H2$O'), /unexpected '\$'/);
  assert.throws(() => parseFormula('2H2O'), /starts with a number/);
  assert.throws(() => parseFormula('e+'), /electron/);
});

const balanced = (eq: string) => {
  const e = parseEquation(eq);
  return balance(e.reactants.map((s) => s.formula), e.products.map((s) => s.formula));
};

test('balancing known equations gives their minimal coefficients', () => {
  assert.deepEqual(balanced('H2+O2=H2O'), [2, 1, 2]);
  assert.deepEqual(balanced('C3H8+O2=CO2+H2O'), [1, 5, 3, 4]);
  assert.deepEqual(balanced('KMnO4+HCl=KCl+MnCl2+H2O+Cl2'), [2, 16, 2, 2, 8, 5]);
  assert.deepEqual(balanced('Cu+HNO3=Cu(NO3)2+NO+H2O'), [3, 8, 3, 2, 4]);
  assert.deepEqual(balanced('Ca3(PO4)2+SiO2+C=CaSiO3+P4+CO'), [2, 6, 10, 6, 1, 10]);
  assert.deepEqual(balanced('As2S3+HNO3+H2O=H3AsO4+H2SO4+NO'), [3, 28, 4, 6, 9, 28]);
  assert.deepEqual(balanced('CuSO4·5H2O=CuSO4+H2O'), [1, 1, 5]);
});

test('redox with charges: the charge row takes part', () => {
  assert.deepEqual(balanced('MnO4^- + Fe^2+ + H^+ = Mn^2+ + Fe^3+ + H2O'), [1, 5, 8, 1, 5, 4]);
  assert.deepEqual(balanced('Cr2O7^2- + H^+ + e- = Cr^3+ + H2O'), [1, 14, 6, 2, 7]);
  assert.deepEqual(balanced('Al + OH^- + H2O = AlO2^- + H2'), [2, 2, 2, 2, 3]);
  assert.deepEqual(balanced('Fe+3 + e- = Fe+2'), [1, 1, 1]);
});

test('equations that cannot be balanced uniquely say why', () => {
  assert.throws(() => balanced('H2O=O2'), /only solution is all zeros/);
  assert.throws(() => balanced('H2+O2=H2O2+H2O'), /not uniquely balanceable: 2/);
  assert.throws(() => balanced('H2O=H2O2+O2'), /wrong side|all zeros/);
});

test('compact equations split on + except charge signs; spaced ones on " + "', () => {
  const e = parseEquation('2H2+O2=2H2O');
  assert.deepEqual(e.reactants.map((s) => [s.coef, s.text]), [[2, 'H2'], [null, 'O2']]);
  const ions = parseEquation('Na^++Cl^-=NaCl');
  assert.deepEqual(ions.reactants.map((s) => s.text), ['Na^+', 'Cl^-']);
  const spaced = parseEquation('Fe+3 + e- -> Fe+2');
  assert.deepEqual([spaced.reactants.map((s) => s.formula.charge), spaced.products[0].formula.charge], [[3, -1], 2]);
  assert.throws(() => parseEquation('H2+O2'), /no '='/);
});

test('ionic salts get parentheses only around polyatomic ions', () => {
  assert.equal(salt({ sym: 'Al', charge: 3 }, { sym: 'SO4', charge: -2 }), 'Al2(SO4)3');
  assert.equal(salt({ sym: 'Ca', charge: 2 }, { sym: 'OH', charge: -1 }), 'Ca(OH)2');
  assert.equal(salt({ sym: 'NH4', charge: 1 }, { sym: 'PO4', charge: -3 }), '(NH4)3PO4');
  assert.equal(salt({ sym: 'Ca', charge: 2 }, { sym: 'Cl', charge: -1 }), 'CaCl2');
  assert.equal(salt({ sym: 'H', charge: 1 }, { sym: 'OH', charge: -1 }), 'H2O');
});

const task = (eq: string, coefficients: number[]): Task => ({ id: 't', env: 'science', level: 1, prompt: `Q: ${eq}\n`, meta: { kind: 'chem', equation: eq, coefficients } });
const h2o = task('H2+O2=H2O', [2, 1, 2]);

test('verifier: correct, with optional A: prefix and 1 coefficients', () => {
  for (const c of ['2H2+O2=2H2O', 'A: 2H2+1O2=2H2O', '2 H2 + O2 -> 2 H2O', 'I think\n2H2+O2=2H2O']) {
    const o = verifyChem(h2o, c);
    assert.deepEqual([o.correct, o.reward, o.feedback.items], [true, 1, []], c);
  }
});

test('verifier: element imbalance per element with left and right counts', () => {
  const o = verifyChem(h2o, 'H2+O2=H2O');
  assert.equal(o.correct, false);
  assert.deepEqual(o.feedback.items.map((i) => [i.kind, i.where?.element, i.expected, i.actual, i.text]), [['element_imbalance', 'O', '2', '1', 'O: 2 left, 1 right']]);
  const two = verifyChem(h2o, '2H2+2O2=2H2O');
  assert.deepEqual(two.feedback.items.map((i) => i.where?.element), ['O']);
  const both = verifyChem(h2o, '3H2+O2=H2O');
  assert.deepEqual(both.feedback.items.map((i) => i.where?.element), ['H', 'O']);
});

test('verifier: charge imbalance, not minimal, malformed, species changed', () => {
  const ion = task('MnO4^- + Fe^2+ + H^+ = Mn^2+ + Fe^3+ + H2O', [1, 5, 8, 1, 5, 4]);
  assert.equal(verifyChem(ion, 'MnO4^- + 5Fe^2+ + 8H^+ = Mn^2+ + 5Fe^3+ + 4H2O').correct, true);
  // Atoms balance but charge does not: 1 electron short.
  const e = task('Fe^3+ + e- = Fe^2+', [1, 1, 1]);
  const o = verifyChem(e, 'Fe^3+ + 2e- = Fe^2+');
  assert.deepEqual(o.feedback.items.map((i) => [i.kind, i.expected, i.actual]), [['charge_imbalance', '+1', '+2']]);

  const big = verifyChem(h2o, '4H2+2O2=4H2O');
  assert.deepEqual([big.correct, big.feedback.items[0].kind, big.feedback.items[0].expected], [false, 'not_minimal', '2H2+O2=2H2O']);

  const bad = verifyChem(h2o, '2H2+O2=2H2Q');
  assert.deepEqual([bad.correct, bad.feedback.items[0].kind], [false, 'format']);
  const changed = verifyChem(h2o, '2H2+O2=2H2O2');
  assert.deepEqual([changed.correct, changed.feedback.items[0].kind, changed.feedback.items[0].expected], [false, 'format', 'H2+O2=H2O']);
  const empty = verifyChem(h2o, '   ');
  assert.equal(empty.feedback.items[0].kind, 'format');
});
