import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initMlp, meanSquaredError, mlpForward, mseGradient, Rnd, RunningMeanStd, type Mlp, type RndOptions } from '../../src/losses/rnd.ts';
import { ngramFeatures } from '../../src/losses/ngram-features.ts';
import { Rng } from '../../src/util/rng.ts';

test('mlpForward and the bonus on hand-set weights: mean over features of the squared difference', () => {
  // 2 -> 2 (ReLU) -> 2. W1 = [[1, -1], [2, 0]], b1 = [0, -1]; W2 = [[1, 1], [0, -1]], b2 = [0.5, 0].
  const net: Mlp = { sizes: [2, 2, 2], params: [Float64Array.from([1, -1, 2, 0]), Float64Array.from([0, -1]), Float64Array.from([1, 1, 0, -1]), Float64Array.from([0.5, 0])] };
  // x = [1, 3]: h = relu([1 - 3, 2 - 1]) = [0, 1]; y = [0 + 1 + 0.5, -1] = [1.5, -1].
  const acts = mlpForward(net, [1, 3]);
  assert.deepEqual(Array.from(acts[1]), [0, 1]);
  assert.deepEqual(Array.from(acts[2]), [1.5, -1]);
  // Against a target output [0.5, 1]: ((1.5 - 0.5)^2 + (-1 - 1)^2) / 2 = (1 + 4) / 2 = 2.5 (a mean, not 0.5 * sum).
  assert.equal(meanSquaredError(acts[2], [0.5, 1]), 2.5);
});

test('mseGradient matches central finite differences', () => {
  const rng = new Rng(3);
  const net = initMlp([5, 4, 4, 3], rng);
  net.params.forEach((p) => p.forEach((_, i) => (p[i] += 0.1 * rng.normal()))); // non-zero biases too
  const xs = [0, 1, 2].map(() => Array.from({ length: 5 }, () => rng.normal()));
  const ts = [0, 1, 2].map(() => Array.from({ length: 3 }, () => rng.normal()));
  const { loss, grads } = mseGradient(net, xs, ts);
  const lossOf = () => xs.reduce((a, x, r) => a + meanSquaredError(mlpForward(net, x).at(-1)!, ts[r]) / xs.length, 0);
  assert.ok(Math.abs(loss - lossOf()) < 1e-12);
  net.params.forEach((p, k) => {
    for (let i = 0; i < p.length; i++) {
      const keep = p[i], h = 1e-6;
      p[i] = keep + h;
      const up = lossOf();
      p[i] = keep - h;
      const down = lossOf();
      p[i] = keep;
      const fd = (up - down) / (2 * h);
      assert.ok(Math.abs(fd - grads[k][i]) < 1e-7, `param ${k}[${i}]: analytic ${grads[k][i]}, finite difference ${fd}`);
    }
  });
});

test('RunningMeanStd combines batch moments from mean 0, var 1, count 1e-4 (hand values)', () => {
  const s = new RunningMeanStd(1);
  s.update([[1], [3]]);
  // batch mean 2, population var 1, n 2; tot = 2.0001
  const tot = 2.0001;
  assert.ok(Math.abs(s.mean[0] - (2 * 2) / tot) < 1e-15);
  assert.ok(Math.abs(s.var[0] - (1e-4 * 1 + 1 * 2 + (4 * 1e-4 * 2) / tot) / tot) < 1e-15);
  assert.equal(s.count, tot);
});

const OPTS: RndOptions = { inputDim: 64, hidden: 16, outputDim: 8, lr: 1e-2, updates: 1, gamma: 0, seed: 1 };
const feats = (texts: string[]) => texts.map((t) => ngramFeatures('Q: lock 1\n', t, 64));

