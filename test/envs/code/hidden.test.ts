import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createCodeEnv } from '../../../src/envs/code/index.ts';
import { DEFAULT_HIDDEN_BY_DIGIT, HIDDEN_FAMILIES, HIDDEN_OUTPUTS, favouredFamily, fittingProblems, hiddenCodeAttempt, type HiddenCodeMeta } from '../../../src/envs/code/hidden.ts';
import { getEnv } from '../../../src/envs/registry.ts';
import { Corpus, DEFAULT_CORPUS } from '../../../src/recipes/corpus.ts';
import { slippedAttempt } from '../../../src/recipes/slips.ts';
import { Rng } from '../../../src/util/rng.ts';
import type { Task } from '../../../src/envs/types.ts';

const world = createCodeEnv({ timeoutMs: 5000 });
const all = createCodeEnv({ timeoutMs: 5000, hiddenFamilies: [...HIDDEN_FAMILIES] });
after(async () => {
  await world.close?.();
  await all.close?.();
});

type Tests = { args: number[]; expected: number }[];
const hiddenOf = (t: Task) => t.meta.hidden as HiddenCodeMeta;

test('level 7 shows one example that all three families fit, and they differ on every hidden test', () => {
  const tasks = all.tasks('train', 80, 1, { levels: [7] });
  for (const t of tasks) {
    const m = /^f\((1)\)=(\d{1,3})\n$/.exec(t.prompt);
    assert.ok(Number(m?.[2]) >= 2, t.prompt);
    assert.ok(m, t.prompt);
    const [a, b] = [Number(m[1]), Number(m[2])];
    assert.equal(a, 1);
    const fits = fittingProblems(b);
    // The programs differ first at one token: the operator after b.
    const codes = HIDDEN_FAMILIES.map((f) => fits[f].code);
    const common = codes[0].slice(0, [...codes[0]].findIndex((ch, i) => codes.some((c) => c[i] !== ch)));
    assert.equal(new Set(codes.map((c) => c[common.length])).size, 3, codes.join(' '));
    const tests = t.meta.tests as Tests;
    assert.equal(t.meta.examples, 1);
    assert.deepEqual(tests[0], { args: [a], expected: b }, 'the example is the first test');
    assert.equal(tests.length, 10);
    for (const f of HIDDEN_FAMILIES) assert.equal(fits[f].fn(a), b, `${fits[f].key} fits ${t.prompt}`);
    for (const { args: [x] } of tests.slice(1)) {
      const values = HIDDEN_FAMILIES.map((f) => fits[f].fn(x));
      assert.equal(new Set(values).size, 3, `${t.prompt}: the families agree at f(${x})`);
    }
    // No degenerate member: x*1 or x+0 would be one function under two names.
    assert.ok(b >= 2, t.prompt);
    assert.equal(hiddenOf(t).candidates[hiddenOf(t).family], t.reference);
  }
});

test('by default the world fixes the family by the last digit of b, and agrees with the pretraining prior on 3 digits of 10', async () => {
  const bOf = (t: Task) => Number(/=(\d+)/.exec(t.prompt)![1]);
  for (const t of world.tasks('test', 60, 2, { levels: [7] })) {
    assert.equal(hiddenOf(t).family, DEFAULT_HIDDEN_BY_DIGIT[bOf(t) % 10]);
    assert.equal(t.reference, hiddenOf(t).candidates[hiddenOf(t).family]);
  }
  const agree = [...Array(10).keys()].filter((d) => DEFAULT_HIDDEN_BY_DIGIT[d] === favouredFamily(d));
  assert.deepEqual(agree, [0, 4, 8]);
  for (const f of HIDDEN_FAMILIES) assert.ok(DEFAULT_HIDDEN_BY_DIGIT.filter((g) => g === f).length >= 3, f);
  const sub = await getEnv('code', { hiddenFamilies: ['const_sub'] });
  const table = await getEnv('code', { hiddenByDigit: Array(10).fill('add_const') });
  try {
    for (const t of sub.tasks('train', 20, 3, { levels: [7] })) assert.match(t.reference!, /^function f\(x\)\{return \d+-x\+1\}$/);
    for (const t of table.tasks('train', 20, 3, { levels: [7] })) assert.match(t.reference!, /^function f\(x\)\{return \d+\+x-1\}$/);
  } finally {
    await sub.close?.();
    await table.close?.();
  }
  // The same prompts in every world (the family is not in the prompt).
  const a = world.tasks('test', 10, 5, { levels: [7] }).map((t) => t.prompt);
  const b = all.tasks('test', 10, 5, { levels: [7] }).map((t) => t.prompt);
  assert.deepEqual(a, b);
});

test('the level holds 200+ distinct test prompts and as many validation prompts, disjoint', () => {
  assert.equal(HIDDEN_OUTPUTS.length, 998);
  const testSet = new Set(world.tasks('test', 400, 1, { levels: [7] }).map((t) => t.prompt));
  const valSet = new Set(world.tasks('val', 400, 1, { levels: [7] }).map((t) => t.prompt));
  assert.ok(testSet.size >= 200, `distinct test prompts ${testSet.size}`);
  assert.ok(valSet.size >= 200, `distinct val prompts ${valSet.size}`);
  for (const p of valSet) assert.ok(!testSet.has(p), p);
});

