import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { Transformer } from '../../src/nn/transformer.ts';
import { Corpus, DEFAULT_CORPUS } from '../../src/recipes/corpus.ts';
import type { SampleRequest } from '../../src/backends/types.ts';
import type { Env, Task } from '../../src/envs/types.ts';
import { gateDistance, pickCheckpoint, runGate, type GateReport, type GateSampler } from '../../src/recipes/gate.ts';
import type { Assets } from '../../src/report/assets.ts';
import { gateFileHtml } from '../../src/report/sections/gate-file.ts';
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
      [x.own!, x.ownFix!, x.ownKeep!].forEach(rate);
      assert.ok(Math.abs(x.ownAdv! - (x.own! - l.studentSampled)) < 1e-12);
      const wrong = x.ownWrong!;
      assert.ok(Math.abs(x.own! * l.n - (x.ownFix! * wrong + x.ownKeep! * (l.n - wrong))) < 1e-9, 'own splits into ownFix and ownKeep');
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

test('gate: the greedy rule judges the greedy student and the greedy teacher on own samples', () => {
  const c: GateConfig = { ...DEFAULT_GATE, rule: 'greedy', studentRange: [0.15, 0.45], minAdvantage: 0.2 };
  const g = (step: number, sampled: number, adv: number, greedy: number, gadv: number): GateReport => {
    const r = report(step, sampled, adv);
    return { ...r, rl: { ...r.rl, studentGreedy: greedy, greedyAdvantage: gadv, greedyBestKind: 'feedback' } };
  };
  // Sampled numbers that would pass the default rule do not count here, and the other way round.
  assert.equal(gateDistance(g(1, 0.45, 0.3, 0.9, 0.05), c) > 0, true);
  assert.equal(gateDistance(g(1, 0.1, 0, 0.3, 0.4), c), 0);
  const pick = pickCheckpoint([g(100, 0.4, 0.3, 0.95, 0), g(200, 0.2, 0.1, 0.27, 0.41), g(300, 0.2, 0.1, 0.3, 0.25)], c)!;
  assert.deepEqual([pick.step, pick.passed], [200, true]);
  assert.match(pick.reason, /greedy student 27%.*advantage 41 points/);
  // A gate file from before the greedy columns cannot pass the greedy rule.
  assert.equal(pickCheckpoint([report(1, 0.3, 0.5)], c)!.passed, false);
});

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

/**
 * A toy env and a stub sampler that reads its request's context, so every count of the on-policy
 * columns is known in advance. Prompt i is `[i]=`, the answer 7*i+10 (leading zeros allowed),
 * except `ten` for prompt 0, which has no digit to slip (so only prompts 1-7 get a synthetic slip).
 *  - student (context = prompt): T=1 right as `0<answer>` (right, but not the reference text)
 *    for i < 3, else `w` (wrong); greedy: always `w`;
 *  - teacher shown the student's own right sample `0<answer>`: right for i < 2 (ownKeep 2/3);
 *  - teacher shown the student's own wrong sample `w`: right for i in 3..5 (ownFix 3/5), and
 *    decoding greedily for i in 3..6 (ownGreedyFix 4/5);
 *  - teacher shown the reference (synthetic keep): right; shown a synthetic slip: wrong (fix 0).
 */
const N = 8;
const toyTasks = (n: number): Task[] => Array.from({ length: n }, (_, i) => ({ id: `toy/test/1/${i}`, env: 'toy', prompt: `[${i}]=`, reference: i === 0 ? 'ten' : String(7 * i + 10), level: 1, meta: {} }));
const toyEnv: Env = {
  name: 'toy',
  description: 'numbers',
  levels: [1],
  tasks: (_split, n) => toyTasks(n),
  async evaluate(task, completion) {
    const correct = completion.trim().replace(/^0+/, '') === task.reference;
    return { reward: correct ? 1 : 0, correct, feedback: { summary: correct ? 'correct' : 'wrong', items: correct ? [] : [{ kind: 'wrong_answer', text: `expected ${task.reference}`, expected: task.reference }] } };
  },
};

