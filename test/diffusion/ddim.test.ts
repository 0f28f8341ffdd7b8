import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ddimCoefficients, ddimLogProb } from '../../src/diffusion/ddim.ts';
import { NoiseSchedule } from '../../src/diffusion/schedule.ts';
import { Rng } from '../../src/util/rng.ts';

const close = (a: number, b: number, tol = 1e-5) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

test('1-D DDIM step by hand: abar 0.5 -> 0.8, eps 0.2, x_t 1, x_prev 0.9, eta 1', () => {
  const c = ddimCoefficients(0.5, 0.8, 1);
  close(c.sigma * c.sigma, 0.15);
  close(c.cx * 1 + c.ce * 0.2, 1.130747);
  // x0_hat = (1 - sqrt(0.5) 0.2)/sqrt(0.5) enters mu through cx and ce; check it separately.
  close((1 - Math.sqrt(0.5) * 0.2) / Math.sqrt(0.5), 1.214214);
  const dEps = new Float32Array(1);
  const lp = ddimLogProb(c, Float32Array.of(1), Float32Array.of(0.2), Float32Array.of(0.9), 1, { dLogp: [1], dEps });
  close(lp[0], -0.147859);
  close(dEps[0], 1.031932);
});

for (const clip of [false, true]) test(`d log pi / d eps matches central differences over several pixels and images (x0 clipped: ${clip})`, () => {
  const rng = new Rng(3);
  const P = 5, n = 3;
  const c = ddimCoefficients(0.3, 0.45, 1, clip);
  const r = (k: number) => Float32Array.from({ length: k }, () => rng.normal());
  const xt = r(n * P), eps = r(n * P), xPrev = r(n * P);
  if (clip) {
    // Some x0_hat beyond +-1 (clamped: only the direction term moves mu), some inside.
    const x0 = Array.from(xt, (x, i) => (x - c.sb * eps[i]) / c.sa);
    assert.ok(x0.some((v) => Math.abs(v) > 1.05) && x0.some((v) => Math.abs(v) < 0.95));
  }
  const w = [0.7, -1.3, 2.1];
  const dEps = new Float32Array(n * P);
  ddimLogProb(c, xt, eps, xPrev, P, { dLogp: w, dEps });
  const L = (e: Float32Array) => ddimLogProb(c, xt, e, xPrev, P).reduce((a, v, i) => a + w[i] * v, 0);
  for (let i = 0; i < n * P; i++) {
    const h = 1e-3, p = Float32Array.from(eps), m = Float32Array.from(eps);
    p[i] += h;
    m[i] -= h;
    close(dEps[i], (L(p) - L(m)) / (2 * h), 2e-3 * Math.max(1, Math.abs(dEps[i])));
  }
});

test('eta = 1 variance is the DDPM posterior variance for consecutive timesteps', () => {
  const s = new NoiseSchedule();
  for (const t of [1, 10, 500, 999]) {
    const abar = s.alphaBar[t], abarPrev = s.alphaBar[t - 1];
    const beta = 1 - abar / abarPrev;
    close(ddimCoefficients(abar, abarPrev, 1).sigma ** 2, ((1 - abarPrev) / (1 - abar)) * beta, 1e-12);
  }
});

test('the log-prob of the sampled step is a Gaussian density: x_prev = mu gives the peak', () => {
  const c = ddimCoefficients(0.5, 0.8, 1);
  const mu = c.cx * 1 + c.ce * 0.2;
  const lp = ddimLogProb(c, Float32Array.of(1), Float32Array.of(0.2), Float32Array.of(mu), 1)[0];
  close(lp, -Math.log(c.sigma) - 0.5 * Math.log(2 * Math.PI));
});

test('eta = 0 has no density: a clear error', () => {
  assert.throws(() => ddimLogProb(ddimCoefficients(0.5, 0.8, 0), Float32Array.of(1), Float32Array.of(0), Float32Array.of(1), 1), /eta > 0/);
});

test('schedule: alpha-bar decreases; the DDIM grid runs from noisy to t = 0 and ends at t = 1 -> abar_0', () => {
  const s = new NoiseSchedule();
  for (let t = 1; t < s.T; t++) assert.ok(s.alphaBar[t] < s.alphaBar[t - 1]);
  const g = s.ddimSteps(20);
  assert.equal(g.length, 20);
  assert.equal(g[0].t, 951);
  assert.equal(g[19].t, 1);
  assert.equal(g[19].abarPrev, s.alphaBar[0]);
  assert.equal(g[0].abarPrev, s.alphaBar[901]);
  for (const st of g) assert.ok(st.abarPrev > st.abar);
  assert.throws(() => s.ddimSteps(0), /DDIM steps/);
});
