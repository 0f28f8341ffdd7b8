import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsKernels, record, setKernels, Tensor } from '../../src/engine/index.ts';
import { Rng } from '../../src/util/rng.ts';
import { assertGrad, gradcheck, randn } from './gradcheck.ts';

setKernels(jsKernels);

/** x^3 with a chosen backward, to show the checker tells right from wrong. */
function cube(x: Tensor, wrong: boolean): Tensor {
  const out = Tensor.from(x.data.map((v) => v * v * v), [...x.shape]);
  return record(out, [x], (g) => {
    const acc = x.beginGrad();
    for (let i = 0; i < g.length; i++) {
      const d = g[i] * (wrong ? 2 * x.data[i] * x.data[i] : 3 * x.data[i] * x.data[i]);
      x.gradBuf[i] = acc ? x.gradBuf[i] + d : d;
    }
  });
}

test('gradcheck accepts a correct gradient', () => {
  const x = randn(new Rng(1), [3, 4]);
  assertGrad((x) => cube(x, false), [x]);
});

test('gradcheck catches a deliberately wrong gradient (2x^2 instead of 3x^2)', () => {
  const x = randn(new Rng(1), [3, 4]);
  const r = gradcheck((x) => cube(x, true), [x]);
  assert.ok(r.checked > 0);
  assert.ok(r.failures > r.checked / 2, `only ${r.failures}/${r.checked} failures`);
  assert.throws(() => assertGrad((x) => cube(x, true), [x]), /disagree/);
});
