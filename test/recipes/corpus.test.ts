import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { getEnv } from '../../src/envs/registry.ts';
import { buildTeacherContext } from '../../src/feedback/contexts.ts';
import {
  Corpus, DEFAULT_CORPUS, encodeExample, exampleText, modelAttemptSampler, ownAttemptSeed, validateCorpusConfig,
  type AttemptRequest, type AttemptSampler, type CorpusConfig, type Example,
} from '../../src/recipes/corpus.ts';
import { attemptBudget, tinyStopStrings, tinyTokenizer } from '../../src/recipes/tiny.ts';

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

// On-policy attempts (corpus.ownAttempts): the sampler seam, and ownAttempts 0 unchanged.
const mixed: CorpusConfig = {
  ...DEFAULT_CORPUS,
  envs: [{ name: 'math', levels: [2, 3, 4] }, { name: 'code', levels: [1], weight: 2 }, { name: 'science', levels: [1] }],
  correctAttempt: 0.4,
  plainSlip: 0.1,
};
const digest = (ex: Example[]) =>
  createHash('sha256').update(JSON.stringify(ex.map((e) => [e.sort, e.attempt ?? null, e.attemptCorrect ?? null, exampleText(e)]))).digest('hex');

test('corpus: ownAttempts 0 (or absent) makes the batches it made before the option existed', async () => {
  // Pinned from the corpus before ownAttempts was added (commit 79880bb).
  const pinned: Record<number, string> = {
    11: 'dd8925c3a1340554da56f5a02f7389c4c273b7d3696a74ffe760bf47d982ca03',
    12: 'f9cc488fa2eff8f5fae242a4cff52c8b2ef4f8270b109908d19befbd84ebf162',
  };
  for (const config of [mixed, { ...mixed, ownAttempts: 0 }]) {
    const c = await Corpus.open(config);
    const calls: number[] = [];
    for (const seed of [11, 12]) {
      const ex = await c.batch(48, seed, async (reqs) => (calls.push(reqs.length), reqs.map(() => 'x')));
      assert.equal(digest(ex), pinned[seed]);
      assert.ok(ex.every((e) => e.ownAttempt === undefined));
    }
    assert.deepEqual(calls, [], 'no sampler call without own attempts');
    await c.close();
  }
  const c = await Corpus.open(mixed);
  const ex = await c.batch(48, 11);
  await c.close();
  assert.equal(exampleText(ex[1]), 'f(7,0)=0 f(2,0)=0 f(1,1)=1\nfunction f(x,y){return x+y}\nReward: 0\nf(7,0)=0 f(2,0)=0 f(1,1)=1\nfunction f(x,y){return x*y}');
});

/** A stub model: the reference for even seeds, a fixed wrong text for odd ones; records its calls. */
function stubSampler() {
  const calls: AttemptRequest[][] = [];
  const sampler: AttemptSampler = async (reqs) => {
    calls.push(reqs);
    return reqs.map((r) => (r.seed % 2 === 0 ? r.task.reference! : `wrong ${r.seed % 97}`));
  };
  return { calls, sampler };
}

test('corpus: ownAttempts 1 shows the sampler\'s text as every attempt, evaluated by the env, in one call per batch', async () => {
  const c = await Corpus.open({ ...mixed, ownAttempts: 1 });
  const base = await Corpus.open(mixed);
  const { calls, sampler } = stubSampler();
  const ex = await c.batch(48, 11, sampler);
  const old = await base.batch(48, 11);
  assert.equal(calls.length, 1);
  const fb = ex.filter((e) => !e.sort.startsWith('plain'));
  assert.equal(calls[0].length, fb.length);
  assert.ok(fb.length > 20);
  let right = 0, wrong = 0;
  for (const [j, e] of ex.entries()) {
    // The plan draws come from per-example forks: tasks, sorts and plain examples are unchanged.
    assert.equal(e.taskId, old[j].taskId);
    assert.equal(e.sort, old[j].sort);
    if (e.sort.startsWith('plain')) {
      assert.deepEqual(e, old[j]);
      continue;
    }
    const k = fb.indexOf(e);
    assert.equal(calls[0][k].task, e.task);
    assert.equal(calls[0][k].seed, ownAttemptSeed(11, j));
    assert.equal(e.ownAttempt, true);
    assert.equal(e.attempt, calls[0][k].seed % 2 === 0 ? e.task.reference : `wrong ${calls[0][k].seed % 97}`);
    assert.equal(e.solution, e.task.reference);
    const env = c.env(e.env);
    const outcome = await env.evaluate(e.task, e.attempt!);
    assert.equal(e.attemptCorrect, outcome.correct);
    outcome.correct ? right++ : wrong++;
    const group = [{ completion: e.solution, outcome: await env.evaluate(e.task, e.solution) }];
    assert.equal(e.context, buildTeacherContext(e.sort, { task: e.task, completion: e.attempt!, outcome, group }));
  }
  assert.ok(right > 0 && wrong > 0);
  // Deterministic: the same seed asks for the same attempts and makes the same batch.
  const again = stubSampler();
  assert.deepEqual(await c.batch(48, 11, again.sampler), ex);
  assert.deepEqual(again.calls[0].map((r) => r.seed), calls[0].map((r) => r.seed));
  assert.equal(new Set(calls[0].map((r) => r.seed)).size, calls[0].length);
  assert.notDeepEqual(await c.batch(48, 12, again.sampler), ex);
  await assert.rejects(c.batch(4, 11), /needs an AttemptSampler/);
  await c.close();
  await base.close();
});

test('corpus: ownAttempts 0.5 mixes own and synthetic attempts; bad values are errors', async () => {
  const c = await Corpus.open({ ...mixed, ownAttempts: 0.5 });
  const ex = await c.batch(200, 5, stubSampler().sampler);
  const fb = ex.filter((e) => !e.sort.startsWith('plain'));
  const share = fb.filter((e) => e.ownAttempt).length / fb.length;
  assert.ok(share > 0.35 && share < 0.65, `own share ${share}`);
  await c.close();
  for (const bad of [-0.1, 1.5, '0.5', Number.NaN, null])
    assert.throws(() => validateCorpusConfig({ ...mixed, ownAttempts: bad as unknown as number }), /ownAttempts must be a number in \[0, 1\]/);
});

test('corpus: modelAttemptSampler asks for T=1 on the prompt with the stop strings and the gate budget, in one call', async () => {
  const tok = tinyTokenizer();
  const c = await Corpus.open(mixed);
  const tasks = c.env('code').tasks('train', 3, 1, { levels: [1] });
  const seen: unknown[][] = [];
  const backend = { sample: async (reqs: unknown[]) => (seen.push(reqs), reqs.map((_, i) => ({ text: `t${i}` }))) };
  const texts = await modelAttemptSampler(backend, tok)(tasks.map((task, i) => ({ task, seed: 40 + i })));
  assert.deepEqual(texts, ['t0', 't1', 't2']);
  assert.equal(seen.length, 1);
  assert.deepEqual(seen[0][1], {
    prompt: tok.encode(tasks[1].prompt), maxTokens: attemptBudget(tok, tasks[1]), temperature: 1, seed: 41, stop: tinyStopStrings(tasks[1].prompt),
  });
  assert.deepEqual(await modelAttemptSampler(backend, tok)([]), []);
  assert.equal(seen.length, 1);
  await c.close();
});
