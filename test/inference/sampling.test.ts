import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseToken, logSumExp } from '../../src/inference/sampling.ts';
import { Rng } from '../../src/util/rng.ts';

test('temperature 1 without truncation draws by inverse CDF over softmax(row), one uniform per token', () => {
  const gen = new Rng(3);
  for (let trial = 0; trial < 50; trial++) {
    const V = 1 + gen.int(40);
    const row = Float32Array.from({ length: V }, () => (gen.next() - 0.5) * 8);
    const lse = logSumExp(row);
    // Reference: the first index whose cumulative probability passes the uniform.
    const u = new Rng(trial).next();
    let acc = 0, want = V - 1;
    for (let i = 0; i < V; i++) {
      acc += Math.exp(row[i] - lse);
      if (u < acc) { want = i; break; }
    }
    const got = chooseToken(row, { temperature: 1, topK: 0, topP: 1 }, new Rng(trial));
    // Rounding may move a draw sitting exactly on a boundary by one: accept only then.
    if (got.id !== want) assert.ok(Math.abs(acc - u) < 1e-9, `trial ${trial}: ${got.id} vs ${want}`);
    assert.ok(Math.abs(got.logprob - (row[got.id] - lse)) < 1e-9);
    assert.ok(Math.abs(got.maxLogprob - (Math.max(...row) - lse)) < 1e-9);
  }
  assert.throws(() => chooseToken(Float32Array.of(NaN, 1), { temperature: 1, topK: 0, topP: 1 }, new Rng(0)), /not finite/);
});
