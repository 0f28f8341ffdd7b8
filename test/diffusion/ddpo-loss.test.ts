import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ddimCoefficients, ddimLogProb } from '../../src/diffusion/ddim.ts';
import { ddpoSurrogate } from '../../src/diffusion/ddpo-loss.ts';
import { sampleDdim } from '../../src/diffusion/sampler.ts';
import { NoiseSchedule } from '../../src/diffusion/schedule.ts';
import { noGrad } from '../../src/engine/index.ts';
import { Rng } from '../../src/util/rng.ts';
import { tinyDenoiser } from './helpers.ts';

test('clipped surrogate by hand (clip range 0.1, 2 rows)', () => {
  const c = 0.1;
  // A = 1, rho = 1.5: the clipped branch (-1.1) beats -1.5: no gradient.
  // A = -1, rho = 1.5: the unclipped branch (1.5) beats 1.1: gradient -A rho / N = 0.75.
  const r = ddpoSurrogate('is', [Math.log(1.5), Math.log(1.5)], [0, 0], [1, -1], c);
  assert.ok(Math.abs(r.loss - (-1.1 + 1.5) / 2) < 1e-12);
  assert.deepEqual([...r.dLogp], [0, 0.75]);
  assert.equal(r.clipFrac, 0.5);
  // A = 1, rho = 0.5: unclipped -0.5 beats -0.9: gradient -0.5 / 1.
  const s = ddpoSurrogate('is', [Math.log(0.5)], [0], [1], c);
  assert.ok(Math.abs(s.dLogp[0] + 0.5) < 1e-12);
  assert.ok(Math.abs(s.approxKl - 0.5 * Math.log(0.5) ** 2) < 1e-12);
});

test('REINFORCE: loss -A logp, gradient -A / N whatever the ratio', () => {
  const r = ddpoSurrogate('sf', [-2, 3], [0, 0], [2, -1], 1e-4);
  assert.equal(r.loss, (4 + 3) / 2);
  assert.deepEqual([...r.dLogp], [-1, 0.5]);
});

test('at the first update rho = 1 and DDPO_IS gives the same gradient as DDPO_SF', () => {
  const m = tinyDenoiser(7);
  const s = new NoiseSchedule();
  const labels = [0, 3, 3, 9];
  const tr = sampleDdim(m, s, labels, new Rng(1), { steps: 5, eta: 1 });
  const P = m.P;
  const logp: number[] = [], old: number[] = [];
  tr.steps.forEach((st, k) => {
    // Recompute all images of step k as the trainer does (one batched forward).
    const eps = noGrad(() => Float32Array.from(m.predict(tr.latents[k], labels.map(() => st.t), labels).data));
    const lp = ddimLogProb(ddimCoefficients(st.abar, st.abarPrev, 1, true), tr.latents[k], eps, tr.latents[k + 1], P);
    for (let i = 0; i < labels.length; i++) {
      logp.push(lp[i]);
      old.push(tr.logps[k][i]);
    }
  });
  const adv = logp.map((_, r) => ((r * 7) % 5) - 2);
  const is = ddpoSurrogate('is', logp, old, adv, 1e-4), sf = ddpoSurrogate('sf', logp, old, adv, 1e-4);
  for (let r = 0; r < logp.length; r++) assert.ok(Math.abs(Math.exp(logp[r] - old[r]) - 1) < 1e-5, `row ${r}: ratio ${Math.exp(logp[r] - old[r])}`);
  assert.equal(is.clipFrac, 0);
  for (let r = 0; r < logp.length; r++) assert.ok(Math.abs(is.dLogp[r] - sf.dLogp[r]) < 1e-5 * Math.max(1, Math.abs(sf.dLogp[r])), `row ${r}`);
});

test('bad input: mismatched lengths, no rows, bad clip range', () => {
  assert.throws(() => ddpoSurrogate('is', [0], [0, 0], [1], 0.1), /old log-probs/);
  assert.throws(() => ddpoSurrogate('is', [], [], [], 0.1), /no rows/);
  assert.throws(() => ddpoSurrogate('is', [0], [0], [1], 0), /clip range/);
});
