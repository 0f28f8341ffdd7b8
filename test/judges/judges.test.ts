import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Rollout } from '../../src/algorithms/types.ts';
import { getEnv } from '../../src/envs/registry.ts';
import type { Task } from '../../src/envs/types.ts';
import { CharTokenizer } from '../../src/models/char-tokenizer.ts';
import { DEFAULT_JUDGE_TEMPLATE, fillJudgeTemplate, modelJudge, parseJudgeScore } from '../../src/judges/model.ts';
import { answerJudge, progressScore, referenceSteps, stepJudge } from '../../src/judges/reference.ts';
import { judgeRollouts } from '../../src/judges/rollouts.ts';
import { lineSegmentEnds, tokenSegments } from '../../src/judges/segments.ts';
import type { Judge, JudgeRequest } from '../../src/judges/types.ts';
import type { SampleRequest } from '../../src/inference/types.ts';

async function mathTask(): Promise<Task> {
  const env = await getEnv('math');
  const [t] = env.tasks('test', 1, 3, { levels: [5] });
  return t;
}

/** The reference with step `i` (0-based) changed to a wrong result. */
function wrongAt(reference: string, i: number): string {
  const lines = reference.split('\n');
  lines[i] = lines[i].replace(/=(\d)$/, (_, d) => `=${(Number(d) + 1) % 10}`);
  return lines.join('\n');
}

test('step judge: 5 reference steps, first error at step 3 (2 right) -> 1 + round(4 * 2/5) = 3; correct -> 5', async () => {
  const env = await getEnv('math');
  const t = await mathTask();
  assert.equal(referenceSteps(t), 5);
  const j = stepJudge(env);
  const req = (text: string, view: JudgeRequest['view'] = 'completion', segment = 0): JudgeRequest => ({ task: t, text, view, segment, segments: 6 });
  const ref = t.reference!;
  const [right, third, first, prefix2] = await j.judge([req(ref), req(wrongAt(ref, 2)), req(wrongAt(ref, 0)), req(ref.split('\n').slice(0, 2).join('\n'), 'prefix', 1)]);
  assert.equal(right.score, 5);
  assert.equal(third.score, 3);
  assert.equal(first.score, 1);
  // A prefix of 2 right steps is judged as work cut short: same partial progress.
  assert.equal(prefix2.score, 3);
  // All steps right, no answer line yet: 4 (5 is kept for a correct completion).
  assert.equal((await j.judge([req(ref.split('\n').slice(0, 5).join('\n'), 'prefix', 4)]))[0].score, 4);
  assert.equal(progressScore(t, { reward: 0, correct: false, feedback: { summary: '', items: [] } }), 1);
});

test('step judge on one segment alone: judged in the reference\'s context', async () => {
  const env = await getEnv('math');
  const t = await mathTask();
  const lines = t.reference!.split('\n');
  const seg = (text: string, segment: number): JudgeRequest => ({ task: t, text, view: 'segment', segment, segments: 6 });
  const v = await stepJudge(env).judge([seg(lines[2], 2), seg(wrongAt(t.reference!, 2).split('\n')[2], 2), seg(lines[5], 5), seg(lines[5], 2), seg(lines[1], 7), seg('  ', 0)]);
  assert.deepEqual(v.map((x) => x.score), [5, 1, 5, 1, 1, 1]);
});

test('answer judge: the final answer only (5 or 1)', async () => {
  const env = await getEnv('math');
  const t = await mathTask();
  const req = (text: string): JudgeRequest => ({ task: t, text, view: 'completion', segment: 0, segments: 1 });
  const answer = Number(t.reference!.split('A: ')[1]);
  // A wrong step with the right answer still scores 5: only the answer is judged.
  const v = await answerJudge(env).judge([req(t.reference!), req(wrongAt(t.reference!, 2)), req(`A: ${answer}`), req(`A: ${(answer + 1) % 10}`)]);
  assert.deepEqual(v.map((x) => x.score), [5, 5, 5, 1]);
});

test('judge score parsing: Score: N in its usual spellings; junk -> null', () => {
  assert.equal(parseJudgeScore('Reasoning: the steps match.\nScore: 4'), 4);
  assert.equal(parseJudgeScore('**Score:** 5'), 5);
  assert.equal(parseJudgeScore('score = [3]'), 3);
  assert.equal(parseJudgeScore('Score: 2.'), 2);
  assert.equal(parseJudgeScore('Score: [1|2|3|4|5]\n...\nScore: 4'), 4); // the last one counts
  assert.equal(parseJudgeScore(' 4 '), 4);
  for (const junk of ['', 'looks fine to me', 'Score: 7', 'Score: 4.5', 'Score: high', '42', 'A: 7']) assert.equal(parseJudgeScore(junk), null, junk);
});

