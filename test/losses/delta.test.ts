import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deltaCoefficients, deltaFeatures } from '../../src/losses/delta.ts';

const close = (a: ArrayLike<number>, b: number[], tol: number, what: string) => {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < b.length; i++) assert.ok(Math.abs(a[i] - b[i]) < tol, `${what}[${i}]: ${a[i]} vs ${b[i]}`);
};

test('hand example: 1-D features [1, 5] rewarded, [1, -3] punished', () => {
  // mu+ = 3, mu- = -1, gammas 16; after one refinement mu+* = 3.5516, mu-* = -1.5516;
  // raw lambda [1.0, 1.1711] on both sides; rescaled to mean 1: [0.9212, 1.0788].
  const lam = deltaCoefficients([Float64Array.of(1, 5), Float64Array.of(1, -3)], 1, [1, -1]);
  close(lam[0], [0.9212, 1.0788], 1e-4, 'positive');
  close(lam[1], [0.9212, 1.0788], 1e-4, 'negative');
  // Without refinement the centroids stay at 3 and -1: sigmoid(32 / 16) for the far token.
  const raw0 = [1.0, 0.8 + 0.4 / (1 + Math.exp(-2))];
  const s = 4 / (2 * (raw0[0] + raw0[1]));
  close(deltaCoefficients([Float64Array.of(1, 5), Float64Array.of(1, -3)], 1, [1, -1], { refinements: 0 })[0], raw0.map((x) => x * s), 1e-6, 'K = 0');
});

test('limits: equal bounds give exactly 1; zero advantages get lamMin before rescaling; the mean is 1', () => {
  const f = [Float64Array.of(0.3, -1, 2, 0.5), Float64Array.of(1, 1, 3, -2), Float64Array.of(-2, 0.1, 0.7, 0.7)];
  for (const l of deltaCoefficients(f, 2, [0.7, 0, -1.3], { lamMin: 1.1, lamMax: 1.1 })) assert.ok(l.every((x) => x === 1));
  const lam = deltaCoefficients(f, 2, [0.7, 0, -1.3]);
  const all = lam.flatMap((l) => Array.from(l));
  assert.ok(Math.abs(all.reduce((a, b) => a + b, 0) / all.length - 1) < 1e-6);
  // The zero-advantage sequence's tokens share one value, the smallest possible: lamMin * scale.
  assert.equal(lam[1][0], lam[1][1]);
  assert.ok(all.every((x) => x >= lam[1][0] - 1e-7));
  // Bounds respected before the rescaling: every ratio to the smallest within [1, 1.2 / 0.8].
  assert.ok(all.every((x) => x / lam[1][0] <= 1.5 + 1e-6));
});

test('a token shared by both sides at equal distance from both centroids gets margin 0; sides with the same tokens give lambda 1 everywhere', () => {
  // Same three tokens on both sides: the centroids coincide, every margin is 0, raw lambda (0.8 + 1.2) / 2.
  for (const l of deltaCoefficients([Float64Array.of(2, 4, 0), Float64Array.of(0, 2, 4)], 1, [1, -1])) close(l, [1, 1, 1], 1e-6, 'lambda');
  // The hand example's shared token v = 1 is such a token: it gets sigmoid(0), the others more.
  const [pos] = deltaCoefficients([Float64Array.of(1, 5), Float64Array.of(1, -3)], 1, [1, -1]);
  assert.ok(Math.abs(pos[0] / pos[1] - 1.0 / 1.1711) < 1e-3);
});

test('deltaFeatures: (1 - p) h', () => {
  close(deltaFeatures(Float32Array.of(1, 2, -1, 4), Float32Array.of(Math.log(0.25), 0), 2), [0.75, 1.5, 0, 0], 1e-7, 'v');
  assert.throws(() => deltaFeatures(Float32Array.of(1, 2, 3), Float32Array.of(0), 2), /3 values, expected 1 tokens x 2/);
});

test('bad input: clear errors', () => {
  assert.throws(() => deltaCoefficients([Float64Array.of(1)], 1, [1, 2]), /2 advantages for 1 sequences/);
  assert.throws(() => deltaCoefficients([Float64Array.of(1)], 1, [1], { lamMin: 1.3, lamMax: 1.2 }), /lamMin <= lamMax/);
  assert.throws(() => deltaCoefficients([Float64Array.of(1, 2, 3)], 2, [1]), /not a multiple of dim 2/);
});
