import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { getEnv } from '../../src/envs/registry.ts';
import { probeTeacher } from '../../src/train/teacher-probe.ts';
import type { SampleRequest, TextSampler } from '../../src/inference/types.ts';
import { tinyTokenizer } from '../../src/recipes/tiny.ts';

const tok = tinyTokenizer();

/** A sampler that answers each request with `answer(context, temperature)`. */
const stub = (answer: (context: string, temperature: number) => string): TextSampler & { calls: SampleRequest[] } => {
  const calls: SampleRequest[] = [];
  return {
    calls,
    async sample(reqs) {
      calls.push(...reqs);
      return reqs.map((r) => ({ text: answer(tok.decode(r.prompt), r.temperature ?? 1) }));
    },
  };
};

test('teacher probe: counts the teacher as right only after feedback, and splits fix and keep', async () => {
  const env = await getEnv('math');
  const tasks = env.tasks('test', 12, 0, { levels: [2] });
  const ref = (context: string) => tasks.find((t) => context.endsWith(t.prompt))!.reference!;
  const index = (context: string) => tasks.findIndex((t) => context.endsWith(t.prompt));
  // Student: greedy right on the first 3 prompts; its T=1 sample right on prompts 0-5.
  const student = stub((c, temp) => (index(c) < (temp === 0 ? 3 : 6) ? ref(c) : 'no answer'));
  // Teacher: right whenever it was shown feedback, except on prompt 0 (a kept sample it breaks).
  const teacher = stub((c) => (c.includes('Feedback') && index(c) !== 0 ? ref(c) : 'no answer'));
  const r = await probeTeacher(student, teacher, tok, env, { prompts: 12, contexts: ['feedback'], levels: [2], maxTokens: 40 });
  await env.close?.();
  assert.equal(r.n, 12);
  assert.equal(r.studentGreedy, 3 / 12);
  assert.equal(r.studentSampled, 6 / 12);
  assert.equal(r.nWrong, 6);
  assert.deepEqual(r.contexts.feedback, { teacherGreedy: 11 / 12, fixRate: 1, keepRate: 5 / 6 });
  assert.ok(teacher.calls.every((c) => c.temperature === 0), 'the teacher decodes greedily');
  assert.equal(student.calls.filter((c) => c.temperature === 1).length, 12);
});

test('teacher probe: same seed, same requests', async () => {
  const env = await getEnv('math');
  const a = stub(() => 'A: 1');
  const b = stub(() => 'A: 1');
  await probeTeacher(a, a, tok, env, { prompts: 5, contexts: ['feedback', 'critique'], levels: [2], maxTokens: 8, seed: 3 });
  await probeTeacher(b, b, tok, env, { prompts: 5, contexts: ['feedback', 'critique'], levels: [2], maxTokens: 8, seed: 3 });
  await env.close?.();
  assert.deepEqual(a.calls, b.calls);
  assert.equal(new Set(a.calls.map((c) => c.seed)).size, a.calls.length, 'every sample has its own seed');
});