test('model judge: greedy, shown the reference and the attempt; unreadable answers come back as null', async () => {
  const t = await mathTask();
  const seen: SampleRequest[] = [];
  const tok = new CharTokenizer('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 :=+-*#\n.,\'"()[]{}!?/|_');
  const answers = ['Score: 5', 'no idea'];
  const sampler = { async sample(reqs: SampleRequest[]) { seen.push(...reqs); return reqs.map((_, i) => ({ text: answers[i] })); } };
  const j = modelJudge(sampler, tok, { maxTokens: 12 });
  const reqs: JudgeRequest[] = [0, 1].map((i) => ({ task: t, text: `attempt ${i}`, view: 'prefix', segment: i, segments: 2 }));
  const v = await j.judge(reqs);
  assert.deepEqual(v.map((x) => x.score), [5, null]);
  assert.equal(v[1].raw, 'no idea');
  assert.ok(seen.every((r) => r.temperature === 0 && r.maxTokens === 12));
  const prompt = tok.decode(seen[1].prompt);
  assert.ok(prompt.includes(t.reference!) && prompt.includes('attempt 1') && prompt.includes('the beginning of an attempt'));
  assert.equal(fillJudgeTemplate('{reference}|{attempt}|{problem}', reqs[0]), `${t.reference}|attempt 0|${t.prompt.trim()}`);
  assert.ok(DEFAULT_JUDGE_TEMPLATE.includes('{reference}'));
  assert.throws(() => modelJudge(sampler, tok, { template: 'grade {attempt}' }), /no \{reference\} slot/);
  await assert.rejects(j.judge([{ ...reqs[0], task: { ...t, reference: undefined } }]), /has no reference solution/);
});

test('segments: lines with their newline, blank lines joined; tokens mapped to the segment of their first character', () => {
  assert.deepEqual(lineSegmentEnds('4-5=9\n9*3=7\nA: 7'), [6, 12, 16]);
  assert.deepEqual(lineSegmentEnds('a\n\n b\n'), [3, 6]);
  assert.deepEqual(lineSegmentEnds('\na'), [2]);
  assert.deepEqual(lineSegmentEnds(''), [0]);
  const tok = new CharTokenizer('0123456789-*=A: \n');
  const text = '4-5=9\n9*3=7\nA: 7';
  const tokens = [...tok.encode(text), tok.eosId];
  const seg = tokenSegments(tokens, lineSegmentEnds(text), tok);
  assert.deepEqual(Array.from(seg), [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2]);
});

function rollout(task: Task, text: string, tok: CharTokenizer): Rollout {
  const tokens = tok.encode(text);
  return { task, group: 0, prompt: [1], tokens, text, logprobs: new Float32Array(tokens.length), outcome: { reward: 0, correct: false, feedback: { summary: '', items: [] } } };
}

test('judging rollouts: prefixes per line; unreadable verdicts scored lowest and counted, never a crash', async () => {
  const t = await mathTask();
  const tok = new CharTokenizer('0123456789-+*#=A: \n');
  const rs = [rollout(t, t.reference!, tok), rollout(t, wrongAt(t.reference!, 2), tok)];
  const env = await getEnv('math');
  const judged = await judgeRollouts(stepJudge(env), rs, 'prefix', tok);
  assert.equal(judged.requests, 12);
  assert.equal(judged.unreadable, 0);
  // Right reference: 1 + round(4 k/5) for k = 1..5 steps, then 5; wrong at step 3: stuck at 3 from there.
  assert.deepEqual(judged.rollouts[0].scores, [2, 3, 3, 4, 4, 5]);
  assert.deepEqual(judged.rollouts[1].scores, [2, 3, 3, 3, 3, 3]);
  assert.equal(judged.rollouts[0].segmentOfToken!.length, rs[0].tokens.length);
  const junk: Judge = { name: 'junk', judge: async (reqs) => reqs.map((_, i) => (i % 2 ? { score: null, raw: 'Score: none' } : i === 2 ? { score: 9 } : { score: 4 })) };
  const j2 = await judgeRollouts(junk, rs, 'completion', tok);
  assert.deepEqual(j2.rollouts.map((r) => r.scores), [[4], [1]]);
  assert.equal(j2.unreadable, 1);
  assert.equal(j2.example, 'Score: none');
  const j3 = await judgeRollouts(junk, rs, 'segment', tok);
  assert.equal(j3.unreadable, 6 + 1); // the odd ones, and the out-of-range 9
  const short: Judge = { name: 'short', judge: async () => [] };
  await assert.rejects(judgeRollouts(short, rs, 'completion', tok), /returned 0 verdicts for 2 requests/);
});