function stubSampler(tok: ReturnType<typeof tinyTokenizer>): GateSampler & { contexts: string[] } {
  const tasks = toyTasks(N);
  const contexts: string[] = [];
  return {
    contexts,
    async sample(reqs: SampleRequest[]) {
      return reqs.map((r) => {
        const ctx = tok.decode(r.prompt);
        contexts.push(ctx);
        const i = tasks.findIndex((t) => ctx.endsWith(t.prompt));
        assert.ok(i >= 0, `no task for context ${JSON.stringify(ctx)}`);
        const ref = tasks[i].reference!;
        if (ctx === tasks[i].prompt) return { text: r.temperature === 0 ? 'w' : i < 3 ? `0${ref}` : 'w' };
        const attempt = ctx.slice(tasks[i].prompt.length).split('\n')[0];
        if (attempt === ref && !/Feedback|Critique/.test(ctx)) return { text: ref }; // the reference context
        if (attempt === ref) return { text: ref }; // synthetic keep
        if (attempt === `0${ref}`) return { text: i < 2 ? ref : 'w' }; // own right sample
        if (attempt === 'w') return { text: (r.temperature === 0 ? i >= 3 && i <= 6 : i >= 3 && i <= 5) ? ref : 'w' }; // own wrong sample (greedy fixes one more)
        return { text: 'w' }; // a synthetic slip
      });
    },
  };
}

test('gate: the on-policy columns come from the student\'s own samples', async () => {
  const tok = tinyTokenizer();
  const c: GateConfig = { ...DEFAULT_GATE, env: 'toy', rlLevels: [1], levels: [1], n: N, kinds: ['feedback', 'critique'], batch: 3 };
  const stub = stubSampler(tok);
  const r = await runGate(stub, tok, c, { env: () => toyEnv }, 1);
  const l = r.levels[0];
  assert.equal(l.studentSampled, 3 / 8);
  assert.equal(l.studentGreedy, 0);
  for (const k of c.kinds) {
    const x = l.kinds[k];
    assert.equal(x.keep, 1, `${k} synthetic keep`);
    assert.equal(x.fix, 0, `${k} synthetic fix`);
    assert.equal(x.nWrong, 7);
    assert.equal(x.studentSame, 2 / 7);
    assert.equal(x.ownWrong, 5);
    assert.equal(x.ownFix, 3 / 5);
    assert.equal(x.ownKeep, 2 / 3);
    assert.equal(x.own, 5 / 8);
    assert.equal(x.ownAdv, 5 / 8 - 3 / 8);
    assert.equal(x.ownGreedy, 6 / 8);
    assert.equal(x.ownGreedyFix, 4 / 5);
    assert.equal(x.ownGreedyAdv, 6 / 8 - 0);
  }
  assert.deepEqual(r.rl.own, { feedback: 5 / 8, critique: 5 / 8 });
  assert.deepEqual(r.rl.ownGreedy, { feedback: 6 / 8, critique: 6 / 8 });
  assert.equal(r.rl.studentGreedy, 0);
  assert.equal(r.rl.greedyAdvantage, 6 / 8);
  // The teacher was shown each student sample with its env feedback, once per kind and decoding.
  assert.equal(stub.contexts.filter((x) => x === '[3]=w\nFeedback: expected 31\n[3]=').length, 2);
  assert.equal(stub.contexts.filter((x) => x.startsWith('[1]=017\nFeedback: correct')).length, 2);
  assert.equal(stub.contexts.filter((x) => x.startsWith('[1]=017\nCritique:')).length, 2);
  const [head, row] = r.table.split('\n').slice(1, 3);
  assert.match(head, /own:feedback \| ownfix:feedback \| own:critique \| ownfix:critique \| ownG:feedback \| ownG:critique/);
  assert.match(row, /\|\s+63 \|\s+60 \|\s+63 \|\s+60 \|\s+75 \|\s+75 {2}\(RL\)$/);
  assert.match(r.table, /own samples, teacher after feedback: feedback 63%, critique 63% \(student 38%\)/);
  assert.match(r.table, /greedy: student 0%, teacher on the student's own samples after feedback: feedback 75%, critique 75% \(advantage 75 points/);
});

test('gate: the HTML table shows the on-policy columns only when the gate file has them', () => {
  const assets = { figure: () => '' } as unknown as Assets;
  const level = { level: 5, n: 10, studentSampled: 0.4, studentGreedy: 0.5, referenceExact: 1, kinds: { feedback: { keep: 1, fix: 0.8, studentSame: 0.4, advantage: 0.4, nWrong: 10 } }, pass: { reference: true, keep: true, fix: true } };
  const old = gateFileHtml({ checkpoints: [{ step: 1, env: 'math', levels: [level] }] }, 'r', assets);
  assert.doesNotMatch(old, /own samples/);
  const withOwn = { ...level, kinds: { feedback: { ...level.kinds.feedback, own: 0.55, ownFix: 0.25, ownKeep: 1, ownAdv: 0.15, ownWrong: 6 } } };
  const html = gateFileHtml({ checkpoints: [{ step: 1, env: 'math', levels: [withOwn] }] }, 'r', assets);
  assert.match(html, /on own samples \(feedback\)/);
  for (const v of ['55', '25', '100', '\\+15']) assert.match(html, new RegExp(`<span class="num">${v}</span>`));
});
