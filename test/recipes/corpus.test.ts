import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { getEnv } from '../../src/envs/registry.ts';
import { buildTeacherContext } from '../../src/feedback/contexts.ts';
import { Corpus, DEFAULT_CORPUS, encodeExample, type CorpusConfig } from '../../src/recipes/corpus.ts';
import { tinyTokenizer } from '../../src/recipes/tiny.ts';

const cfg: CorpusConfig = {
  ...DEFAULT_CORPUS,
  envs: [{ name: 'math', levels: [2, 3, 4] }],
  feedbackFraction: 0.7,
  kinds: { feedback: 1, critique: 1, reference: 1, binary: 1, peer: 1 },
  correctAttempt: 0.3,
};

test('corpus: same seed, same examples; another seed, others', async () => {
  const c = await Corpus.open(cfg);
  const a = await c.batch(40, 7);
  const b = await c.batch(40, 7);
  const d = await c.batch(40, 8);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, d);
  await c.close();
});

test('corpus: contexts are exactly buildTeacherContext output, followed by the reference', async () => {
  const c = await Corpus.open(cfg);
  const env = await getEnv('math');
  const ex = await c.batch(200, 3);
  const sorts = new Set(ex.map((e) => e.sort));
  for (const k of ['plain', 'feedback', 'critique', 'reference', 'binary', 'peer']) assert.ok(sorts.has(k), `no '${k}' example in 200`);
  const feedbackShare = ex.filter((e) => e.sort !== 'plain').length / ex.length;
  assert.ok(feedbackShare > 0.55 && feedbackShare < 0.85, `feedback share ${feedbackShare}`);
  let correct = 0, wrong = 0;
  for (const e of ex) {
    assert.ok([2, 3, 4].includes(e.level));
    assert.equal(e.solution, e.task.reference);
    if (e.sort === 'plain') {
      assert.equal(e.context, e.task.prompt);
      assert.equal(e.attempt, undefined);
      continue;
    }
    const t = e.task;
    const outcome = await env.evaluate(t, e.attempt!);
    assert.equal(outcome.correct, e.attemptCorrect);
    outcome.correct ? correct++ : wrong++;
    const group = [{ completion: e.solution, outcome: await env.evaluate(t, e.solution) }];
    assert.equal(e.context, buildTeacherContext(e.sort, { task: t, completion: e.attempt!, outcome, group }));
  }
  assert.ok(correct > 0 && wrong > 0);
  await c.close();
});

test('corpus: encoding ends with eos and masks the context when asked', async () => {
  const c = await Corpus.open(cfg);
  const tok = tinyTokenizer();
  for (const e of await c.batch(10, 1)) {
    const all = encodeExample(e, (s) => tok.encode(s), tok.eosId, { loss: 'all', contextWeight: 0.5 });
    const sol = encodeExample(e, (s) => tok.encode(s), tok.eosId, { loss: 'solution', contextWeight: 1 });
    const nCtx = tok.encode(e.context).length;
    assert.equal(all.ids.length, nCtx + tok.encode(e.solution).length + 1);
    assert.equal(all.ids[all.ids.length - 1], tok.eosId);
    assert.equal(tok.decode(all.ids.slice(0, -1)), e.context + e.solution);
    assert.equal(all.weights.length, all.ids.length - 1);
    // Target index t predicts ids[t+1]: the first solution token is predicted at t = nCtx - 1.
    assert.equal(sol.weights[nCtx - 2], 0);
    assert.equal(sol.weights[nCtx - 1], 1);
    assert.equal(all.weights[0], 0.5);
    assert.equal(all.weights[all.weights.length - 1], 1);
  }
  await c.close();
});