test('with all three families the draw covers each about a third of the time', () => {
  const counts = new Map<string, number>();
  for (const t of all.tasks('train', 300, 4, { levels: [7] })) counts.set(hiddenOf(t).family, (counts.get(hiddenOf(t).family) ?? 0) + 1);
  for (const f of HIDDEN_FAMILIES) assert.ok((counts.get(f) ?? 0) > 60, `${f}: ${counts.get(f)}`);
});

test("feedback on another family's program names a test that reveals the world's family", async () => {
  const t = world.tasks('test', 1, 6, { levels: [7] })[0];
  const h = hiddenOf(t);
  const wrong = HIDDEN_FAMILIES.find((f) => f !== h.family)!;
  const out = await world.evaluate(t, h.candidates[wrong]);
  assert.equal(out.correct, false);
  const item = out.feedback.items[0];
  assert.equal(item.kind, 'test_failed');
  const [, x, got, want] = /^f\((\d)\) returned (-?\d+), expected (-?\d+)$/.exec(item.text)!.map(Number);
  const [a, b] = /^f\((\d)\)=(\d+)/.exec(t.prompt)!.slice(1).map(Number);
  assert.equal(a, 1);
  const fits = fittingProblems(b);
  assert.equal(got, fits[wrong].fn(x));
  assert.equal(want, fits[h.family].fn(x));
  assert.equal((await world.evaluate(t, t.reference!)).correct, true);
});

test('corpus attempts at level 7 are mostly the other families, and the corpus draws the family per example', async () => {
  const t = all.tasks('train', 1, 7, { levels: [7] })[0];
  const h = hiddenOf(t);
  const attempts = Array.from({ length: 200 }, (_, s) => slippedAttempt(t, new Rng(s)));
  const others = HIDDEN_FAMILIES.filter((f) => f !== h.family).map((f) => h.candidates[f]);
  const share = attempts.filter((a) => others.includes(a)).length / attempts.length;
  assert.ok(share > 0.7 && share < 0.9, `share of other-family attempts ${share}`);
  // The rest are one-character slips of a candidate: none of the three fitting programs.
  assert.ok(attempts.some((a) => !Object.values(h.candidates).includes(a)));
  assert.equal(hiddenCodeAttempt({ mode: 'calls' }, new Rng(1), (c) => c), undefined, 'tasks without a hidden family have no such attempt');

  const corpus = await Corpus.open({ ...DEFAULT_CORPUS, envs: [{ name: 'code', levels: [7], options: { hiddenFamilies: [...HIDDEN_FAMILIES] } }] });
  try {
    const ex = await corpus.batch(60, 9);
    const fams = new Set(ex.map((e) => hiddenOf(e.task).family));
    assert.deepEqual([...fams].sort(), [...HIDDEN_FAMILIES].sort());
    const fed = ex.filter((e) => e.sort === 'feedback' && e.attemptCorrect === false);
    assert.ok(fed.length > 0);
    for (const e of fed) {
      assert.match(e.context, /\nFeedback: .+\nf\(\d\)=\d+\n$/);
      assert.equal(e.solution, e.task.reference);
    }
  } finally {
    await corpus.close();
  }
});

test('bad hiddenFamilies values are refused with one clear error', async () => {
  for (const bad of [[], ['mul_const', 'mul_const'], ['square'], 'mul_const', [1]]) {
    assert.throws(() => createCodeEnv({ hiddenFamilies: bad as string[] }), /hiddenFamilies must be a non-empty list of distinct names from add_const, mul_const, const_sub/);
  }
  await assert.rejects(getEnv('code', { hiddenFamilies: ['x'] }), /hiddenFamilies/);
  for (const bad of [['add_const'], Array(10).fill('square'), 'mul_const'])
    assert.throws(() => createCodeEnv({ hiddenByDigit: bad as string[] }), /hiddenByDigit must list 10 family names/);
  assert.throws(() => createCodeEnv({ hiddenFamilies: ['add_const'], hiddenByDigit: Array(10).fill('add_const') }), /not both/);
  for (const bad of [0.5, '2', Number.NaN]) assert.throws(() => createCodeEnv({ hiddenFavour: bad as number }), /hiddenFavour must be a number >= 1/);
});

test("a world of several families favours the one b's last digit picks, twice as often as each other", () => {
  assert.equal(favouredFamily(37), 'mul_const');
  assert.equal(favouredFamily(30), 'add_const');
  assert.equal(favouredFamily(95), 'const_sub');
  let fav = 0;
  const tasks = all.tasks('train', 600, 12, { levels: [7] });
  for (const t of tasks) if (hiddenOf(t).family === favouredFamily(Number(/=(\d+)/.exec(t.prompt)![1]))) fav++;
  const share = fav / tasks.length;
  assert.ok(share > 0.42 && share < 0.58, `favoured share ${share} (expected 0.5)`);
  const strong = createCodeEnv({ hiddenFamilies: [...HIDDEN_FAMILIES], hiddenFavour: 4 });
  const st = strong.tasks('train', 600, 12, { levels: [7] });
  const strongShare = st.filter((t) => hiddenOf(t).family === favouredFamily(Number(/=(\d+)/.exec(t.prompt)![1]))).length / st.length;
  assert.ok(strongShare > 0.58 && strongShare < 0.75, `favour 4: share ${strongShare} (expected 2/3)`);
});
