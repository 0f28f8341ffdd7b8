/**
 * Test helpers for the losses: tolerant comparison and a central-difference gradient check.
 * Losses return float64 loss values computed from float32 logits, so the finite difference
 * divides by the step actually stored in float32 (not the nominal h), which keeps the check
 * accurate to O(h^2).
 */
import assert from 'node:assert/strict';
import type { LossResult } from '../../src/losses/types.ts';

export function near(actual: number, expected: number, tol = 1e-6, msg = ''): void {
  const ok = Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected));
  assert.ok(ok, `${msg} expected ${expected}, got ${actual} (diff ${actual - expected})`);
}

export function nearArray(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-6, msg = ''): void {
  assert.equal(actual.length, expected.length, `${msg} length`);
  for (let i = 0; i < expected.length; i++) near(actual[i], expected[i], tol, `${msg}[${i}]`);
}

/** Float32 logits from log-probabilities (so softmax(logits) = the given probs up to f32 rounding). */
export function logitsOf(rows: number[][]): Float32Array {
  return Float32Array.from(rows.flat());
}

/** Deterministic pseudo-random logits in [-scale, scale] (no Math.random). */
export function randomLogits(n: number, seed = 1, scale = 2): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    out[i] = ((s / 4294967296) * 2 - 1) * scale;
  }
  return out;
}

/**
 * Checks result.grad against central differences of result.loss for every logit.
 * `f` must recompute the loss from a (perturbed) copy of the logits.
 */
export function checkGrad(f: (logits: Float32Array) => LossResult, logits: Float32Array, tol = 2e-5, h = 1e-3): void {
  const g = f(logits).grad;
  assert.equal(g.length, logits.length, 'grad length');
  let maxAbs = 0;
  for (let i = 0; i < logits.length; i++) maxAbs = Math.max(maxAbs, Math.abs(g[i]));
  for (let i = 0; i < logits.length; i++) {
    const plus = Float32Array.from(logits), minus = Float32Array.from(logits);
    plus[i] += h;
    minus[i] -= h;
    const fd = (f(plus).loss - f(minus).loss) / (plus[i] - minus[i]);
    const ok = Math.abs(fd - g[i]) <= tol * Math.max(1, maxAbs);
    assert.ok(ok, `grad[${i}]: analytic ${g[i]}, finite difference ${fd}`);
  }
}
