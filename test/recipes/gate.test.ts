import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { Transformer } from '../../src/nn/transformer.ts';
import { Corpus, DEFAULT_CORPUS } from '../../src/recipes/corpus.ts';
import { gateDistance, pickCheckpoint, runGate, type GateReport } from '../../src/recipes/gate.ts';
import { DEFAULT_GATE, type GateConfig } from '../../src/recipes/pretrain-config.ts';
import { tinyModelConfig, tinyTokenizer } from '../../src/recipes/tiny.ts';
import { Rng } from '../../src/util/rng.ts';

const cfg: GateConfig = { ...DEFAULT_GATE, rlLevels: [3], levels: [2, 3], n: 3, kinds: ['feedback', 'critique'] };

test('gate: a tiny random model gives well-formed rates and a table', async () => {
  const tok = tinyTokenizer();
  const model = new Transformer(tinyModelConfig('micro', tok.vocabSize), new Rng(1));
  const corpus = await Corpus.open({ ...DEFAULT_CORPUS, envs: [{ name: 'math', levels: [2, 3] }] });
  const r = await runGate(model, tok, cfg, corpus, 7);
  const again = await runGate(model, tok, cfg, corpus, 7);
  await corpus.close();
  assert.deepEqual(r, again, 'the gate is deterministic');
  assert.equal(r.step, 7);
  assert.equal(r.env, 'math');
  assert.deepEqual(r.levels.map((l) => l.level), [2, 3]);
  const rate = (x: number) => assert.ok(x >= 0 && x <= 1, `rate ${x}`);
  for (const l of r.levels) {
    assert.equal(l.n, 3);
    [l.studentSampled, l.studentGreedy, l.referenceExact].forEach(rate);
    for (const k of cfg.kinds) {
      const x = l.kinds[k];
      [x.keep, x.fix, x.studentSame].forEach(rate);
      assert.ok(Math.abs(x.advantage - (x.fix - x.studentSame)) < 1e-12);
      assert.ok(x.nWrong >= 1 && x.nWrong <= 3);
    }
    assert.equal(typeof l.pass.reference, 'boolean');
  }
  assert.ok(['feedback', 'critique'].includes(r.rl.bestKind));
  assert.match(r.table, /gate at step 7/);
  assert.match(r.table, /\(RL\)/);
  assert.doesNotThrow(() => JSON.stringify(r));
});

function report(step: number, student: number, advantage: number): GateReport {
  return { step, env: 'math', levels: [], rl: { student, advantage, bestKind: 'critique', fix: student + advantage }, table: '' };
}

test('gate: the rule picks a passing checkpoint with the largest advantage, else the closest', () => {
  const c: GateConfig = { ...DEFAULT_GATE };
  assert.equal(gateDistance(report(1, 0.45, 0.2), c), 0);
  assert.ok(Math.abs(gateDistance(report(1, 0.9, 0.05), c) - 0.4) < 1e-12);
  const pass = pickCheckpoint([report(100, 0.2, 0.3), report(200, 0.4, 0.2), report(300, 0.55, 0.25), report(400, 0.9, 0)], c)!;
  assert.deepEqual([pass.step, pass.passed], [300, true]);
  const none = pickCheckpoint([report(100, 0.1, 0), report(200, 0.25, 0.1), report(300, 0.95, 0)], c)!;
  assert.deepEqual([none.step, none.passed], [200, false]);
  assert.equal(pickCheckpoint([], c), undefined);
});