test('the bonus is normalised by the running std of the intrinsic return (forward filter, gamma 0.99)', () => {
  const rnd = new Rnd({ ...OPTS, gamma: 0.99 });
  const a = rnd.step(feats(['A: 1', 'A: 22']));
  // Step 1: R = r; stats from mean 0, var 1, count 1e-4 over the two returns.
  const [r1, r2] = a.raw;
  const m = (r1 + r2) / 2, v = ((r1 - m) ** 2 + (r2 - m) ** 2) / 2, tot = 2.0001;
  const var1 = (1e-4 + v * 2 + (m * m * 1e-4 * 2) / tot) / tot;
  assert.ok(Math.abs(a.bonus[0] - r1 / Math.sqrt(var1)) < 1e-12);
  const b = rnd.step(feats(['A: 1', 'A: 22']));
  // Step 2: R_i = 0.99 R_i + r_i per slot; the stats combine with those of step 1.
  const R = [0.99 * r1 + b.raw[0], 0.99 * r2 + b.raw[1]];
  const mean1 = (m * 2) / tot;
  const m2 = (R[0] + R[1]) / 2, v2 = ((R[0] - m2) ** 2 + (R[1] - m2) ** 2) / 2, tot2 = tot + 2;
  const var2 = (var1 * tot + v2 * 2 + ((m2 - mean1) ** 2 * tot * 2) / tot2) / tot2;
  assert.ok(Math.abs(b.bonus[1] - b.raw[1] / Math.sqrt(var2)) < 1e-12);
  assert.deepEqual(rnd.filter, R);
});

test('the bonus falls on inputs seen again and again, and stays high on a new one', () => {
  const rnd = new Rnd(OPTS);
  const seen = feats(['A: 1', 'A: 2', 'A: 3', 'A: 4']);
  const raw: number[] = [];
  for (let i = 0; i < 30; i++) raw.push(rnd.step(seen).raw.reduce((x, y) => x + y, 0) / 4);
  for (let i = 1; i < raw.length; i++) assert.ok(raw[i] < raw[i - 1], `step ${i}: ${raw[i]} after ${raw[i - 1]}`);
  assert.ok(raw.at(-1)! < raw[0] / 5, `fell only from ${raw[0]} to ${raw.at(-1)}`);
  const seenNow = rnd.errors(seen.map((x) => rnd.whiten(x)));
  const fresh = rnd.errors(feats(['A: 97', 'lock 5\nA: 31']).map((x) => rnd.whiten(x)));
  const maxSeen = Math.max(...seenNow);
  for (const f of fresh) assert.ok(f > 5 * maxSeen, `new input bonus ${f} vs seen ${maxSeen}`);
});

test('RND state round-trips through JSON: a restored copy continues bit for bit', () => {
  const batches = [['A: 1', 'A: 2'], ['A: 12', 'xyz'], ['A: 1', 'A: 5'], ['7', 'A: 7']].map(feats);
  const whole = new Rnd({ ...OPTS, gamma: 0.9, updates: 2 });
  const out = batches.map((b) => whole.step(b));
  const first = new Rnd({ ...OPTS, gamma: 0.9, updates: 2 });
  first.step(batches[0]);
  first.step(batches[1]);
  const restored = new Rnd({ ...OPTS, gamma: 0.9, updates: 2 });
  restored.load(JSON.parse(JSON.stringify(first.state())));
  const rest = batches.slice(2).map((b) => restored.step(b));
  rest.forEach((r, i) => {
    assert.deepEqual(r.bonus, out[i + 2].bonus);
    assert.deepEqual(r.raw, out[i + 2].raw);
    assert.equal(r.loss, out[i + 2].loss);
  });
  assert.deepEqual(restored.state(), whole.state());
  assert.throws(() => new Rnd({ ...OPTS, hidden: 8 }).load(whole.state()), /RND state of another shape/);
});

test('ngramFeatures: counts of hashed 1-3-grams, prompt and completion apart', () => {
  const f = ngramFeatures('ab', 'c', 1 << 20);
  // prompt 'ab': 2 + 1 = 3 n-grams; completion framed '\u0002c\u0003': 3 + 2 + 1 = 6.
  assert.equal(f.reduce((a, b) => a + b, 0), 9);
  assert.notDeepEqual(ngramFeatures('ab', 'c', 512), ngramFeatures('c', 'ab', 512));
  assert.throws(() => ngramFeatures('a', 'b', 0), /buckets must be/);
});
